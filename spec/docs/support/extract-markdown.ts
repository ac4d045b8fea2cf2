import { parseMarker, type Snippet } from './snippet.js';

const TS_LANGS = new Set(['ts', 'typescript', 'js', 'javascript', 'mjs']);
const SH_LANGS = new Set(['sh', 'bash', 'shell', 'console']);

/**
 * The TypeScript/JavaScript and shell blocks of one markdown file. A block may be preceded (blank
 * lines aside) by `<!-- doctest: skip (reason) -->` or `<!-- doctest: compile-only (reason) -->`.
 * Other blocks (json, jsonc, plain ``` usage text) are not programs and are not returned.
 */
export function extractMarkdown(file: string, text: string): Snippet[] {
  const lines = text.split('\n');
  const snippets: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\S*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!.length;
    const lang = open[2]!.toLowerCase();
    let end = i + 1;
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end]!)) end++;
    const body = lines.slice(i + 1, end).map((line) => line.slice(Math.min(indent, /^\s*/.exec(line)![0].length)));
    let before = i - 1;
    while (before >= 0 && lines[before]!.trim() === '') before--;
    const comment = before >= 0 ? /^\s*<!--\s*(doctest:.*?)\s*-->\s*$/.exec(lines[before]!) : null;
    const marker = comment ? parseMarker(comment[1]!) : undefined;
    if (comment && !marker) throw new Error(`${file}:${before + 1}: unreadable doctest marker "${comment[1]}"`);
    const kind = TS_LANGS.has(lang) ? 'ts' : SH_LANGS.has(lang) ? 'sh' : undefined;
    if (kind) snippets.push({ id: `${file}:${i + 1}`, lang: kind, code: `${body.join('\n')}\n`, ...(kind === 'ts' && lang !== 'ts' && lang !== 'typescript' ? { javascript: true } : {}), mode: marker?.mode ?? 'run', ...(marker?.reason !== undefined && { reason: marker.reason }), ...(marker?.with && { with: marker.with }) });
    i = end;
  }
  return snippets;
}
