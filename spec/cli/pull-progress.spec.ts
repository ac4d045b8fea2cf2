import { PullProgress } from '../../src/cli/format/pull-progress.js';
import type { PullProgressEvent } from '../../src/runtime/docker/pull-image.js';
import { Capture } from './cli-support.js';

const MB = 1024 * 1024;
const image = 'registry.example/envs:1';
// What the engine sends for a two-layer image (docker's pull progress stream), in order.
const pull: PullProgressEvent[] = [
  { image, status: 'Pulling from envs', id: '1' },
  { image, status: 'Pulling fs layer', id: 'aaa' },
  { image, status: 'Pulling fs layer', id: 'bbb' },
  { image, status: 'Downloading', id: 'aaa', progressDetail: { current: 1 * MB, total: 4 * MB } },
  { image, status: 'Downloading', id: 'bbb', progressDetail: { current: 2 * MB, total: 6 * MB } },
  { image, status: 'Download complete', id: 'aaa' },
  { image, status: 'Extracting', id: 'aaa', progressDetail: { current: 4 * MB, total: 4 * MB } },
  { image, status: 'Pull complete', id: 'aaa' },
  { image, status: 'Downloading', id: 'bbb', progressDetail: { current: 6 * MB, total: 6 * MB } },
  { image, status: 'Pull complete', id: 'bbb' },
  { image, status: 'Digest: sha256:0123' },
  { image, status: `Status: Downloaded newer image for ${image}` },
];

describe('PullProgress (the CLI line of an image pull)', () => {
  it('off a terminal: one line when the pull starts, one per completed layer, one at the end', () => {
    const out = new Capture(false);
    const progress = new PullProgress(out, 'rollout');
    for (const event of pull) progress.update(event);
    expect(out.text.split('\n').filter(Boolean)).toEqual([
      `rollout: pulling ${image}`,
      `rollout: pulling ${image}: 1/2 layers, 6.0/10.0 MB`,
      `rollout: pulling ${image}: 2/2 layers, 10.0/10.0 MB`,
      `rollout: pulling ${image}: 2/2 layers, 10.0/10.0 MB`,
    ]);
  });

  it('on a terminal: redraws one line in place, throttled, and ends it when the pull ends', () => {
    const out = new Capture(true);
    let now = 0;
    const progress = new PullProgress(out, 'collect', 200, () => now);
    progress.update(pull[0]!); // first event: drawn
    progress.update(pull[1]!); // 0 ms later: throttled
    progress.update(pull[2]!); // throttled
    now = 250;
    progress.update(pull[3]!); // drawn
    now = 260;
    progress.update(pull[4]!); // throttled
    for (const event of pull.slice(5)) progress.update(event); // completions and the end: drawn
    const frames = out.text.split('\r').filter(Boolean);
    expect(frames[0]).toBe(`collect: pulling ${image}\x1b[K`);
    expect(frames[1]).toBe(`collect: pulling ${image}: 0/2 layers, 1.0/4.0 MB\x1b[K`);
    expect(frames).toHaveLength(5); // start, 250 ms, two layer completions, the end
    expect(out.text.endsWith(`2/2 layers, 10.0/10.0 MB\x1b[K\n`)).toBe(true);
    progress.finish(); // idempotent: the line was already ended
    expect(out.text.endsWith('\x1b[K\n')).toBe(true);
  });
});
