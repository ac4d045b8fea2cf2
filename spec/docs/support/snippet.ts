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
  /** The marker's reason (required for `compile-only` and `skip`). */
  readonly reason?: string;
}

const MARKER = /doctest:\s*(skip|compile-only)\b\s*[-—:(]*\s*(.*?)\s*\)?\s*$/;

/** Reads a marker's text (`doctest: skip (reason)`, `doctest: compile-only — reason`); undefined when it is none. */
export function parseMarker(text: string): Pick<Snippet, 'mode' | 'reason'> | undefined {
  const match = MARKER.exec(text.trim());
  if (!match) return undefined;
  return { mode: match[1] as 'skip' | 'compile-only', reason: match[2]! };
}
