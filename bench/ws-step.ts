import { firstValueFrom } from 'rxjs';
import { connectUrl } from '../src/session/connect-url.js';
import { openBareWsClient } from './bare-ws-client.js';
import { BUILTIN_SERVER, startChildServer } from './child-server.js';
import { ECHO_ACTION, Echo } from './echo-env.js';
import { openSession, sessionSteps } from './open-session.js';
import type { BenchConfig, SectionResult } from './section-result.js';
import { interleave, medianPairedRatio, round, stepRow } from './stats.js';

const TARGET = 1.15;

/**
 * Section 1: sequential `session.step` over `/ws` (typed `defineEnv` session, and an untyped
 * `connectUrl()` one) against a bare `ws` client, all on their own sockets to the same echo server
 * running in another process. Batches interleave; the ratio is the median of per-round ratios.
 */
export async function wsStep(config: BenchConfig): Promise<SectionResult> {
  const server = await startChildServer(BUILTIN_SERVER, ['echo']);
  try {
    const bare = await openBareWsClient(server.url, ECHO_ACTION);
    const typed = await openSession(Echo.connect(server.url, { transport: 'ws' }));
    const untyped = await openSession(connectUrl(server.url, { transport: 'ws' }));
    await firstValueFrom(typed.session.reset());
    await firstValueFrom(untyped.session.reset());
    const n = config.wsSteps;
    const samples = await interleave(config.rounds, {
      bare: () => bare.steps(n),
      typed: () => sessionSteps(typed.session, ECHO_ACTION, n),
      untyped: () => sessionSteps(untyped.session, ECHO_ACTION, n),
    });
    await typed.close();
    await untyped.close();
    await bare.close();
    const ratio = medianPairedRatio(samples.typed, samples.bare);
    const row = (client: string, key: keyof typeof samples) => stepRow(client, samples[key], samples.bare);
    return {
      id: 'ws-step',
      title: 'WS step round trip',
      status: 'ok',
      baseline: 'bare `ws` client, same frames, same server process',
      ratio: round(ratio),
      target: TARGET,
      met: ratio <= TARGET,
      rows: [
        row('bare ws client (baseline)', 'bare'),
        row('openenv-rx session, defineEnv + zod (headline)', 'typed'),
        row('openenv-rx session, untyped connectUrl()', 'untyped'),
      ],
      notes: [
        `${config.rounds} interleaved rounds of ${n} sequential steps per client; medians over rounds.`,
        'Server: `node dist-bench/src/server/serve-builtin.js echo` in a child process (MAX_CONCURRENT_ENVS=16).',
      ],
    };
  } finally {
    await server.stop();
  }
}
