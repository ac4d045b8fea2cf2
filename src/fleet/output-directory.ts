import { mkdirSync, rmdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CollectOutputError } from '../errors/collect-errors.js';
import { messageOf } from '../internal/error-context.js';

/**
 * Creates `dir` and its missing parents one level at a time, from the nearest existing ancestor
 * down, and returns the directories it created (outermost first) so a run that records nothing can
 * remove them. Not `mkdirSync(dir, { recursive: true })`: under a directory where mkdir fails with
 * ENOENT although the parent exists (`/proc/nope`), Node's recursive mkdir retries for ever at
 * 100% CPU; here every failure is a `CollectOutputError` at once.
 *
 * @example
 * const created = createDirectory('runs/a/b'); // ['/abs/runs/a', '/abs/runs/a/b'] if runs/ existed
 */
export function createDirectory(dir: string): string[] {
  const missing: string[] = [];
  let at = resolve(dir);
  for (;;) {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(at).isDirectory();
    } catch (cause) {
      const parent = dirname(at);
      if ((cause as NodeJS.ErrnoException).code !== 'ENOENT' || parent === at) throw cannotCreate(dir, cause);
      missing.unshift(at);
      at = parent;
      continue;
    }
    if (!isDirectory) throw new CollectOutputError(`Cannot create ${dir}: ${at} is not a directory`, { path: dir });
    break;
  }
  for (const path of missing) {
    try {
      mkdirSync(path);
    } catch (cause) {
      // Another process made it meanwhile: fine, it is there.
      if ((cause as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(path).isDirectory()) throw cannotCreate(dir, cause);
    }
  }
  return missing;
}

/** Removes the directories `createDirectory` made (innermost first); stops at one that is not empty. */
export function removeCreatedDirectories(created: readonly string[]): void {
  for (const path of [...created].reverse()) {
    try {
      rmdirSync(path);
    } catch {
      return; // something else is in there now: leave it
    }
  }
}

const cannotCreate = (dir: string, cause: unknown) => new CollectOutputError(`Cannot create ${dir}: ${messageOf(cause)}`, { path: dir }, { cause });
