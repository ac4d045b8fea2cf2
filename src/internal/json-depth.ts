/** Nesting a JSON text may have by default: far beyond any real action or observation, far below what recursion can take. */
export const DEFAULT_MAX_JSON_DEPTH = 256;

/**
 * Where a JSON text nests deeper than `maxDepth` arrays/objects: the character offset of the
 * bracket that goes one level too deep, or `undefined` when it stays within. One pass over the
 * text, no recursion and no allocation, so it is safe to run BEFORE `JSON.parse`: a 400 000-deep
 * array parses fine in V8 but blows the stack of everything that walks it afterwards (validation,
 * `JSON.stringify`). Brackets inside strings do not count; the text need not be valid JSON.
 *
 * @example
 * jsonTooDeepAt('[[[1]]]', 2) // 2
 * jsonTooDeepAt('{"a":"[[["}', 1) // undefined
 */
export function jsonTooDeepAt(text: string, maxDepth: number): number | undefined {
  // Going deeper than maxDepth takes more than maxDepth brackets: most frames (a step's reply is a
  // few hundred characters) are decided by their length, with no scan on the per-step path.
  if (text.length <= maxDepth) return undefined;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) return i;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return undefined;
}

/** The message every too-deep answer carries (422 `ctx.error`, WS VALIDATION_ERROR, JSON-RPC error). */
export function tooDeepMessage(maxDepth: number, pos: number): string {
  return `JSON nested deeper than ${maxDepth} levels (char ${pos})`;
}
