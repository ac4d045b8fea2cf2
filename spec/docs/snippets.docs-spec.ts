/**
 * The doc tests: every TypeScript/JavaScript block of README.md and docs/*.md, every `@example` of
 * the public API's JSDoc, and every shell block that runs the CLI, compiled and run against live
 * servers on 127.0.0.1. A snippet passes when it compiles and its program EXITS ON ITS OWN, with
 * status 0, within its bound (a program that never ends, e.g. one that keeps a session open with
 * `switchMap`, fails here), and printed no failed episodes or unhandled error (support/swallowed-failures.ts).
 *
 * Conventions a snippet may rely on (the reader assumes the same):
 * - `http://127.0.0.1:8000` means "your server": replaced by an in-process server of the env the
 *   snippet talks to (grid_world, echo or echo_mcp: see `snippetKind`), `port: 8000` by `port: 0`.
 * - Names it uses without defining are given: library names are imported (from openenv-rx,
 *   openenv-rx/server, openenv-rx/testing, rxjs, zod, expect), context names (`url`, `policy`,
 *   `GridWorld`, `Echo`, `image`, `env`, ...) are defined as in support/snippet-context.ts. `image`
 *   is the test server image; snippets starting containers or swarm services run on the real
 *   engine (skipped with a message without one, FAILED under CI=true).
 * - Snippets starting or reaping Kubernetes pods (`fromKubernetesPod`, `reapKubernetesPods`) run on
 *   the cluster KUBECONFIG (else ~/.kube/config) names, as `npm run test:k8s` does (skipped with a
 *   message when none answers, FAILED under CI=true). There `image` is the server image already on
 *   the nodes (OPENENV_RX_K8S_SERVER_IMAGE, else this checkout's, which must have been loaded:
 *   docs/kubernetes-cluster.md), serving `echo` unless the snippet sets `OPENENV_ENV`, and
 *   `namespace: 'envs'` means "your namespace": OPENENV_RX_K8S_NAMESPACE (default `default`). Every
 *   pod such a program created must be gone when it exits (checked with the reaper's labels).
 * - `http://127.0.0.1:8080` and `http://127.0.0.1:11434` (an OpenAI-compatible endpoint: vLLM, llama.cpp,
 *   Ollama) mean "your model": replaced by the scripted Chat Completions server
 *   (spec/fixtures/llm-server.mjs), which answers every request by calling the first offered tool.
 * - `legacyUrl` is a generation-A server (spec/fixtures/legacy-echo-server.mjs); `taskApi` talks to
 *   OpenEnv's own server (spec/interop/fixtures/corridor_env.py) and `'uvicorn'` runs from the pinned
 *   OpenEnv venv (scripts/interop-venv.sh) with OpenEnv's echo env at `envs/echo_env` (spec/docs/fixtures):
 *   without that venv they are skipped with a message, and FAIL under CI=true.
 * - A shell block runs in an empty project folder with `examples/` (this repo's) and an empty `src/`;
 *   `--image my-env:latest` is the test server image; with `--k8s` (run on the cluster, as programs
 *   starting pods are) the one on the nodes, and `--namespace envs` the test namespace.
 * - `<!-- doctest: with env (an open session) -->` (JSDoc: `<caption>doctest: with env (...)</caption>`):
 *   a fragment run inside a session (`env`, `session`), pool (`pool`) or vector env (`venv`) opened
 *   against the live server first and closed once the work of its last statement is done.
 * - `<!-- doctest: compile-only (reason) -->` before a markdown block, or
 *   `@example <caption>doctest: compile-only (reason)</caption>` in JSDoc: a fragment, type-checked
 *   but not run. `doctest: skip (reason)`: neither. Both are counted and listed by the last test.
 * - `openenv-rx` imports resolve to this package's built dist/ by self-reference (the snippets are
 *   compiled under tmp/ inside the package), as a consumer's would.
 */
