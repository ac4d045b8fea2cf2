import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { concat, concatAll, from, lastValueFrom, NEVER, Observable, of, Subject, throwError, toArray } from 'rxjs';
import { ConnectionClosedError } from '../../src/errors/connection-errors.js';
import { EpisodeFailedError } from '../../src/errors/fleet-errors.js';
import { recordTrajectory, type TrajectoryLine } from '../../src/operators/record-trajectory.js';
import { runEpisodes } from '../../src/session/episodes.js';
import type { EpisodeStep, StepResult } from '../../src/session/types.js';

type Step = EpisodeStep<{ move: number }, { x: number }>;
const result = (x: number, done = false): StepResult<{ x: number }> => ({ observation: { x }, reward: done ? 1 : -0.1, done, truncated: false });
/** Two episodes of a synchronous env: reset, then done at the second step. */
const session = () => {
  let n = 0;
  return { reset: () => of(result(0)), step: () => of(result(++n, n % 2 === 0)) };
};
const twoEpisodes = () => runEpisodes(session(), (o: { x: number }) => ({ move: o.x + 1 }), { count: 2, seed: 5 }).pipe(concatAll());
const readLines = (path: string): TrajectoryLine[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as TrajectoryLine);
/** Resolves on the stream's 'close', failing after 2 s instead of hanging the suite. */
const closed = (stream: WriteStream) =>
  stream.closed
    ? Promise.resolve()
    : Promise.race([once(stream, 'close'), new Promise((_, reject) => setTimeout(() => reject(new Error('not closed in 2 s')), 2_000).unref())]);
const step = (index: number): Step => ({
  ...result(index),
  kind: index === 0 ? 'reset' : 'step',
  index,
  episodeId: 'e1',
  episodeIndex: 0,
  latencyMs: 1,
  timestamp: 1_000 + index,
});

