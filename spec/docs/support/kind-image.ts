import { spawn } from 'node:child_process';
import type { SnippetKind } from './snippet-context.js';

/**
 * The server image (docker/server-entry.mjs over dist/, default env `echo`) made to serve `kind`:
 * a one-line image `FROM` it with `OPENENV_ENV` set, built from stdin without a context (no
 * registry needed), tagged after the base image's tag so that it is rebuilt when the base changes.
 */
export function kindImage(base: string, kind: SnippetKind): Promise<string> {
  if (kind === 'echo') return Promise.resolve(base);
  const tag = `${base.replace(/:.*$/, '')}-doctest-${kind.replace('_', '-')}:${base.replace(/^.*:/, '')}`;
  return new Promise((resolve, reject) => {
    const child = spawn('docker', ['build', '-q', '-t', tag, '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(tag) : reject(new Error(`docker build of ${tag} failed (${code}): ${stderr}`))));
    child.stdin.end(`FROM ${base}\nENV OPENENV_ENV=${kind}\n`);
  });
}
