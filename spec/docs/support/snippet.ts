/** One code block of the documentation, as the doc tests see it. */
export interface Snippet {
  /** Where it is: `README.md:69` (the fence's line) or `src/fleet/env-pool.ts:79 envPool` (the tag's line and the export). */
  readonly id: string;
  /** `ts` (TypeScript and JavaScript blocks, JSDoc examples) or `sh` (shell blocks). */
  readonly lang: 'ts' | 'sh';
  readonly code: string;
  /** A JavaScript block (```js): compiled as JavaScript (checkJs). */
  readonly javascript?: boolean;
  /**
   * What its marker says: `run` (no marker), `compile-only` (type-checked, not run: a fragment that
   * needs a session or other state the program would have to hold open) or `skip` (neither).
   */
  readonly mode: 'run' | 'compile-only' | 'skip';
  /** The marker's reason (required for `compile-only` and `skip`; for `with`, what the names stand for). */
  readonly reason?: string;
  /**
   * `doctest: with env (an open session)`: a fragment run inside the preludes it names
   * (support/snippet-context.ts: a session, pool or vector env opened against the live server before
   * it and closed once the work of its last statement is done).
   */
  readonly with?: readonly string[];
}

const MARKER = /doctest:\s*(skip|compile-only)\b\s*[-—:(]*\s*(.*?)\s*\)?\s*$/;
const WITH_MARKER = /doctest:\s*with\s+([\w$]+(?:\s*,\s*[\w$]+)*)\s*(?:\((.*)\))?\s*$/;

/** Reads a marker's text (`doctest: skip (reason)`, `doctest: compile-only — reason`, `doctest: with env (...)`); undefined when it is none. */
export function parseMarker(text: string): Pick<Snippet, 'mode' | 'reason' | 'with'> | undefined {
  const held = WITH_MARKER.exec(text.trim());
  if (held) return { mode: 'run', with: held[1]!.split(',').map((name) => name.trim()), ...(held[2] ? { reason: held[2].trim() } : {}) };
  const match = MARKER.exec(text.trim());
  if (!match) return undefined;
  return { mode: match[1] as 'skip' | 'compile-only', reason: match[2]! };
}
