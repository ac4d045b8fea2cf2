import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtinEnvs } from '../../src/envs/index.js';
import { serve, type RunningServer } from '../../src/server/serve.js';
import { repoPath } from '../fixtures/test-image.js';

/**
 * Property-based fuzzing of the server's own `GET /openapi.json` with schemathesis (pinned in
 * python/fuzz-requirements.txt, venv made by scripts/fuzz-venv.sh), for every built-in env (the
 * tool env `echo_mcp` included): every check (no 5xx, status codes, content types and bodies
 * conforming to the document, invalid input rejected, valid input accepted). A small, seeded
 * budget here; `npm run fuzz:openapi` sets OPENENV_RX_FUZZ_EXAMPLES for the long run.
 */
const EXAMPLES = Number(process.env['OPENENV_RX_FUZZ_EXAMPLES'] ?? 10);
/** The suite's run fuzzes only; the long run adds the coverage phase (every boundary and negative case, deterministic, slow). */
const PHASES = process.env['OPENENV_RX_FUZZ_EXAMPLES'] ? 'coverage,fuzzing' : 'fuzzing';
const PARALLEL = 6; // all at once: most of a run is Python starting up
const RUN_TIMEOUT_MS = Math.max(120_000, EXAMPLES * 2_000);

const venvBin = ((): string | undefined => {
  const check = spawnSync(repoPath('scripts/fuzz-venv.sh'), ['--check'], { encoding: 'utf8' });
  return check.status === 0 ? check.stdout.trim() : undefined;
})();

function describeWithSchemathesis(): jest.Describe {
  if (venvBin || process.env['CI']) return describe;
  console.warn('schemathesis venv missing: skipping the OpenAPI fuzzer (run scripts/fuzz-venv.sh; with CI=true it fails instead)');
  return describe.skip;
}

let workDir = tmpdir();

function schemathesis(url: string): Promise<{ code: number; out: string }> {
  const args = ['run', `${url}/openapi.json`, '--checks', 'all', '--max-examples', String(EXAMPLES), '--seed', '7', '--workers', '1', '--phases', PHASES, '--no-color'];
  return new Promise((resolve) => {
    // Its own working directory: schemathesis keeps a `.schemathesis/` cache there.
    execFile(`${venvBin}/schemathesis`, args, { cwd: workDir, timeout: RUN_TIMEOUT_MS, maxBuffer: 32 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, out: `${stdout}\n${stderr}` });
    });
  });
}

describeWithSchemathesis()('schemathesis against /openapi.json of every built-in env', () => {
  const servers = new Map<string, RunningServer>();
  const errors: unknown[] = [];
  beforeAll(async () => {
    if (!venvBin) throw new Error('CI=true and the schemathesis venv is missing: .ci/run runs scripts/fuzz-venv.sh first');
    workDir = mkdtempSync(join(tmpdir(), 'openenv-rx-schemathesis-'));
    for (const [name, definition] of Object.entries(builtinEnvs)) {
      servers.set(name, await serve(definition, { maxSessions: 4, onError: (error, info) => errors.push({ name, info, error: String(error) }) }));
    }
  });
  afterAll(async () => {
    await Promise.all([...servers.values()].map((server) => server.close()));
    if (workDir !== tmpdir()) rmSync(workDir, { recursive: true, force: true });
  });

  it(`finds no failure (${EXAMPLES} examples per operation, seeded)`, async () => {
    const names = [...servers.keys()];
    const results: Array<{ name: string; code: number; out: string }> = [];
    for (let i = 0; i < names.length; i += PARALLEL) {
      const batch = names.slice(i, i + PARALLEL);
      results.push(...(await Promise.all(batch.map(async (name) => ({ name, ...(await schemathesis(servers.get(name)!.url)) })))));
    }
    const failed = results.filter((r) => r.code !== 0 || !/No issues found/.test(r.out));
    // The whole report of a failing env: schemathesis prints a curl line to reproduce each failure.
    expect(failed.map((r) => `${r.name} (exit ${r.code}):\n${r.out.slice(-6000)}`)).toEqual([]);
    expect(results.map((r) => r.name).sort()).toEqual(Object.keys(builtinEnvs).sort());
    // No env failure the fuzzer provoked (a 5xx would be one): the server saw none.
    expect(errors).toEqual([]);
  }, RUN_TIMEOUT_MS * 3);
});
