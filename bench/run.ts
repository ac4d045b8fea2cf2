// `npm run bench [-- --smoke] [-- --only id,id] [-- --note "text"]`: runs the sections one after
// another, cleans up whatever they started (also on failure and on Ctrl-C), writes
// bench/results/<latest|smoke|partial>.json and, for a full run, docs/benchmarks.md.
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { agentsSection } from './agents.js';
import { cleanupAll } from './cleanup.js';
import { cliStart } from './cli-start.js';
import { collectSection } from './collect.js';
import { containers, teardown } from './containers.js';
import { httpStep } from './http-step.js';
import { importTime } from './import-time.js';
import { k8sPool, k8sRemove, k8sStart } from './k8s-pods.js';
import { machineInfo } from './machine.js';
import { memory } from './memory.js';
import { parallel, parallelConnect } from './parallel.js';
import { poolSection } from './pool.js';
import { renderMarkdown, renderSummary, type BenchReport } from './report.js';
import { resumeMemory } from './resume-memory.js';
import { FULL, notRun, SMOKE, type BenchConfig, type SectionResult } from './section-result.js';
import { serverSection } from './server.js';
import { swarmParallel, swarmRemove, swarmStart } from './swarm.js';
import { swarmPool } from './swarm-pool.js';
import { swarmMultinode } from './swarm-multinode.js';
import { toolsSection } from './tools.js';
import { vector, vectorMemory } from './vector.js';
import { wsStep } from './ws-step.js';

const SECTIONS: Array<{ id: string; title: string; run: (config: BenchConfig) => Promise<SectionResult> }> = [
  { id: 'ws-step', title: 'WS step round trip', run: wsStep },
  { id: 'http-step', title: 'HTTP step', run: httpStep },
  { id: 'parallel', title: 'rollouts() and plain sessions vs N bare ws clients', run: parallel },
  { id: 'parallel-connect', title: 'rollouts() straight from connect (untyped, long episodes) vs N bare ws clients', run: parallelConnect },
  { id: 'containers', title: 'Containers: subscribe → first reset, unsubscribe → gone', run: containers },
  { id: 'teardown', title: 'Teardown: unsubscribe → container gone', run: teardown },
  { id: 'import-time', title: 'Import time of the main entry', run: importTime },
  { id: 'cli-start', title: 'CLI start: --version and --help vs node -e 0', run: cliStart },
  { id: 'memory', title: 'Memory over one long episode', run: memory },
  { id: 'server', title: 'Server under a bare ws client', run: serverSection },
  { id: 'swarm-start', title: 'Swarm service: subscribe → first reset', run: swarmStart },
  { id: 'swarm-remove', title: 'Swarm service: unsubscribe → container gone', run: swarmRemove },
  { id: 'swarm-parallel', title: 'Swarm services started in parallel: time to all ready', run: swarmParallel },
  { id: 'tools', title: 'MCP tools: callTool round trip, pipelined mcp calls', run: toolsSection },
  { id: 'pool', title: 'envPool: warm claim, cold start of a container pool', run: poolSection },
  { id: 'swarm-pool', title: 'envPool of swarm sessions: cold start vs sequential starts', run: swarmPool },
  { id: 'swarm-multinode', title: 'Swarm services started in parallel: three nodes vs one node', run: swarmMultinode },
  { id: 'k8s-start', title: 'Kubernetes pod: subscribe → first reset', run: k8sStart },
  { id: 'k8s-remove', title: 'Kubernetes pod: unsubscribe → pod gone', run: k8sRemove },
  { id: 'k8s-pool', title: 'envPool of 8 pod sessions: cold start vs 8 sequential starts', run: k8sPool },
  { id: 'vector', title: 'vectorEnv aggregate steps/s vs N bare ws clients', run: vector },
  { id: 'vector-memory', title: 'Memory over a long vectorEnv run', run: vectorMemory },
  { id: 'collect', title: 'collect: episodes per hour, 8 sessions vs a sequential loop (20 ms policy)', run: collectSection },
  { id: 'agents', title: 'Agents: episodes per hour, 8 in flight vs a sequential loop (200 ms model)', run: agentsSection },
  { id: 'resume-memory', title: 'collect --resume memory over 1M records vs a bare line reader', run: resumeMemory },
];

const RESULTS_DIR = fileURLToPath(new URL('../../bench/results/', import.meta.url));
const DOCS_FILE = fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url));

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { smoke: { type: 'boolean', default: false }, only: { type: 'string' }, note: { type: 'string' } },
  });
  const config = values.smoke ? SMOKE : FULL;
  const only = values.only?.split(',').map((s) => s.trim());
  const unknown = only?.filter((id) => !SECTIONS.some((s) => s.id === id)) ?? [];
  if (unknown.length > 0) throw new Error(`unknown section(s) ${unknown.join(', ')}; known: ${SECTIONS.map((s) => s.id).join(', ')}`);

  const machine = machineInfo();
  const started = performance.now();
  const sections: SectionResult[] = [];
  for (const section of SECTIONS) {
    if (only && !only.includes(section.id)) continue;
    process.stdout.write(`bench: ${section.id} ...\n`);
    const t = performance.now();
    let result: SectionResult;
    try {
      result = await section.run(config);
    } catch (error) {
      process.stderr.write(`bench: ${section.id} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      result = notRun(section.id, section.title, 'failed', error instanceof Error ? error.message : String(error));
    } finally {
      await cleanupAll(); // whatever the section left behind, before the next one measures
    }
    result.durationMs = Math.round(performance.now() - t);
    sections.push(result);
  }
  machine.loadAverageEnd = Number(os.loadavg()[0]!.toFixed(2));
  const report: BenchReport = {
    mode: config.smoke ? 'smoke' : 'full',
    machine,
    ...(values.note && { note: values.note }),
    totalMs: Math.round(performance.now() - started),
    sections,
  };
  await mkdir(RESULTS_DIR, { recursive: true });
  const name = only ? 'partial' : config.smoke ? 'smoke' : 'latest';
  await writeFile(`${RESULTS_DIR}${name}.json`, `${JSON.stringify(report, null, 2)}\n`);
  if (!only && !config.smoke) await writeFile(DOCS_FILE, renderMarkdown(report));
  process.stdout.write(`${renderSummary(report)}\nbench: wrote bench/results/${name}.json${!only && !config.smoke ? ' and docs/benchmarks.md' : ''} in ${(report.totalMs / 1000).toFixed(1)} s\n`);
  // A bench is not a test: a missed target is reported, not fatal. A section that broke is.
  return sections.some((s) => s.status === 'failed') ? 1 : 0;
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(`bench: ${signal}, cleaning up\n`);
    void cleanupAll().finally(() => process.exit(130));
  });
}

try {
  process.exitCode = await main();
} catch (error) {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await cleanupAll();
}
