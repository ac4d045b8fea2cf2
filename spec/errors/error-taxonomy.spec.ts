import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { inspect } from 'node:util';
import { Subject, share } from 'rxjs';
import {
  ConnectionClosedError,
  ConnectionError,
  OpenEnvError,
  SessionStateError,
  TimeoutError,
  TIMEOUT_PHASES,
} from '../../src/errors/index.js';
import { withContext } from '../../src/internal/error-context.js';
import { createSession } from '../../src/session/create-session.js';
import { fakeTransport } from '../../src/testing/fake-transport.js';
import { repoPath } from '../fixtures/test-image.js';

/** Every `.ts` file under `dir`, recursively. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}
const SRC = repoPath('src');
const ERRORS = join(SRC, 'errors');
const codesIn = (text: string): string[] => [...text.matchAll(/'(ERR_[A-Z_]+)'/g)].map((m) => m[1]!);
/** The members of the `ErrorCode` union (one `| 'ERR_...'` per line; comments ignored). */
const LISTED = [...readFileSync(join(ERRORS, 'error-codes.ts'), 'utf8').matchAll(/^\s*\|\s*'(ERR_[A-Z_]+)'/gm)].map((m) => m[1]!);

describe('error taxonomy', () => {
  it('ErrorCode lists exactly the codes the classes in src/errors emit, each once', () => {
    const emitted = sources(ERRORS)
      .filter((file) => !file.endsWith('error-codes.ts'))
      .flatMap((file) => codesIn(readFileSync(file, 'utf8').replace(/\/\*\*[\s\S]*?\*\//g, '')));
    expect(LISTED.length).toBeGreaterThan(20);
    expect(new Set(LISTED).size).toBe(LISTED.length);
    expect([...new Set(emitted)].sort()).toEqual([...LISTED].sort());
  });

  it('outside src/errors: no error class, no anonymous OpenEnvError, no code that is not in ErrorCode', () => {
    const offenders = sources(SRC)
      .filter((file) => !file.startsWith(ERRORS))
      .flatMap((file) => {
        const text = readFileSync(file, 'utf8');
        const found: string[] = [];
        if (/new OpenEnvError\(/.test(text)) found.push('new OpenEnvError(');
        if (/class \w+ extends \w*Error\b/.test(text)) found.push('an error class');
        for (const code of codesIn(text)) if (!LISTED.includes(code)) found.push(code);
        return found.map((what) => `${relative(SRC, file)}: ${what}`);
      });
    expect(offenders).toEqual([]);
  });

  it('TIMEOUT_PHASES lists exactly the phases some TimeoutError is emitted for', () => {
    const emitted = new Set(
      // A TimeoutError built with a literal phase, or through the operators' timeoutWithContext({ phase }).
      sources(SRC).flatMap((file) =>
        [...readFileSync(file, 'utf8').matchAll(/new TimeoutError\(\s*'(\w+)'|timeoutWithContext(?:<[^>]*>)?\(\{[^}]*\bphase: '(\w+)'/g)].map((m) => (m[1] ?? m[2])!),
      ),
    );
    expect([...emitted].sort()).toEqual([...TIMEOUT_PHASES].sort());
  });
});

describe('OpenEnvError.addContext never mutates the error', () => {
  const cause = new Error('ECONNRESET');
  const original = () => new ConnectionError('HTTP request failed', { url: 'http://127.0.0.1:1' }, { cause });

  it('returns a copy of the same class with the context merged under what was set, message and stack rewritten', () => {
    const error = original();
    const copy = error.addContext({ env: 'echo', url: 'http://other:2', stepIndex: 3 });
    expect(copy).not.toBe(error);
    expect(copy).toBeInstanceOf(ConnectionError);
    expect(copy).toBeInstanceOf(OpenEnvError);
    expect(copy.context).toEqual({ url: 'http://127.0.0.1:1', env: 'echo', stepIndex: 3 });
    expect(copy.message).toBe('HTTP request failed [env echo, http://127.0.0.1:1, step 3]');
    expect(copy.stack?.split('\n')[0]).toBe('ConnectionError: HTTP request failed [env echo, http://127.0.0.1:1, step 3]');
    expect(copy.cause).toBe(cause);
    expect(copy.code).toBe('ERR_CONNECTION');
    expect(copy.name).toBe('ConnectionError');
    expect(error.context).toEqual({ url: 'http://127.0.0.1:1' });
    expect(error.message).toBe('HTTP request failed [http://127.0.0.1:1]');
  });

  it('keeps subclass fields and getters', () => {
    const timeout = new TimeoutError('reply', 100, { request: 'step' }).addContext({ env: 'grid' });
    expect(timeout).toMatchObject({ phase: 'reply', timeoutMs: 100, context: { request: 'step', env: 'grid' } });
    const reset = new ConnectionError('x', {}, { cause: Object.assign(new Error('boom'), { code: 'ECONNRESET' }) }).addContext({ env: 'e' });
    expect(reset.systemCode).toBe('ECONNRESET');
    const closed = new ConnectionClosedError('closed', 1011, 'crash').addContext({ stepIndex: 2 });
    expect(closed).toMatchObject({ closeCode: 1011, reason: 'crash' });
  });

  it('returns the error itself when nothing new is added, and the same copy for the same additions', () => {
    const error = original();
    expect(error.addContext({})).toBe(error);
    expect(error.addContext({ url: 'http://elsewhere:3', env: undefined })).toBe(error);
    const first = error.addContext({ env: 'echo', stepIndex: 1 });
    expect(error.addContext({ env: 'echo', stepIndex: 1 })).toBe(first);
    expect(error.addContext({ env: 'echo', stepIndex: 2 })).not.toBe(first);
    expect(error.addContext({ detail: { a: 1 } })).not.toBe(error.addContext({ detail: { a: 1 } })); // objects are not compared
  });

  it('withContext returns the copy and passes anything else unchanged', () => {
    const error = original();
    const copy = withContext(error, { env: 'echo' });
    expect(copy).not.toBe(error);
    expect((copy as ConnectionError).context.env).toBe('echo');
    const plain = new Error('plain');
    expect(withContext(plain, { env: 'echo' })).toBe(plain);
    expect(plain).not.toHaveProperty('context');
  });

  it('an error shared by two sessions reaches each with its own context; the shared object is untouched', () => {
    const dropped = new ConnectionClosedError('socket closed by server', 1006, '', { url: 'http://127.0.0.1:8000' });
    const failure = new Subject<never>();
    const shared$ = failure.pipe(share());
    const seen: unknown[] = [];
    for (const name of ['left', 'right']) {
      createSession(fakeTransport({ failure$: shared$ }), { name }).failure$.subscribe({ error: (e: unknown) => seen.push(e) });
    }
    failure.error(dropped);
    expect(seen.map((e) => (e as ConnectionClosedError).context.env)).toEqual(['left', 'right']);
    expect(seen.map((e) => (e as Error).message)).toEqual([
      'socket closed by server [env left, http://127.0.0.1:8000, over ws, step 0]',
      'socket closed by server [env right, http://127.0.0.1:8000, over ws, step 0]',
    ]);
    expect(dropped.context).toEqual({ url: 'http://127.0.0.1:8000' });
  });

  it('has no public constructor: every failure kind is a subclass (checked by tsc; at runtime it still works for subclasses)', () => {
    const error = new SessionStateError('closed');
    expect(inspect(error)).toContain('SessionStateError: closed');
  });
});
