/**
 * The names a snippet may use without defining them, as a reader would assume them from the text
 * around it ("`env` is a session", "`url` your server"). A snippet gets only the names it uses
 * (found by the compiler's "cannot find name"), defined before its code.
 *
 * - Library names (`defineEnv`, `switchMap`, `z`, `TestScheduler`, `expect`, ...) are imported
 *   from the package or its peers, as a reader's file would.
 * - Context names below are defined for the env the snippet talks to (its kind). Those marked
 *   `opens` are a session, pool or vector env a whole program would have to open and close: a
 *   fragment using one runs when marked `doctest: with NAME (...)` (it is opened against the live
 *   server before the fragment and closed once its last statement's work is done: support/doctest-prelude.ts).
 *   Those marked `holds` are credentials or remote things no program here has: a snippet using one
 *   must be marked `compile-only`, which type-checks it against them.
 */

/**
 * The server a snippet talks to: the in-process server the placeholder URL is replaced with, or for
 * `corridor` (the task API) spec/interop/fixtures/corridor_env.py under the pinned OpenEnv release.
 */
export type SnippetKind = 'grid_world' | 'echo' | 'echo_mcp' | 'corridor';

interface ContextName {
  /** The definition, for the snippet's kind. `__rx` is openenv-rx, `__srv` openenv-rx/server, `__z` zod. */
  readonly code: (kind: SnippetKind) => string;
  /** Other context names the definition uses. */
  readonly uses?: (kind: SnippetKind) => readonly string[];
  /** True when a program cannot run with it (credentials, a remote manager): compile-only snippets only. */
  readonly holds?: boolean;
  /** A session, pool or vector env held open for the snippet: it runs only when its `with` marker names it. */
  readonly opens?: boolean;
  /** The snippet needs the Docker engine (the test image) or a swarm manager to run. */
  readonly needs?: 'docker';
}

/** The placeholder every snippet may use for "your server": replaced by a live server's URL before it runs. */
export const PLACEHOLDER_URL = 'http://127.0.0.1:8000';
/**
 * Stand for "your OpenAI-compatible endpoint" (vLLM's and llama.cpp's usual port, Ollama's): replaced by the
 * scripted Chat Completions server (spec/fixtures/llm-server.mjs, which plays the first offered tool) before a
 * snippet or shell block runs, so agent snippets run to their end without a model.
 */
export const PLACEHOLDER_LLM_URLS = ['http://127.0.0.1:8080', 'http://127.0.0.1:11434'] as const;
/** Stands for a generation-A server's URL (`legacyUrl`): replaced by spec/fixtures/legacy-echo-server.mjs's. */
export const PLACEHOLDER_LEGACY_URL = 'http://127.0.0.1:8001';
/** Stands for "your image" in a shell block (`--image my-env:latest`): replaced by the test server image (env `echo`; with `--k8s` the one on the nodes). */
export const PLACEHOLDER_CLI_IMAGE = 'my-env:latest';
/** Stands for "your namespace" in a shell block with `--k8s`: replaced by the test namespace, as `namespace: 'envs'` in a program. */
export const PLACEHOLDER_CLI_NAMESPACE = '--namespace envs';
/**
 * Stands for the env server image: replaced by the test image (docker/server-entry.mjs over dist/) of
 * the snippet's kind; in a Kubernetes snippet by the server image loaded on the cluster's nodes, which
 * serves `echo` unless the snippet sets `OPENENV_ENV` (as a user of docker/Dockerfile's image does).
 */
export const PLACEHOLDER_IMAGE = '__DOCTEST_IMAGE__';
/** Stands for "your namespace" in a Kubernetes snippet: replaced by the test namespace (OPENENV_RX_K8S_NAMESPACE, default `default`). */
export const PLACEHOLDER_NAMESPACE = "namespace: 'envs'";

const envOf = (kind: SnippetKind) => (kind === 'grid_world' ? 'GridWorld' : 'Echo');
const opened = (code: (kind: SnippetKind) => string): ContextName => ({ code, uses: (kind) => [envOf(kind), 'url'], opens: true });
const held = (code: (kind: SnippetKind) => string, uses: (kind: SnippetKind) => readonly string[] = (kind) => [envOf(kind), 'url']): ContextName => ({ code, uses, holds: true });

