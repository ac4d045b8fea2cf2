import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from '../cli/cli-child.js';

/** The context paths `docker/Dockerfile` COPYs (or ADDs): every source of every instruction but the last argument. */
export function dockerfileCopySources(dockerfile = readFileSync(join(root, 'docker', 'Dockerfile'), 'utf8')): string[] {
  const sources: string[] = [];
  // Continuation lines joined, comments dropped, as the Dockerfile parser reads them.
  const instructions = dockerfile.replace(/\\\n/g, ' ').split('\n').filter((line) => !/^\s*#/.test(line));
  for (const line of instructions) {
    const match = /^\s*(?:COPY|ADD)\s+(.*)$/i.exec(line);
    if (!match) continue;
    const args = match[1]!.trim().split(/\s+/).filter((arg) => !arg.startsWith('--'));
    if (/--from=/.test(match[1]!)) continue; // from another stage, not the context
    sources.push(...args.slice(0, -1).map((source) => source.replace(/^\.\//, '').replace(/\/$/, '')));
  }
  return sources;
}
