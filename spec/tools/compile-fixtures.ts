import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '../..');

/**
 * Type-checks in-memory TypeScript files as if they lived in spec/tools/ (so `../../src/...`
 * imports resolve), with the project's compiler options, and returns each file's error messages.
 * A test that expects a file not to compile asserts on these; one that expects it to compile, on [].
 */
export function compileFixtures(files: Record<string, string>): Record<string, string[]> {
  const config = ts.getParsedCommandLineOfConfigFile(join(repo, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined })!;
  const paths = Object.fromEntries(Object.entries(files).map(([name, text]) => [join(here, `__fixture_${name}.ts`), text]));
  const host = ts.createCompilerHost({ ...config.options, noEmit: true });
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (file) => paths[file] ?? readFile(file);
  host.fileExists = (file) => file in paths || fileExists(file);
  host.getSourceFile = (file, language, onError, create) =>
    file in paths ? ts.createSourceFile(file, paths[file]!, language, true) : getSourceFile(file, language, onError, create);
  const program = ts.createProgram(Object.keys(paths), { ...config.options, noEmit: true }, host);
  const out: Record<string, string[]> = {};
  for (const [name] of Object.entries(files)) {
    const source = program.getSourceFile(join(here, `__fixture_${name}.ts`))!;
    out[name] = ts.getPreEmitDiagnostics(program, source).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  }
  return out;
}
