import type Docker from 'dockerode';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { repoPath } from '../../../fixtures/test-image.js';

const SEQ_ENV = repoPath('spec/faults/matrix/support/seq-env.mjs');

/**
 * An image that runs the matrix's seq env with the real CLI, for the CLI's own `--image` and
 * `--swarm` (which take no bind mounts): `base` (our server image: node, dist/, zod) plus
 * seq-env.mjs, serving 2 sessions per server on port 8000. The tag is a hash of both, so a rerun
 * reuses it; the caller removes it (`removeSeqImage`). Built with dockerode's own build and
 * followProgress (the legacy builder: no registry is reachable here).
 */
export async function buildSeqImage(docker: Docker, base: string): Promise<string> {
  const tag = `openenv-rx-matrix-seq:${createHash('sha256').update(base).update(readFileSync(SEQ_ENV)).digest('hex').slice(0, 16)}`;
  if (await docker.getImage(tag).inspect().then(() => true, () => false)) return tag;
  const context = mkdtempSync(join(tmpdir(), 'openenv-rx-seq-image-'));
  try {
    copyFileSync(SEQ_ENV, join(context, 'seq-env.mjs'));
    writeFileSync(
      join(context, 'Dockerfile'),
      [
        `FROM ${base}`,
        'COPY seq-env.mjs /app/matrix/seq-env.mjs',
        'CMD ["/app/dist/cli/main.js", "serve", "/app/matrix/seq-env.mjs", "--host", "0.0.0.0", "--port", "8000", "--max-sessions", "2"]',
        '',
      ].join('\n'),
    );
    const stream = await docker.buildImage({ context, src: ['Dockerfile', 'seq-env.mjs'] }, { t: tag });
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(stream, (error: Error | null, events: Array<{ error?: string }>) => {
        const failed = error ?? events.find((e) => e.error);
        if (failed) reject(failed instanceof Error ? failed : new Error(`docker build ${tag}: ${failed.error}`));
        else resolve();
      }),
    );
    return tag;
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

/** Removes the image `buildSeqImage` made (only that tag). */
export async function removeSeqImage(docker: Docker, tag: string | undefined): Promise<void> {
  if (tag) await docker.getImage(tag).remove().catch(() => undefined);
}

/**
 * Follows the logs of the running containers `list` names (polled every 100 ms until `stop`), keeping the
 * seq env's `ledger <message>` lines of each: the ledger of servers a test cannot bind-mount a file
 * into. A container stopped or removed ends its stream; its lines stay.
 */
export function followLedgers(docker: Docker, list: () => Promise<string[]>) {
  const byContainer = new Map<string, string[]>();
  const streams: NodeJS.ReadableStream[] = [];
  let stopped = false;
  const attach = async (id: string) => {
    // A container created but not started yet has no log stream to follow (it would end at once).
    const { State } = await docker.getContainer(id).inspect();
    if (!State.Running) return;
    byContainer.set(id, []);
    const stream = (await docker.getContainer(id).logs({ follow: true, stdout: true, stderr: false })) as unknown as NodeJS.ReadableStream;
    if (stopped) return void (stream as unknown as { destroy(): void }).destroy();
    streams.push(stream);
    const out = new PassThrough();
    docker.modem.demuxStream(stream, out, new PassThrough().resume());
    let rest = '';
    out.on('data', (chunk: Buffer) => {
      const lines = (rest + chunk.toString()).split('\n');
      rest = lines.pop()!;
      for (const line of lines) if (line.startsWith('ledger ')) byContainer.get(id)!.push(line.slice('ledger '.length));
    });
  };
  const errors: unknown[] = [];
  const poll = async () => {
    while (!stopped) {
      for (const id of await list().catch(() => [])) if (!byContainer.has(id)) await attach(id).catch((error: unknown) => errors.push(error));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const polling = poll();
  return {
    /** Every ledger line so far, over all containers. */
    lines: (): string[] => [...byContainer.values()].flat(),
    /** The container whose ledger has `line`, if any. */
    containerWith: (line: string): string | undefined => [...byContainer].find(([, lines]) => lines.includes(line))?.[0],
    containers: (): string[] => [...byContainer.keys()],
    linesOf: (id: string): string[] => byContainer.get(id) ?? [],
    /** Containers that could not be followed (gone before the poll reached them): their lines are missing. */
    errors,
    async stop(): Promise<void> {
      stopped = true;
      await polling;
      for (const stream of streams) (stream as unknown as { destroy(): void }).destroy();
    },
  };
}
