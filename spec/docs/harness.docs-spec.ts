/**
 * The doc-test harness itself: markers are read, names a snippet leaves undefined are given, a
 * fragment that needs a held session is refused unless marked, and a program that keeps a session
 * open with `switchMap` (what docs/tools.md showed before) is caught at its bound while the
 * `withSession` version exits; a `doctest: with env` fragment runs inside a session the harness
 * opens and closes; output that shows swallowed failures is caught.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { echoMcpEnv } from '../../src/envs/index.js';
import { serve, type RunningServer } from '../../src/server/serve.js';
import { ensureBuiltDist } from '../fixtures/built-dist.js';
import { holdInChild, killed } from '../fixtures/hold-in-child.js';
import { ensureServerImage, repoPath } from '../fixtures/test-image.js';
import { loadCluster } from '../kubernetes/support/cluster.js';
import { describeOrSkip } from '../support/describe-or-skip.js';
import { pollUntil } from '../support/poll.js';
import { compileSnippets, type CompiledSnippet } from './support/compile-snippets.js';
import { extractMarkdown } from './support/extract-markdown.js';
import { runBounded } from './support/run-bounded.js';
import { deletePods, forCluster, podsOwnedBy } from './support/k8s-snippets.js';
import { PLACEHOLDER_IMAGE, PLACEHOLDER_URL } from './support/snippet-context.js';
import type { Snippet } from './support/snippet.js';
import { swallowedFailures } from './support/swallowed-failures.js';

const callTool = (operator: string): Snippet => ({
  id: `tools-${operator}`,
  lang: 'ts',
  mode: 'run',
  code: [
    `import { ${operator} } from '${operator === 'switchMap' ? 'rxjs' : 'openenv-rx'}';`,
    "import { z } from 'zod';",
    "const Echo = defineEnv({ name: 'echo_mcp', tools: { echo_message: z.object({ message: z.string() }) } });",
    `Echo.connect('${PLACEHOLDER_URL}').pipe(${operator}((env) => env.callTool('echo_message', { message: 'hi' }))).subscribe((r) => console.log(r.value));`,
  ].join('\n'),
});

const cluster = await loadCluster();
const k8sNamespace = process.env['OPENENV_RX_K8S_NAMESPACE'] ?? 'default';

describe('doc-test harness', () => {
  let dir: string;
  let server: RunningServer;
  let compiled: Map<string, CompiledSnippet>;

  beforeAll(async () => {
    await ensureBuiltDist();
    mkdirSync(repoPath('tmp'), { recursive: true });
    dir = mkdtempSync(join(repoPath('tmp'), 'doctest-harness-'));
    server = await serve(echoMcpEnv);
    const snippets: Snippet[] = [
      callTool('switchMap'),
      callTool('withSession'),
      { id: 'fragment', lang: 'ts', mode: 'run', code: "env.step({ message: 'hi' }).subscribe();" },
      { id: 'marked-fragment', lang: 'ts', mode: 'compile-only', reason: 'env is open', code: "env.step({ message: 'hi' }).subscribe();" },
      { id: 'with-env', lang: 'ts', mode: 'run', with: ['env'], code: "env.callTool('echo_message', { message: 'hi' })\n  .subscribe((r) => console.log(r.value));" },
      { id: 'with-unused', lang: 'ts', mode: 'run', with: ['pool'], code: "env.callTool('echo_message', { message: 'hi' }).subscribe();" },
      { id: 'wrong-type', lang: 'ts', mode: 'run', code: "const n: number = summarize([]).episodes;\nconst s: string = n;" },
      { id: 'k8s-pod', lang: 'ts', mode: 'run', code: "fromKubernetesPod(image, { namespace: 'envs' }).pipe(take(1)).subscribe((e) => console.log(e.podName));" },
      { id: 'k8s-reap', lang: 'ts', mode: 'run', code: "const { removed } = await reapKubernetesPods({ namespace: 'envs' });\nconsole.log(removed);" },
      { id: 'docker-image', lang: 'ts', mode: 'run', code: "Echo.fromDockerImage(image).pipe(withSession((env) => env.reset())).subscribe();" },
    ];
    compiled = new Map(compileSnippets(snippets, dir).map((c) => [c.snippet.id, c]));
  }, 240_000);

  afterAll(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const run = (id: string, timeoutMs: number) => {
    const { file } = compiled.get(id)!;
    writeFileSync(file, readFileSync(file, 'utf8').replaceAll(PLACEHOLDER_URL, server.url));
    return runBounded(process.execPath, [file], { cwd: dir, timeoutMs, env: { ...process.env, NODE_OPTIONS: '' } });
  };

  it('imports the library names a snippet uses without importing them (defineEnv here)', () => {
    expect(compiled.get('tools-withSession')!.errors).toEqual([]);
    expect(readFileSync(join(dir, 'src', 'snippet-1.ts'), 'utf8')).toMatch(/^import \{ defineEnv \} from 'openenv-rx';$/m);
  });

  it('a switchMap program never exits: stopped at its bound and reported', async () => {
    const result = await run('tools-switchMap', 8_000);
    expect({ timedOut: result.timedOut, printed: result.stdout.trim() }).toEqual({ timedOut: true, printed: 'hi' });
  }, 30_000);

  it('the withSession program exits 0 on its own once the call is answered', async () => {
    const result = await run('tools-withSession', 60_000);
    expect({ timedOut: result.timedOut, code: result.code, printed: result.stdout.trim() }).toEqual({ timedOut: false, code: 0, printed: 'hi' });
    expect(server.activeSessions()).toBe(0);
  }, 90_000);

  it('refuses an unmarked fragment that needs a held session, type-checks a marked one', () => {
    expect(compiled.get('fragment')!.errors).toEqual([expect.stringMatching(/^uses env, which a program would have to hold open/)]);
    expect(compiled.get('marked-fragment')!.errors).toEqual([]);
  });

  it('runs a `with env` fragment inside a session it opens first and closes once the fragment is done', async () => {
    expect(compiled.get('with-env')!.errors).toEqual([]);
    const result = await run('with-env', 60_000);
    expect({ timedOut: result.timedOut, code: result.code, printed: result.stdout.trim(), stderr: result.stderr }).toEqual({ timedOut: false, code: 0, printed: 'hi', stderr: '' });
    expect(server.activeSessions()).toBe(0);
  }, 90_000);

  it('refuses a `with` marker naming what the fragment does not use, and still the names it uses unmarked', () => {
    expect(compiled.get('with-unused')!.errors).toEqual([
      expect.stringMatching(/^uses env, which a program would have to hold open/),
      'its marker names pool, which it does not use',
    ]);
  });

  it('finds failures a program swallowed in what it printed, and nothing in a clean run', () => {
    expect(swallowedFailures('collect: episode 3 failed: ECONNRESET\n')).toEqual(expect.arrayContaining([expect.stringMatching(/^collect's per-episode failure line/)]));
    expect(swallowedFailures('  planned 10: recorded 9 now + 0 before, failed 1, not run 0')).toEqual(expect.arrayContaining([expect.stringMatching(/^a summary counting failed episodes/)]));
    expect(swallowedFailures("{ episodes: 4, failed: 2, meanReturn: 1 }")).toEqual(expect.arrayContaining([expect.stringMatching(/^a logged summary with failed episodes/)]));
    expect(swallowedFailures('[UnhandledPromiseRejection: This error originated ...]')).toEqual(expect.arrayContaining([expect.stringMatching(/^an unhandled error/)]));
    expect(swallowedFailures('  planned 10: recorded 10 now + 0 before, failed 0, not run 0\n{ episodes: 4, failed: 0 }\n12 passed, 0 failed')).toEqual([]);
  });

  it('a snippet that starts or reaps pods needs a Kubernetes cluster (not the Docker engine its `image` would imply)', () => {
    expect(['k8s-pod', 'k8s-reap', 'docker-image'].map((id) => [id, compiled.get(id)!.errors, compiled.get(id)!.needs])).toEqual([
      ['k8s-pod', [], 'k8s'],
      ['k8s-reap', [], 'k8s'],
      ['docker-image', [], 'docker'],
    ]);
  });

  it("runs a Kubernetes snippet with the image loaded on the nodes and the test namespace for `namespace: 'envs'`, nothing else rewritten", () => {
    const js = readFileSync(compiled.get('k8s-pod')!.file, 'utf8');
    const rewritten = forCluster(js, { image: 'openenv-rx-server:abc', namespace: 'ci-ns' });
    expect(rewritten).toContain("const image = 'openenv-rx-server:abc';");
    expect(rewritten).toContain("fromKubernetesPod(image, { namespace: 'ci-ns' })");
    expect(rewritten.replace('openenv-rx-server:abc', PLACEHOLDER_IMAGE).replace("namespace: 'ci-ns'", "namespace: 'envs'")).toBe(js);
    expect(forCluster("fromKubernetesPod(image, { namespace: 'no-such-namespace' })", { image: 'i', namespace: 'ci-ns' })).toBe("fromKubernetesPod(image, { namespace: 'no-such-namespace' })");
  });

  it('reports type errors at the snippet own line numbers', () => {
    expect(compiled.get('wrong-type')!.errors).toEqual([expect.stringMatching(/^line 2: TS2322 /)]);
  });

  it('reads markers before fenced blocks, indented blocks, and leaves non-program blocks out', () => {
    const md = [
      '<!-- doctest: skip (needs the reader\'s registry) -->',
      '',
      '```ts',
      'a();',
      '```',
      '1. item',
      '   ```ts',
      '   b();',
      '   ```',
      '```json',
      '{}',
      '```',
      '<!-- doctest: with env, pool (an open session and pool) -->',
      '```ts',
      'c();',
      '```',
      '<!-- doctest: compile-only — a fragment -->',
      '```sh',
      'openenv-rx --version',
      '```',
    ].join('\n');
    expect(extractMarkdown('x.md', md)).toEqual([
      { id: 'x.md:3', lang: 'ts', code: 'a();\n', mode: 'skip', reason: "needs the reader's registry" },
      { id: 'x.md:7', lang: 'ts', code: 'b();\n', mode: 'run' },
      { id: 'x.md:14', lang: 'ts', code: 'c();\n', mode: 'run', with: ['env', 'pool'], reason: 'an open session and pool' },
      { id: 'x.md:18', lang: 'sh', code: 'openenv-rx --version\n', mode: 'compile-only', reason: 'a fragment' },
    ]);
  });
});

describeOrSkip(cluster.reachable, `No reachable Kubernetes cluster (${cluster.why}): skipping the doc-test harness's pod check (with CI=true it fails instead)`)('doc-test harness: the pods a Kubernetes snippet left', () => {
  const children: ChildProcess[] = [];
  afterAll(async () => {
    await Promise.all(children.map(killed));
    // A failed expectation leaves the killed child's pod: delete it here.
    if (cluster.reachable) await deletePods(cluster.kubeConfig, k8sNamespace, await podsOwnedBy(cluster.kubeConfig, k8sNamespace, children.flatMap((c) => (c.pid ? [c.pid] : []))));
  });

  it("lists the pod of a program killed with SIGKILL by its pid (and nothing of a pid that owns none), and deletes it", async () => {
    if (!cluster.reachable) throw new Error(`CI=true but no reachable Kubernetes cluster: ${cluster.why}`);
    const image = process.env['OPENENV_RX_K8S_SERVER_IMAGE'] ?? (await ensureServerImage());
    const { child, report } = await holdInChild<{ podName: string }>('spec/kubernetes/support/hold-pod.ts', [image, k8sNamespace], children, 100_000);
    await killed(child); // no exit hook runs: the pod stays, as after a snippet stopped at its bound
    expect(await podsOwnedBy(cluster.kubeConfig, k8sNamespace, [child.pid!, process.pid])).toEqual([report.podName]);
    expect(await podsOwnedBy(cluster.kubeConfig, k8sNamespace, [process.pid])).toEqual([]);
    await deletePods(cluster.kubeConfig, k8sNamespace, [report.podName]);
    await pollUntil(async () => (await podsOwnedBy(cluster.kubeConfig, k8sNamespace, [child.pid!])).length === 0, `pod ${report.podName} to be gone`, { timeoutMs: 60_000, intervalMs: 200 });
  }, 180_000);
});
