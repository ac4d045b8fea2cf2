import { openBareHttpClient, openGotHttpClient } from './bare-http-client.js';
import { BUILTIN_SERVER, startChildServer } from './child-server.js';
import { ECHO_ACTION, Echo } from './echo-env.js';
import { openSession, sessionSteps } from './open-session.js';
import type { BenchConfig, SectionResult } from './section-result.js';
import { interleave, medianPairedRatio, round, stepRow } from './stats.js';

const TARGET = 1.2;

/**
 * Section 2: `session.step` over openenv-rx's HTTP transport (`transport: 'http'`, got with a
 * keep-alive agent) against bare `node:http` keep-alive POSTs of the same body to the same server
 * process. Both go one request at a time.
 */
export async function httpStep(config: BenchConfig): Promise<SectionResult> {
  const server = await startChildServer(BUILTIN_SERVER, ['echo']);
  try {
    const bare = openBareHttpClient(server.url, ECHO_ACTION);
    const gotAlone = await openGotHttpClient(server.url, ECHO_ACTION);
    const typed = await openSession(Echo.connect(server.url, { transport: 'http' }));
    const n = config.httpSteps;
    const samples = await interleave(config.rounds, {
      bare: () => bare.steps(n),
      got: () => gotAlone.steps(n),
      typed: () => sessionSteps(typed.session, ECHO_ACTION, n),
    });
    await typed.close();
    await bare.close();
    await gotAlone.close();
    const ratio = medianPairedRatio(samples.typed, samples.bare);
    const row = (client: string, key: keyof typeof samples) => stepRow(client, samples[key], samples.bare);
    return {
      id: 'http-step',
      title: 'HTTP step',
      status: 'ok',
      baseline: 'bare `node:http` keep-alive POST /step, same body, same server process',
      ratio: round(ratio),
      target: TARGET,
      met: ratio <= TARGET,
      rows: [
        row('bare node:http keep-alive (baseline)', 'bare'),
        row("got alone, the transport's options (got's own share)", 'got'),
        row("openenv-rx session, transport: 'http' (headline)", 'typed'),
      ],
      notes: [
        `${config.rounds} interleaved rounds of ${n} sequential POST /step per client; medians over rounds.`,
        `Between the baseline and the headline: got's own cost per request (the "got alone" row: the same POST through a got instance with the transport's options, nothing around it), then the session and transport (the step's request, the action and observation checks, the reply's decoding).`,
      ],
    };
  } finally {
    await server.stop();
  }
}
