import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoPath } from '../fixtures/test-image.js';
import { closedPort, writeKubeconfig } from '../kubernetes/support/unreachable-kubeconfig.js';

// The engine suites' contract with CI: without an engine they FAIL under CI=true (a missing Docker
// must never pass a CI run as skipped tests) and skip elsewhere. Shown on a jest child whose
// DOCKER_HOST names a socket nothing listens on, and whose KUBECONFIG names an API server on a
// closed 127.0.0.1 port (clusterSuite()).

interface JestJson {
  numFailedTests: number;
  numPassedTests: number;
  numPendingTests: number;
  testResults: Array<{ assertionResults: Array<{ title: string; status: string; failureMessages: string[] }> }>;
}

async function runFixture(ci: boolean): Promise<{ code: number | null; result: JestJson; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'openenv-rx-engine-suite-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DOCKER_HOST: `unix:///tmp/openenv-rx-no-engine-${process.pid}.sock`,
    KUBECONFIG: writeKubeconfig(dir, `https://127.0.0.1:${await closedPort()}`),
    NODE_OPTIONS: '--experimental-vm-modules',
  };
  delete env['CI'];
  delete env['JEST_WORKER_ID'];
  if (ci) env['CI'] = 'true';
  const outputFile = join(dir, 'result.json');
  const args = [repoPath('node_modules/jest/bin/jest.js'), '-c', repoPath('jest.config.js'), '--roots', repoPath('spec/support/fixtures')];
  args.push('--testMatch', '**/*.ci-fixture.ts', '--runInBand', '--json', '--outputFile', outputFile);
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: repoPath('.'), env, timeout: 90_000, maxBuffer: 10 * 1024 * 1024 }, (error, stdout, stderr) => {
      try {
        if (error && typeof error.code !== 'number') throw error;
        resolve({ code: typeof error?.code === 'number' ? error.code : 0, result: JSON.parse(readFileSync(outputFile, 'utf8')) as JestJson, stderr });
      } catch (cause) {
        reject(new Error(`the jest child left no result (${String(cause)}):\n${stdout}\n${stderr}`));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

const outcomes = (result: JestJson) => result.testResults.flatMap((file) => file.assertionResults.map((test) => [test.title, test.status]));

describe('dockerSuite()/swarmSuite()/clusterSuite() without an engine or cluster', () => {
  it('under CI=true: every test fails (DockerUnavailableError, or no reachable cluster) from the suite check, none skipped', async () => {
    const { code, result } = await runFixture(true);
    expect(code).toBe(1);
    expect(outcomes(result)).toEqual([
      ['runs only on an engine', 'failed'],
      ['runs only on a swarm manager', 'failed'],
      ['runs only on a cluster', 'failed'],
    ]);
    const failures = result.testResults.flatMap((file) => file.assertionResults.map((test) => test.failureMessages.join('\n')));
    for (const message of failures.slice(0, 2)) expect(message).toMatch(/DockerUnavailableError|ERR_DOCKER_UNAVAILABLE/);
    expect(failures[2]).toMatch(/CI=true but no reachable Kubernetes cluster: .*ECONNREFUSED/);
  }, 100_000);

  it('outside CI: every suite skips with a message, and the run passes', async () => {
    const { code, result, stderr } = await runFixture(false);
    expect(code).toBe(0);
    expect(outcomes(result)).toEqual([
      ['runs only on an engine', 'pending'],
      ['runs only on a swarm manager', 'pending'],
      ['runs only on a cluster', 'pending'],
    ]);
    expect(stderr).toMatch(/Docker engine unreachable: skipping/);
    expect(stderr).toMatch(/No swarm manager .*: skipping swarm tests/);
    expect(stderr).toMatch(/No reachable Kubernetes cluster \(.*ECONNREFUSED.*\): skipping Kubernetes tests/);
  }, 100_000);
});
