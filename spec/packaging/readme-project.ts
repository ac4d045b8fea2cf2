import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from '../cli/cli-child.js';

const SECTION = '## Write your own env in TypeScript';

/** The README's "Write your own env in TypeScript" section, up to the next `## ` heading. */
export function readmeProjectSection(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const start = readme.indexOf(`${SECTION}\n`);
  if (start < 0) throw new Error(`README.md has no "${SECTION}" section`);
  const end = readme.indexOf('\n## ', start + SECTION.length);
  return readme.slice(start, end < 0 ? undefined : end);
}

/**
 * The files of that section: every code block whose first line is a comment naming a path
 * (`// src/coin.ts`, `// package.json (the parts that matter)`). Code files are kept verbatim,
 * comment included; JSON blocks lose the comment line (JSON has no comments).
 */
export function readmeProjectFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const [, lang, body] of readmeProjectSection().matchAll(/```(\w+)\n([\s\S]*?)```/g)) {
    const first = /^\/\/ (\S+)/.exec(body!);
    if (!first) continue;
    files.set(first[1]!, lang === 'json' ? body!.slice(body!.indexOf('\n') + 1) : body!);
  }
  return files;
}

/** The packages of the section's `npm install -D ...` line (dev dependencies of the project). */
export function readmeDevDependencies(): string[] {
  const line = /^npm install -D ([^#\n]+)/m.exec(readmeProjectSection());
  if (!line) throw new Error('the README section has no `npm install -D` line');
  return line[1]!.trim().split(/\s+/);
}
