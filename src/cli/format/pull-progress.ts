import type { Writable } from 'node:stream';
import type { PullProgressEvent } from '../../runtime/docker/pull-image.js';

interface Layer {
  status: string;
  current: number;
  total: number;
  done: boolean;
}

const MB = 1024 * 1024;
const DONE = new Set(['Pull complete', 'Already exists']);

/**
 * The CLI's view of an image pull: the engine sends one event per layer and phase (see
 * `PullProgressEvent`); this folds them into one line, `pulling IMAGE: 2/5 layers, 41.0/120.3 MB`.
 * On a TTY the line is redrawn in place (at most every `redrawMs`); elsewhere (CI logs, pipes) it
 * prints when the pull starts, whenever a layer completes, and when it ends, so logs stay short.
 *
 * @example
 * const pull = new PullProgress(process.stderr, 'rollout');
 * Env.fromDockerImage(image, { pull: 'if-missing', onProgress: (e) => pull.update(e) });
 */
export class PullProgress {
  private readonly layers = new Map<string, Layer>();
  private readonly started = new Set<string>();
  private lastDraw = 0;
  private onLine = false;

  constructor(
    private readonly out: Writable & { isTTY?: boolean },
    private readonly command: string,
    private readonly redrawMs = 200,
    private readonly now: () => number = Date.now,
  ) {}

  update(event: PullProgressEvent): void {
    const image = event.image;
    const status = event.status ?? '';
    const first = !this.started.has(image);
    if (first) this.started.add(image);
    // Layer events carry a layer id; the first line's id is the tag, and the last lines none.
    const isLayer = event.id !== undefined && !status.startsWith('Pulling from');
    let layerDone = false;
    if (isLayer) {
      const layer = this.layers.get(event.id!) ?? { status, current: 0, total: 0, done: false };
      layer.status = status;
      if (event.progressDetail?.total) {
        layer.total = event.progressDetail.total;
        layer.current = event.progressDetail.current ?? layer.current;
      }
      if (DONE.has(status) && !layer.done) {
        layer.done = true;
        layer.current = layer.total;
        layerDone = true;
      }
      this.layers.set(event.id!, layer);
    }
    // The engine's last line: `Status: Downloaded newer image for x` or `Status: Image is up to date for x`.
    const ended = status.startsWith('Status:');
    if (this.out.isTTY) {
      const now = this.now();
      if (!first && !ended && !layerDone && now - this.lastDraw < this.redrawMs) return;
      this.lastDraw = now;
      this.out.write(`\r${this.render(image)}\x1b[K`);
      this.onLine = true;
      if (ended) this.finish();
      return;
    }
    if (first || layerDone || ended) this.out.write(`${this.render(image)}\n`);
  }

  /** Ends the in-place line on a TTY (call it before printing anything else). */
  finish(): void {
    if (this.onLine) this.out.write('\n');
    this.onLine = false;
  }

  render(image: string): string {
    const layers = [...this.layers.values()];
    const done = layers.filter((l) => l.done).length;
    const current = layers.reduce((sum, l) => sum + l.current, 0);
    const total = layers.reduce((sum, l) => sum + l.total, 0);
    const size = total > 0 ? `, ${(current / MB).toFixed(1)}/${(total / MB).toFixed(1)} MB` : '';
    const count = layers.length > 0 ? `: ${done}/${layers.length} layers${size}` : '';
    return `${this.command}: pulling ${image}${count}`;
  }
}