import Docker from 'dockerode';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { serve, type RunningServer } from '../../src/server/serve.js';
import { echoEnv, echoMcpEnv, gridWorldEnv } from '../../src/envs/index.js';
import { ensureBuiltDist } from '../fixtures/built-dist.js';
import { dockerReachable, removeContainersOwnedBy } from '../fixtures/docker-test-support.js';
import { ensureServerImage, repoPath } from '../fixtures/test-image.js';
import { removeServicesOwnedBy, swarmReachable } from '../swarm/support/swarm-test-support.js';
import { loadCluster } from '../kubernetes/support/cluster.js';
import { deletePods, forCluster, podsOwnedBy } from './support/k8s-snippets.js';
import { compileSnippets, type CompiledSnippet } from './support/compile-snippets.js';
import { extractExamples } from './support/extract-examples.js';
import { extractMarkdown } from './support/extract-markdown.js';
import { kindImage } from './support/kind-image.js';
import { mapLimit, runBounded, type RunResult } from './support/run-bounded.js';
import { startLlmServer, type LlmServerProcess } from '../fixtures/llm-server-process.js';
import { startLegacyServer, type LegacyServerProcess } from '../fixtures/legacy-server-process.js';
import { startOpenEnvServer, type StartedServer } from '../interop/support/openenv-server.js';
import { findVenv, requireVenv, venvDir } from '../interop/support/openenv-venvs.js';
import { PLACEHOLDER_CLI_IMAGE, PLACEHOLDER_CLI_NAMESPACE, PLACEHOLDER_IMAGE, PLACEHOLDER_LEGACY_URL, PLACEHOLDER_LLM_URLS, PLACEHOLDER_URL, type SnippetKind } from './support/snippet-context.js';
import { appendFileSync, readFileSync as read, symlinkSync, writeFileSync } from 'node:fs';
import { cliArguments, runShellBlock, shellCommands } from './support/run-shell.js';
import { swallowedFailures } from './support/swallowed-failures.js';
import type { Snippet } from './support/snippet.js';

// Bounds for a loaded machine (2 cores, 8 test runs): a snippet takes 1-25 s, a CLI command up to a
// minute (docs/cli.md collects 1000 episodes); never ending is what they catch.
const BOUND_MS = { plain: 60_000, docker: 120_000, swarm: 150_000, k8s: 120_000, openenv: 150_000, shell: 180_000 } as const;
const SNIPPETS_AT_ONCE = 3;
const here = repoPath('spec/docs');
const openenv = findVenv('openenv');
const k8sNamespace = process.env['OPENENV_RX_K8S_NAMESPACE'] ?? 'default';