describe('recordTrajectory', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'openenv-rx-trajectory-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes one JSON line per step, every key present, and is flushed when completion arrives', async () => {
    const path = join(dir, 'run.jsonl');
    const passed = await lastValueFrom(twoEpisodes().pipe(recordTrajectory(path), toArray()));
    const lines = readLines(path);
    expect(lines).toHaveLength(6);
    expect(lines.map((l) => [l.episodeIndex, l.seed, l.index, l.kind])).toEqual([
      [0, 5, 0, 'reset'],
      [0, 5, 1, 'step'],
      [0, 5, 2, 'step'],
      [1, 6, 0, 'reset'],
      [1, 6, 1, 'step'],
      [1, 6, 2, 'step'],
    ]);
    expect(Object.keys(lines[0]!)).toEqual([
      'sessionIndex', 'episodeId', 'episodeIndex', 'seed', 'index', 'kind', 'action',
      'observation', 'reward', 'done', 'truncated', 'latencyMs', 'timestamp', 'error',
    ]);
    expect(lines.every((l) => l.error === null)).toBe(true);
    expect(lines[0]).toMatchObject({ sessionIndex: null, action: null, observation: { x: 0 }, episodeId: passed[0]!.episodeId });
    expect(lines[2]).toMatchObject({ action: { move: 2 }, reward: 1, done: true, truncated: false });
    // Passed through unchanged, like tap.
    expect(passed.map((s) => s.index)).toEqual([0, 1, 2, 0, 1, 2]);
  });

  it('truncates by default and appends when asked', async () => {
    const path = join(dir, 'run.jsonl');
    writeFileSync(path, 'old\n');
    await lastValueFrom(of(step(0)).pipe(recordTrajectory(path)));
    expect(readLines(path)).toHaveLength(1);
    await lastValueFrom(of(step(1)).pipe(recordTrajectory(path, { append: true })));
    expect(readLines(path).map((l) => l.index)).toEqual([0, 1]);
  });

  it('on a source error, flushes and closes the file, then forwards the error', async () => {
    const path = join(dir, 'run.jsonl');
    const stream = createWriteStream(path);
    const failure = new Error('env crashed');
    await expect(lastValueFrom(concat(of(step(0), step(1)), throwError(() => failure)).pipe(recordTrajectory(stream)))).rejects.toBe(failure);
    expect(stream.closed).toBe(true);
    expect(readLines(path).map((l) => l.index)).toEqual([0, 1]);
  });

  it('on unsubscribe, ends and closes the file', async () => {
    const path = join(dir, 'run.jsonl');
    const stream = createWriteStream(path);
    const subscription = concat(of(step(0)), NEVER).pipe(recordTrajectory(stream)).subscribe();
    subscription.unsubscribe();
    await closed(stream);
    expect(readLines(path).map((l) => l.index)).toEqual([0]);
  });

  it('surfaces an open failure as a TrajectoryWriteError naming the path', async () => {
    const path = join(dir, 'missing-dir', 'run.jsonl');
    const source = new Subject<Step>();
    const done = lastValueFrom(source.pipe(recordTrajectory(path)));
    source.next(step(0));
    await expect(done).rejects.toMatchObject({
      name: 'TrajectoryWriteError',
      code: 'ERR_TRAJECTORY_WRITE',
      context: { path },
      cause: expect.objectContaining({ code: 'ENOENT' }),
    });
  });

  it('surfaces a write failure of a Writable as an error of the stream, and unsubscribes the source', async () => {
    const failing = new Writable({ write: (_chunk, _enc, cb) => cb(new Error('disk full')) });
    let unsubscribed = false;
    const source = new Observable<Step>((subscriber) => {
      subscriber.next(step(0));
      return () => (unsubscribed = true);
    });
    const done = lastValueFrom(source.pipe(recordTrajectory(failing)));
    await expect(done).rejects.toMatchObject({ name: 'TrajectoryWriteError', cause: expect.objectContaining({ message: 'disk full' }) });
    expect(unsubscribed).toBe(true);
  });

  it('errors on a step that cannot be serialised, and closes the file', async () => {
    const stream = createWriteStream(join(dir, 'run.jsonl'));
    const bad = { ...step(1), action: { move: 10n } } as unknown as Step;
    await expect(lastValueFrom(of(step(0), bad).pipe(recordTrajectory(stream)))).rejects.toMatchObject({
      name: 'TrajectoryWriteError',
      message: expect.stringContaining('serialise'),
    });
    await closed(stream);
  });

  it('does not deadlock on a slow sink that asks for drain, and completes only once everything is written', async () => {
    const written: string[] = [];
    const slow = new Writable({
      highWaterMark: 1,
      write: (chunk: Buffer, _enc, cb) => {
        setTimeout(() => {
          written.push(chunk.toString());
          cb();
        }, 2);
      },
    });
    const steps = Array.from({ length: 20 }, (_, i) => step(i));
    await lastValueFrom(of(...steps).pipe(recordTrajectory(slow)));
    expect(written).toHaveLength(20);
    expect(written.map((l) => (JSON.parse(l) as TrajectoryLine).index)).toEqual(steps.map((s) => s.index));
  });

  it('leaves a shared Writable open with end: false', async () => {
    const stream = createWriteStream(join(dir, 'run.jsonl'));
    await lastValueFrom(of(step(0)).pipe(recordTrajectory(stream, { end: false })));
    expect(stream.writableEnded).toBe(false);
    stream.end();
    await closed(stream);
  });

  describe('on a shared Writable (end: false), 12 subscriptions leave no listener behind', () => {
    /** A sink that keeps every line, and the process warnings seen meanwhile. */
    const shared = () => {
      const lines: string[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _encoding, callback) {
          lines.push(chunk.toString());
          callback();
        },
      });
      return { sink, lines, baseline: sink.eventNames().map((name) => [name, sink.listenerCount(name)]) };
    };
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    beforeEach(() => {
      warnings.length = 0;
      process.on('warning', onWarning);
    });
    afterEach(() => {
      process.off('warning', onWarning);
    });
    const listeners = (sink: Writable) => sink.eventNames().map((name) => [name, sink.listenerCount(name)]);

    it('after each completes', async () => {
      const { sink, lines, baseline } = shared();
      for (let i = 0; i < 12; i++) await lastValueFrom(of(step(0), step(1)).pipe(recordTrajectory(sink, { end: false })));
      expect(lines).toHaveLength(24);
      expect(listeners(sink)).toEqual(baseline);
      await new Promise((resolve) => setImmediate(resolve)); // a MaxListeners warning is emitted on the next tick
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    });

    it('while 12 run at once, and after each is unsubscribed or errors', async () => {
      const { sink, baseline } = shared();
      const live = Array.from({ length: 12 }, () => NEVER.pipe(recordTrajectory<Step>(sink, { end: false })).subscribe());
      expect(sink.listenerCount('error')).toBe(12 + Number(baseline.find(([name]) => name === 'error')?.[1] ?? 0));
      for (const subscription of live) subscription.unsubscribe();
      expect(listeners(sink)).toEqual(baseline);
      const failed = await lastValueFrom(throwError(() => new Error('boom')).pipe(recordTrajectory<Step>(sink, { end: false }))).catch((e: unknown) => e);
      expect(failed).toEqual(new Error('boom'));
      expect(listeners(sink)).toEqual(baseline);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    });

    it('with end: true, once the sink is flushed', async () => {
      const { sink, baseline } = shared();
      await lastValueFrom(of(step(0)).pipe(recordTrajectory(sink)));
      expect(sink.writableFinished).toBe(true);
      expect(listeners(sink)).toEqual(baseline);
    });
  });

  it('writes the failure of a failed episode (its code, its cause, whether the step may have reached the env)', async () => {
    const path = join(dir, 'failed.jsonl');
    const cause = new ConnectionClosedError('The server closed the connection (code 1006)', 1006, '', { request: 'step' });
    const failed: Step = { ...step(2), observation: { x: 1 }, reward: null, truncated: true, error: new EpisodeFailedError(true, cause, { stepIndex: 2 }) };
    await lastValueFrom(from([step(0), step(1), failed]).pipe(recordTrajectory(path), toArray()));
    const lines = readLines(path);
    expect(lines.map((l) => l.error)).toEqual([
      null,
      null,
      { code: 'ERR_EPISODE_FAILED', cause: 'ERR_CONNECTION_CLOSED', stepUnknown: true, message: expect.stringContaining('code 1006') },
    ]);
  });
});
