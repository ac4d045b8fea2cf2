import { openBareWsClient, type BareWsClient } from './bare-ws-client.js';
import { BARE_SERVER, BUILTIN_SERVER, startChildServer } from './child-server.js';
import { ECHO_ACTION } from './echo-env.js';
import type { BenchConfig, Row, SectionResult } from './section-result.js';
import { interleave, medianOpsPerSecond, medianPairedRatio, round } from './stats.js';

const LEVELS = [1, 16] as const;

/** Runs `stepsEach` steps on every client at once; resolves with the total. */
async function together(clients: BareWsClient[], stepsEach: number): Promise<number> {
  const counts = await Promise.all(clients.map((c) => c.steps(stepsEach)));
  return counts.reduce((a, b) => a + b, 0);
}

/**
 * Section 6: our server (`serve-builtin echo`: envelope and action validated with zod, the env
 * abstraction, OpenEnv's error semantics) under bare `ws` clients, against a minimal `ws` echo
 * server (bench/bare-ws-server.ts: parse, answer, nothing else). Each server runs in its own
 * process; the same clients drive both, batches interleaved.
 */
export async function serverSection(config: BenchConfig): Promise<SectionResult> {
  const ours = await startChildServer(BUILTIN_SERVER, ['echo']);
  const rows: Row[] = [];
  const ratios: number[] = [];
  try {
    const bare = await startChildServer(BARE_SERVER, []);
    try {
      for (const level of LEVELS) {
        const toOurs: BareWsClient[] = [];
        const toBare: BareWsClient[] = [];
        for (let i = 0; i < level; i++) {
          toOurs.push(await openBareWsClient(ours.url, ECHO_ACTION));
          toBare.push(await openBareWsClient(bare.url, ECHO_ACTION));
        }
        const stepsEach = Math.max(10, Math.round(config.parallelSteps / level));
        const samples = await interleave(config.parallelRounds, {
          bareServer: () => together(toBare, stepsEach),
          openenvRx: () => together(toOurs, stepsEach),
        });
        for (const c of [...toOurs, ...toBare]) await c.close();
        const ratio = medianPairedRatio(samples.openenvRx, samples.bareServer);
        ratios.push(ratio);
        rows.push({
          sessions: level,
          'openenv-rx server steps/s': round(medianOpsPerSecond(samples.openenvRx)),
          'bare ws server steps/s': round(medianOpsPerSecond(samples.bareServer)),
          'time ratio': round(ratio),
        });
      }
    } finally {
      await bare.stop();
    }
    return {
      id: 'server',
      title: 'Server under a bare ws client',
      status: 'ok',
      baseline: 'a minimal `ws` echo server (no validation, no env layer) in its own process',
      ratio: round(Math.max(...ratios)),
      rows,
      notes: [
        'Headline: the worst time ratio over the levels (no target set by the issue).',
        `${config.parallelRounds} interleaved rounds per level; each batch is ~${config.parallelSteps} steps in total, split over the sessions.`,
      ],
    };
  } finally {
    await ours.stop();
  }
}