const markdownFiles = ['README.md', ...readdirSync(repoPath('docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const entryPoints = (JSON.parse(readFileSync(repoPath('typedoc.json'), 'utf8')) as { entryPoints: string[] }).entryPoints.map((e) => repoPath(e));
const snippets: Snippet[] = [
  ...markdownFiles.flatMap((file) => extractMarkdown(file, readFileSync(repoPath(file), 'utf8'))),
  ...extractExamples(repoPath(), entryPoints),
];
// A developer's loop (never in CI): DOCTEST_ONLY=regex runs the matching snippets only, DOCTEST_LOG=file
// appends each program's exit and stderr tail to a file as it ends.
const only = process.env['DOCTEST_ONLY'] ? new RegExp(process.env['DOCTEST_ONLY']) : undefined;
const runnable = snippets.filter((s) => s.lang === 'ts' && s.mode !== 'skip' && (!only || only.test(s.id)));
const shellBlocks = snippets.filter((s) => s.lang === 'sh' && s.mode === 'run' && (!only || only.test(s.id)));

type Outcome = { compiled: CompiledSnippet; run?: RunResult; skipped?: string; failure?: string };
type ShellResult = { failures: string[]; skipped?: string };

describe('doc snippets', () => {
  const outcomes = new Map<string, Outcome>();
  const shellOutcomes = new Map<string, ShellResult>();
  const servers = new Map<SnippetKind, RunningServer>();
  const childPids: number[] = [];
  const k8sPids: number[] = [];
  // Pods the Kubernetes snippets' programs left after they all ended (the last test fails on any).
  let podsLeft: string[] = [];
  let cluster: Awaited<ReturnType<typeof loadCluster>> | undefined;
  let dir: string;
  let docker: Docker;
  let llm: LlmServerProcess | undefined;
  let legacy: Promise<LegacyServerProcess> | undefined;
  let corridor: Promise<StartedServer> | undefined;

  beforeAll(async () => {
    await ensureBuiltDist();
    mkdirSync(repoPath('tmp'), { recursive: true });
    dir = mkdtempSync(join(repoPath('tmp'), 'doctest-'));
    const compiled = compileSnippets(runnable, dir);
    if (process.env['DOCTEST_LOG']) appendFileSync(process.env['DOCTEST_LOG'], `compiled ${runnable.length} snippets: ${Math.round(process.uptime())} s after start\n`);
    for (const [kind, definition] of [['grid_world', gridWorldEnv], ['echo', echoEnv], ['echo_mcp', echoMcpEnv]] as const) {
      servers.set(kind, await serve(definition, { maxSessions: 64 })); // snippets run 3 at a time, pools of up to 8 each
    }
    llm = await startLlmServer();
    const llmUrls = Object.fromEntries(PLACEHOLDER_LLM_URLS.map((placeholder) => [placeholder, llm!.url]));
    docker = new Docker();
    const hasDocker = await dockerReachable(docker);
    const hasSwarm = hasDocker && (await swarmReachable(docker));
    cluster = await loadCluster();
    let k8sImage: Promise<string> | undefined;
    const serverImageOnNodes = () => Promise.resolve(process.env['OPENENV_RX_K8S_SERVER_IMAGE'] ?? ensureServerImage());
    let baseImage: Promise<string> | undefined;
    const images = new Map<SnippetKind, Promise<string>>();
    const imageFor = (kind: SnippetKind) => {
      baseImage ??= ensureServerImage();
      if (!images.has(kind)) images.set(kind, baseImage.then((base) => kindImage(base, kind)));
      return images.get(kind)!;
    };
    const runShell = async (snippet: Snippet, i: number): Promise<ShellResult> => {
      const commands = shellCommands(snippet.code);
      const notCli = commands.filter((command) => cliArguments(command) === undefined);
      if (notCli.length > 0) return { failures: [`runs ${notCli.join('; ')}, not the CLI: mark the block \`<!-- doctest: skip (reason) -->\``] };
      const needs = /--k8s\b/.test(snippet.code) ? 'k8s' : /--swarm\b/.test(snippet.code) ? 'swarm' : /--image\b/.test(snippet.code) ? 'docker' : undefined;
      const missing =
        needs === 'k8s'
          ? !cluster!.reachable && `a reachable Kubernetes cluster (KUBECONFIG: ${cluster!.why})`
          : needs === 'swarm' && !hasSwarm
            ? 'a swarm manager'
            : needs && !hasDocker && 'a Docker engine';
      if (missing && !process.env['CI']) return { failures: [], skipped: `needs ${missing}` };
      if (needs === 'k8s' && !cluster!.reachable) return { failures: [`no reachable Kubernetes cluster (KUBECONFIG): ${cluster!.why}`] };
      const kind = (/--env (grid_world|echo_mcp|echo)\b/.exec(snippet.code)?.[1] ?? 'grid_world') as SnippetKind;
      const cwd = join(dir, 'cwd', `sh-${i}`);
      mkdirSync(cwd, { recursive: true });
      symlinkSync(repoPath('examples'), join(cwd, 'examples'));
      mkdirSync(join(cwd, 'src')); // a reader's project has one (`openenv-rx types ... > src/grid-world.ts`)
      const result = await runShellBlock(snippet.code, {
        cli: repoPath('dist/cli/main.js'),
        cwd,
        url: servers.get(kind)!.url,
        timeoutMs: needs ? BOUND_MS[needs] : BOUND_MS.shell,
        replace: {
          ...llmUrls,
          ...(needs === 'k8s'
            ? { [PLACEHOLDER_CLI_IMAGE]: await (k8sImage ??= serverImageOnNodes()), [PLACEHOLDER_CLI_NAMESPACE]: `--namespace ${k8sNamespace}` }
            : needs && snippet.code.includes(PLACEHOLDER_CLI_IMAGE) && { [PLACEHOLDER_CLI_IMAGE]: await imageFor('echo') }),
        },
      });
      for (const run of result.runs) if (run.pid) (needs === 'k8s' ? k8sPids : childPids).push(run.pid);
      if (process.env['DOCTEST_LOG']) appendFileSync(process.env['DOCTEST_LOG'], `${snippet.id} (shell): ${result.failures.length ? 'FAILED' : 'ok'} ${result.runs.reduce((ms, run) => ms + run.ms, 0)} ms\n`);
      const swallowed = result.runs.flatMap((run) => swallowedFailures(`${run.stdout}\n${run.stderr}`));
      return { failures: [...result.failures, ...swallowed.map((sign) => `exited 0 but printed ${sign}`)] };
    };
    // Shell blocks 2 at a time beside the programs: one at a time they were the longest chain (~3.5 min,
    // docs/cli.md's 1000-episode collect alone 1.5 min).
    const shellResults = mapLimit(shellBlocks, 2, runShell);
    // 3 programs at a time: most of a snippet's 1-3 s is Node starting and importing the library, which
    // overlaps well even on 2 busy cores (one at a time, the runs alone took ~4 min here).
    const results = await mapLimit(compiled, SNIPPETS_AT_ONCE, async (c, i): Promise<Outcome> => {
      if (c.errors.length > 0 || c.snippet.mode !== 'run') return { compiled: c };
      const missing =
        c.needs === 'openenv'
          ? !openenv && `the pinned OpenEnv venv (${venvDir('openenv')}: scripts/interop-venv.sh)`
          : c.needs === 'k8s'
            ? !cluster!.reachable && `a reachable Kubernetes cluster (KUBECONFIG: ${cluster!.why}; scripts/k8s-cluster.sh up makes one)`
            : c.needs === 'swarm' && !hasSwarm
              ? 'a swarm manager'
              : c.needs && !hasDocker && 'a Docker engine';
      if (missing && !process.env['CI']) return { compiled: c, skipped: `needs ${missing}` };
      const cwd = join(dir, 'cwd', String(i));
      mkdirSync(cwd, { recursive: true });
      const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '' };
      try {
        // Under CI=true what is missing (the venv: requireVenv's error; the engine: the image build's) fails this snippet here.
        const url = c.kind === 'corridor' ? (await (corridor ??= startOpenEnvServer(requireVenv('openenv'), 'corridor_env'))).url : servers.get(c.kind)!.url;
        let js = read(c.file, 'utf8').replaceAll(PLACEHOLDER_URL, url).replace(/\bport: 8000\b/g, 'port: 0');
        for (const placeholder of PLACEHOLDER_LLM_URLS) js = js.replaceAll(placeholder, llm!.url);
        if (c.needs === 'k8s') {
          if (!cluster!.reachable) throw new Error(`no reachable Kubernetes cluster (KUBECONFIG): ${cluster!.why}`);
          k8sImage ??= serverImageOnNodes();
          js = forCluster(js, { image: await k8sImage, namespace: k8sNamespace });
        }
        if (js.includes(PLACEHOLDER_LEGACY_URL)) js = js.replaceAll(PLACEHOLDER_LEGACY_URL, (await (legacy ??= startLegacyServer())).url);
        if (js.includes(PLACEHOLDER_IMAGE)) js = js.replaceAll(PLACEHOLDER_IMAGE, await imageFor(c.kind));
        writeFileSync(c.file, js);
        if (c.needs === 'openenv') {
          // `uvicorn envs.echo_env.server.app:app` as written: the venv's uvicorn, OpenEnv's echo env at envs/ (spec/docs/fixtures).
          symlinkSync(join(here, 'fixtures', 'envs'), join(cwd, 'envs'));
          Object.assign(env, { PATH: `${join(requireVenv('openenv').dir, 'bin')}:${env['PATH']}`, PYTHONUNBUFFERED: '1' });
        }
      } catch (error) {
        return { compiled: c, failure: `what it runs against could not be set up: ${error instanceof Error ? error.message : String(error)}` };
      }
      const run = await runBounded(process.execPath, [c.file], { cwd, timeoutMs: BOUND_MS[c.needs ?? 'plain'], env });
      if (run.pid) (c.needs === 'k8s' ? k8sPids : childPids).push(run.pid);
      if (process.env['DOCTEST_LOG']) appendFileSync(process.env['DOCTEST_LOG'], `${c.snippet.id}: ${run.timedOut ? 'TIMEOUT' : run.code} ${run.ms} ms\n${run.stdout.slice(-300)}${run.stderr.slice(-600)}\n`);
      return { compiled: c, run };
    });
    results.forEach((outcome) => outcomes.set(outcome.compiled.snippet.id, outcome));
    (await shellResults).forEach((result, i) => shellOutcomes.set(shellBlocks[i]!.id, result));
    if (cluster.reachable) podsLeft = await podsOwnedBy(cluster.kubeConfig, k8sNamespace, k8sPids);
  }, 900_000); // ~8 min with 2 cores shared by 8 test runs

  afterAll(async () => {
    await Promise.all([...servers.values()].map((server) => server.close()));
    await llm?.stop();
    await (await legacy?.catch(() => undefined))?.stop();
    await (await corridor?.catch(() => undefined))?.stop();
    if (docker && (await dockerReachable(docker))) {
      // What a snippet stopped at its bound may have left (its exit hook normally removes it).
      await removeServicesOwnedBy(docker, childPids).catch(() => 0);
      await removeContainersOwnedBy(docker, childPids);
    }
    // What a Kubernetes snippet stopped at its bound left (its exit hook normally deletes it), or kept.
    if (cluster?.reachable) await deletePods(cluster.kubeConfig, k8sNamespace, await podsOwnedBy(cluster.kubeConfig, k8sNamespace, k8sPids).catch(() => []));
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  // DOCTEST_ONLY may leave a table empty, which it.each refuses.
  const eachId = (list: readonly Snippet[]) => (list.length > 0 ? it.each(list.map((s) => [s.id])) : it.skip.each([['(none selected)']]));

  eachId(runnable)('%s compiles and runs to its end', (id) => {
    const outcome = outcomes.get(id)!;
    const { snippet, errors } = outcome.compiled;
    expect({ id, errors }).toEqual({ id, errors: [] });
    if (snippet.mode !== 'run') return; // compile-only: listed below
    if (outcome.skipped) {
      console.warn(`${id}: not run, ${outcome.skipped} (with CI=true it fails instead)`);
      return;
    }
    expect({ id, failure: outcome.failure }).toEqual({ id, failure: undefined });
    const run = outcome.run!;
    const verdict = run.timedOut ? `still running after ${BOUND_MS[outcome.compiled.needs ?? 'plain'] / 1000} s (it never lets go of what it opened?)` : `exit ${run.code ?? run.signal}`;
    expect({ id, verdict, stderr: run.code === 0 && !run.timedOut ? '' : run.stderr.slice(-2000) }).toEqual({ id, verdict: 'exit 0', stderr: '' });
    // Exit 0 is not enough: a program that lost episodes or swallowed an error on the way passed nothing.
    expect({ id, swallowed: swallowedFailures(`${run.stdout}\n${run.stderr}`) }).toEqual({ id, swallowed: [] });
  });

  eachId(shellBlocks)('%s (shell) runs the CLI to its end', (id) => {
    const outcome = shellOutcomes.get(id)!;
    if (outcome.skipped) {
      console.warn(`${id}: not run, ${outcome.skipped} (with CI=true it fails instead)`);
      return;
    }
    expect({ id, failures: outcome.failures }).toEqual({ id, failures: [] });
  });

  it('the Kubernetes snippets left no pod behind (listed by the reaper\'s owner labels once they all ended)', () => {
    expect(podsLeft).toEqual([]);
  });

  it('lists the snippets that are compiled but not run, or skipped, each with its reason', () => {
    const marked = snippets.filter((s) => s.mode !== 'run');
    for (const s of marked) expect({ id: s.id, reason: s.reason }).toEqual({ id: s.id, reason: expect.stringMatching(/\S{3}/) });
    const ran = [...outcomes.values()].filter((o) => o.run).length + [...shellOutcomes.values()].filter((o) => !o.skipped).length;
    console.log(
      [
        `doc tests: ${snippets.length} snippets, ${ran} run, ${marked.filter((s) => s.mode === 'compile-only').length} compile-only, ${marked.filter((s) => s.mode === 'skip').length} skipped`,
        ...marked.map((s) => `  ${s.mode.padEnd(12)} ${s.id}: ${s.reason}`),
      ].join('\n'),
    );
  });
});