export const CONTEXT: Readonly<Record<string, ContextName>> = {
  url: { code: () => `const url = '${PLACEHOLDER_URL}';` },
  urls: { code: () => 'const urls = [url];', uses: () => ['url'] },
  GridWorld: {
    code: () =>
      "const GridWorld = __rx.defineEnv({ name: 'grid_world', action: __z.object({ action: __z.enum(['UP', 'DOWN', 'LEFT', 'RIGHT']) }), observation: __z.object({ x: __z.number(), y: __z.number(), message: __z.string() }) });",
  },
  Echo: {
    code: (kind) =>
      kind === 'echo_mcp'
        ? "const Echo = __rx.defineEnv({ name: 'echo_mcp', tools: { echo_message: __z.object({ message: __z.string() }) } });"
        : "const Echo = __rx.defineEnv({ name: 'echo', action: __z.object({ message: __z.string() }), observation: __z.object({ echoed_message: __z.string(), message_length: __z.number() }) });",
  },
  Env: { code: () => 'const Env = Echo;', uses: () => ['Echo'] },
  policy: {
    code: (kind) =>
      kind === 'grid_world'
        ? "const policy = (obs: { x: number }) => ({ action: obs.x < 4 ? 'DOWN' : 'RIGHT' }) as const;"
        : kind === 'echo_mcp'
          ? "const policy = () => Echo.toolCall('echo_message', { message: 'hi' });"
          : "const policy = () => ({ message: 'hi' });",
    uses: (kind) => (kind === 'echo_mcp' ? ['Echo'] : []),
  },
  image: { code: () => `const image: string = '${PLACEHOLDER_IMAGE}';`, needs: 'docker' },
  source: {
    code: () => 'const source = __rx.perServer(__rx.inProcessEndpoint(__srv.echoEnv, { maxSessions: 2 }), Echo.fromEndpoint);',
    uses: () => ['Echo'],
  },
  session$: { code: (kind) => `const session$ = ${envOf(kind)}.connect(url);`, uses: (kind) => [envOf(kind), 'url'] },
  testScheduler: { code: () => 'const testScheduler = new __TestScheduler((a, b) => __expect(a).toEqual(b));' },
  tools: { code: () => "const tools = { echo_message: __srv.defineTool({ input: __z.strictObject({ message: __z.string() }), handler: ({ message }) => message }) };" },
  // A session, pool or vector env opened for a `doctest: with NAME` fragment, closed after it.
  env: opened((kind) => `const env = await __hold(${envOf(kind)}.connect(url));`),
  session: opened((kind) => `const session = await __hold(${envOf(kind)}.connect(url));`),
  pool: opened((kind) => `const pool = await __hold(__rx.envPool(${envOf(kind)}.connect(url), { size: 1 }));`),
  venv: opened((kind) => `const venv = await __hold(__rx.vectorEnv(${envOf(kind)}.connect(url), { num: 2 }));`),
  actions: { code: (kind) => (kind === 'grid_world' ? "const actions = [{ action: 'DOWN' }, { action: 'DOWN' }] as const;" : "const actions = [{ message: 'hi' }, { message: 'hi' }];") },
  context: held(() => 'const context: __rx.ErrorContext = {};', () => []),
  run$: held(() => 'const run$ = __rx.rollouts(GridWorld.connect(url), policy, { sessions: 1, episodes: 1 });', () => ['GridWorld', 'url', 'policy']),
  // A generation-A server (spec/fixtures/legacy-echo-server.mjs), started when a snippet uses it.
  legacyUrl: { code: () => `const legacyUrl = '${PLACEHOLDER_LEGACY_URL}';` },
  // The reader's own Environment class (README, "Write your own env"): one coin flip per episode.
  CoinEnvironment: {
    code: () =>
      "class CoinEnvironment implements __srv.Environment<{ guess: 'heads' | 'tails' }, { correct: boolean }> { " +
      'reset() { return { observation: { correct: false }, reward: null, done: false }; } ' +
      "step({ guess }: { guess: 'heads' | 'tails' }) { const correct = guess === (Math.random() < 0.5 ? 'heads' : 'tails'); return { observation: { correct }, reward: correct ? 1 : 0, done: true }; } " +
      'state() { return { episode_id: null, step_count: 0 }; } }',
  },
  // Credentials and a remote manager (docs/scale-out.md): compile-only.
  action: held(() => "const action = __z.object({ action: __z.enum(['UP', 'DOWN', 'LEFT', 'RIGHT']) });", () => []),
  observation: held(() => 'const observation = __z.object({ x: __z.number(), y: __z.number(), message: __z.string() });', () => []),
  username: held(() => 'declare const username: string;', () => []),
  password: held(() => 'declare const password: string;', () => []),
  ca: held(() => 'declare const ca: string;', () => []),
  cert: held(() => 'declare const cert: string;', () => []),
  key: held(() => 'declare const key: string;', () => []),
};

/** Imports the context definitions use, by the alias they use. */
export const CONTEXT_IMPORTS: Readonly<Record<string, string>> = {
  __rx: "import * as __rx from 'openenv-rx';",
  __srv: "import * as __srv from 'openenv-rx/server';",
  __z: "import { z as __z } from 'zod';",
  __firstValueFrom: "import { firstValueFrom as __firstValueFrom } from 'rxjs';",
  __TestScheduler: "import { TestScheduler as __TestScheduler } from 'rxjs/testing';",
  __expect: "import { expect as __expect } from 'expect';",
  __hold: "import { hold as __hold, settle as __settle } from './doctest-prelude.js';",
};

/** The file (beside the snippets) `__hold` and `__settle` come from. */
export const PRELUDE_FILE = 'doctest-prelude.ts';

/** Where library names a snippet uses without importing come from, first match wins. */
export const AUTO_IMPORT_MODULES = ['openenv-rx', 'openenv-rx/server', 'openenv-rx/testing', 'rxjs', 'rxjs/testing', 'zod', 'expect'] as const;

/**
 * The kind of server a snippet talks to: the env it defines by name, else the one its context
 * names imply (tool calls: echo_mcp; `Echo`, `echoEnv`, `source`, a `{ message: '...' }` action: echo), else grid_world.
 */
export function snippetKind(code: string): SnippetKind {
  const named = /name:\s*'(grid_world|echo_mcp|echo)'/.exec(code);
  if (named) return named[1] as SnippetKind;
  if (/\btaskApi\b/.test(code)) return 'corridor'; // only OpenEnv's own server (0.10+) has the task API
  if (/\b(toolCall|callTool|listTools|echoMcpEnv)\b/.test(code)) return 'echo_mcp';
  if (/\b(Echo|echoEnv|source)\b|\{ message: '/.test(code)) return 'echo';
  return 'grid_world';
}
