/**
 * The doc-test harness itself: markers are read, names a snippet leaves undefined are given, a
 * fragment that needs a held session is refused unless marked, and a program that keeps a session
 * open with `switchMap` (what docs/tools.md showed before) is caught at its bound while the
 * `withSession` version exits.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { echoMcpEnv } from '../../src/envs/index.js';
import { serve, type RunningServer } from '../../src/server/serve.js';
import { ensureBuiltDist } from '../fixtures/built-dist.js';
import { repoPath } from '../fixtures/test-image.js';
import { compileSnippets, type CompiledSnippet } from './support/compile-snippets.js';
import { extractMarkdown } from './support/extract-markdown.js';
import { runBounded } from './support/run-bounded.js';
import { PLACEHOLDER_URL } from './support/snippet-context.js';
import type { Snippet } from './support/snippet.js';

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
      { id: 'wrong-type', lang: 'ts', mode: 'run', code: "const n: number = summarize([]).episodes;\nconst s: string = n;" },
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
      '<!-- doctest: compile-only — a fragment -->',
      '```sh',
      'openenv-rx --version',
      '```',
    ].join('\n');
    expect(extractMarkdown('x.md', md)).toEqual([
      { id: 'x.md:3', lang: 'ts', code: 'a();\n', mode: 'skip', reason: "needs the reader's registry" },
      { id: 'x.md:7', lang: 'ts', code: 'b();\n', mode: 'run' },
      { id: 'x.md:14', lang: 'sh', code: 'openenv-rx --version\n', mode: 'compile-only', reason: 'a fragment' },
    ]);
  });
});
