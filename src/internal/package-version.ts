import { readFileSync } from 'node:fs';

/**
 * The openenv-rx version in package.json (two folders up from both `src/<layer>` and
 * `dist/<layer>`), or `unknown` when it cannot be read.
 *
 * @example
 * packageVersion(); // '0.1.0'
 */
export function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
