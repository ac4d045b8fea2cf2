import { readFileSync } from 'node:fs';
import { lastValueFrom, of } from 'rxjs';
import ts from 'typescript';
import { z } from 'zod';
import { ActionValidationError } from '../../src/errors/index.js';
import { createSession } from '../../src/session/create-session.js';
import { defineEnv } from '../../src/session/define-env.js';
import type { ActionOf } from '../../src/session/env-spec.js';
import { fakeTransport } from '../../src/testing/fake-transport.js';
import { repoPath } from '../fixtures/test-image.js';

const FIXTURE = repoPath('spec/session/fixtures/env-types.fixture.ts');
/** The fixture with two lines broken (see below); it exists only in the program, beside the fixture so its imports resolve. */
const BROKEN = repoPath('spec/session/fixtures/env-types-broken.fixture.ts');

/**
 * Type-checks `files` (path → text; `undefined` reads the file) in ONE program with the
 * repository's tsconfig: the second check reuses what the first resolved (zod's and rxjs's types),
 * which halves the spec's CPU against a program each. Returns each file's diagnostics as text
 * ('' when clean).
 */
function typeCheck(files: Record<string, string | undefined>): Record<string, string> {
  const config = ts.readConfigFile(repoPath('tsconfig.json'), (path) => ts.sys.readFile(path));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, repoPath('.'));
  const options = { ...parsed.options, noEmit: true, incremental: false };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, languageVersion, onError, create) => {
    const text = files[name];
    return text !== undefined ? ts.createSourceFile(name, text, languageVersion) : getSourceFile(name, languageVersion, onError, create);
  };
  const program = ts.createProgram(Object.keys(files), options, host);
  // Only these files are checked (what they import is read for its types, not checked again: the
  // type-check of npm test does that), which keeps the spec to a few seconds of CPU.
  const format = (file: string) =>
    ts.formatDiagnostics(ts.getPreEmitDiagnostics(program, program.getSourceFile(file)), {
      getCanonicalFileName: (name) => name,
      getCurrentDirectory: () => repoPath('.'),
      getNewLine: () => '\n',
    });
  return Object.fromEntries(Object.keys(files).map((file) => [file, format(file)]));
}

describe('action, observation and state types (checked by tsc in this run)', () => {
  const text = readFileSync(FIXTURE, 'utf8');
  const mustFail = '// @ts-expect-error `length` takes the transform\'s input (a string), not its output (a number)\n';
  const mustCompile = "env.step({ message: 'hi', length: 'abc', level: '3' });\n";
  let reports: Record<string, string>;
  beforeAll(() => {
    const broken = text.replace(mustFail, '').replace(mustCompile, `// @ts-expect-error\n${mustCompile}`);
    reports = typeCheck({ [FIXTURE]: undefined, [BROKEN]: broken });
  }, 120_000);

  it('the fixture compiles: input types for actions, output types for observations and state; every @ts-expect-error line fails', () => {
    expect(reports[FIXTURE]).toBe('');
  });

  it('the check is real: a line that must not compile, and a @ts-expect-error on a line that compiles, are both reported', () => {
    expect(text).toContain(mustFail);
    expect(text).toContain(mustCompile);
    const report = reports[BROKEN]!;
    expect(report).toMatch(/env-types-broken\.fixture\.ts\(\d+,\d+\): error TS2322: Type 'number' is not assignable to type 'string'/);
    expect(report).toMatch(/error TS2578: Unused '@ts-expect-error' directive/);
  });
});

describe('actions typed by z.input work at runtime: the session parses them and sends the output', () => {
  const Typed = defineEnv({
    name: 'typed',
    action: z.object({ message: z.string(), repeat: z.number().default(1), length: z.string().transform((s) => s.length), level: z.coerce.number() }),
  });
  const observed = { observation: { echoed: 'hi' }, reward: 0, done: false };

  it('an action of the input type passes; the wire gets defaults, transforms and coercions applied', async () => {
    const transport = fakeTransport({ step: () => of(observed) });
    const session = createSession(transport, Typed.spec);
    const action: ActionOf<typeof Typed> = { message: 'hi', length: 'abcde', level: '3' };
    await lastValueFrom(session.step(action));
    expect(transport.requests.map((r) => r.body)).toEqual([{ message: 'hi', repeat: 1, length: 5, level: 3 }]);
  });

  it('the output type is what the old typing asked for, and it fails validation: nothing is sent', async () => {
    const transport = fakeTransport({ step: () => of(observed) });
    const session = createSession(transport, Typed.spec);
    const outputShaped = { message: 'hi', repeat: 1, length: 5, level: 3 } as unknown as ActionOf<typeof Typed>;
    const error = await lastValueFrom(session.step(outputShaped)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ActionValidationError);
    expect((error as ActionValidationError).fields).toEqual(['length']);
    expect(transport.requests).toEqual([]);
  });
});
