/** A JSON syntax error located and worded the way Python's `json` module reports it. */
export interface JsonDecodeError {
  /** Python's message without the position suffix (`Expecting value`). */
  msg: string;
  /** 0-based character offset (Python's `pos`). */
  pos: number;
  lineno: number;
  colno: number;
}

// V8's wording → Python's (json.decoder). Unknown messages fall back to "Expecting value".
const V8_TO_PYTHON: readonly [RegExp, string][] = [
  [/Expected property name or '}'/, 'Expecting property name enclosed in double quotes'],
  [/Expected ':' after property name/, "Expecting ':' delimiter"],
  [/Expected ',' or '}' after property value/, "Expecting ',' delimiter"],
  [/Expected ',' or ']' after array element/, "Expecting ',' delimiter"],
  [/Unterminated string/, 'Unterminated string starting at'],
  [/Bad control character/, 'Invalid control character at'],
  [/Bad escaped character|Bad Unicode escape/, 'Invalid \\escape'],
  [/Unexpected non-whitespace character after JSON/, 'Extra data'],
];

/**
 * Parses JSON, and on failure describes the error as Python would, because OpenEnv's error bodies
 * (`json_invalid` 422s, `INVALID_JSON` frames) carry Python's wording and character offset.
 *
 * @example
 * parseJsonLikePython('{bad json') // { ok: false, error: { msg: 'Expecting property name enclosed in double quotes', pos: 1, lineno: 1, colno: 2 } }
 */
export function parseJsonLikePython(text: string): { ok: true; value: unknown } | { ok: false; error: JsonDecodeError } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, error: describeJsonError(text, err) };
  }
}

function describeJsonError(text: string, err: unknown): JsonDecodeError {
  const message = err instanceof Error ? err.message : String(err);
  const match = /position (\d+)/.exec(message);
  // "Unexpected end of JSON input" has no position: Python reports the end of the text.
  const pos = match ? Number(match[1]) : text.length;
  const msg = V8_TO_PYTHON.find(([re]) => re.test(message))?.[1] ?? 'Expecting value';
  const before = text.slice(0, pos);
  const lineno = before.split('\n').length;
  const colno = pos - before.lastIndexOf('\n');
  return { msg, pos, lineno, colno };
}

/** `str(JSONDecodeError)`: `Expecting value: line 1 column 1 (char 0)`. */
export function formatJsonDecodeError(error: JsonDecodeError): string {
  return `${error.msg}: line ${error.lineno} column ${error.colno} (char ${error.pos})`;
}
