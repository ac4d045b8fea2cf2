import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserModuleError } from '../errors/cli-errors.js';
import { messageOf } from '../internal/error-context.js';

/** True for what a user means as a file: `./x.js`, `../x`, `/abs/x.mjs`, `x.js`. */
export function looksLikeModulePath(value: string): boolean {
  return /^(\.{1,2}[\\/]|[\\/]|[A-Za-z]:[\\/])/.test(value) || /\.[cm]?[jt]s$/.test(value);
}

/**
 * Imports the user's ES module at `path` (relative to the working directory). Errors name the
 * CLI flag and the file (`UserModuleError`): a missing file, a TypeScript file Node cannot load, a module that throws.
 */
export async function importUserModule(path: string, flag: string): Promise<Record<string, unknown>> {
  const file = resolve(process.cwd(), path);
  if (!existsSync(file)) throw new UserModuleError(flag, path, `${flag} ${path}: no such file (${file})`);
  if (/\.[cm]?ts$/.test(file)) {
    throw new UserModuleError(flag, path, `${flag} ${path}: Node cannot import TypeScript directly; compile it to .js first (or run the CLI with a TypeScript loader such as "node --import tsx")`);
  }
  try {
    return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    throw new UserModuleError(flag, path, `${flag} ${path}: the module failed to load: ${messageOf(error)}`, { cause: error });
  }
}
