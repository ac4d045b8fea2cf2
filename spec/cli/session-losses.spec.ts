import { PassThrough } from 'node:stream';
import { ProgressBar } from '../../src/cli/format/progress-bar.js';
import { describeLosses, SessionLosses } from '../../src/cli/rollout/session-losses.js';
import { ConnectionClosedError, KubernetesPodDeletedError } from '../../src/errors/index.js';

describe('SessionLosses: what rollout says of lost sessions', () => {
  it('one line per loss (code and the first line of the message), counts by code, replacements only once they came up, and a failed replacement as such', () => {
    const losses = new SessionLosses();
    const podGone = new KubernetesPodDeletedError({ pod: 'openenv-rx-abc', namespace: 'default' }, { events: ['Killing: Stopping container server'] });
    const lines = [
      losses.see({ type: 'started', sessionIndex: 0, running: 1 }),
      losses.see({ type: 'started', sessionIndex: 1, running: 2 }),
      losses.see({ type: 'lost', sessionIndex: 0, running: 1, attempt: 1, delayMs: 200, error: podGone }),
      losses.see({ type: 'started', sessionIndex: 0, running: 2 }),
      losses.see({ type: 'lost', sessionIndex: 1, running: 1, attempt: 1, delayMs: 200, error: new ConnectionClosedError('The server closed the connection (code 1006)', 1006, '') }),
      losses.see({ type: 'lost', sessionIndex: 1, running: 1, attempt: 2, delayMs: 400, error: new ConnectionClosedError('The server closed the connection (code 1006)', 1006, '') }),
      losses.see({ type: 'gave-up', sessionIndex: 1, running: 1, attempts: 3, waitedMs: 600, error: new Error('connect ECONNREFUSED'), reason: 'fault' }),
    ];
    expect(lines.filter(Boolean)).toEqual([
      expect.stringMatching(/^session 0 lost \(replacing it in 200 ms\): ERR_K8S_POD_DELETED: The env's Kubernetes pod openenv-rx-abc is Deleted: the pod was deleted by someone else/),
      'session 1 lost (replacing it in 200 ms): ERR_CONNECTION_CLOSED: The server closed the connection (code 1006)',
      // Slot 1 was still waiting for its replacement: that one failed, no second session was lost.
      'session 1: its replacement failed (trying again in 400 ms): ERR_CONNECTION_CLOSED: The server closed the connection (code 1006)',
      'session 1 gave up after 3 fault(s) in a row: connect ECONNREFUSED',
    ]);
    // The pod's events stay out of the one line.
    expect(lines[2]).not.toContain('\n');
    expect(losses.counts).toEqual({ lost: 2, replaced: 1, lostBy: { ERR_K8S_POD_DELETED: 1, ERR_CONNECTION_CLOSED: 1 }, failedReplacements: 1 });
    expect(describeLosses(losses.counts)).toBe('2 session(s) lost (ERR_K8S_POD_DELETED 1, ERR_CONNECTION_CLOSED 1), 1 replaced (1 replacement attempt(s) failed)');
    expect(describeLosses({ lost: 2, replaced: 0, lostBy: { ERR_CONNECTION_CLOSED: 2 }, failedReplacements: 0 })).toBe('2 session(s) lost (ERR_CONNECTION_CLOSED 2), none replaced');
  });

  it('ProgressBar.note: a line of its own; on a TTY the in-place progress line is cleared first', () => {
    const tty = Object.assign(new PassThrough(), { isTTY: true });
    const chunks: string[] = [];
    tty.on('data', (c: Buffer) => chunks.push(c.toString()));
    const bar = new ProgressBar(tty);
    bar.update({ done: 1, total: 4, steps: 10, elapsedMs: 100 }, true);
    bar.note('session 0 lost: ERR_TIMEOUT: no reply');
    expect(chunks.join('')).toMatch(/\r\[######[.]+\] 1\/4 episodes.*\x1b\[K\r\x1b\[Ksession 0 lost: ERR_TIMEOUT: no reply\n$/);
    const pipe = new PassThrough();
    const piped: string[] = [];
    pipe.on('data', (c: Buffer) => piped.push(c.toString()));
    new ProgressBar(pipe).note('a line');
    expect(piped.join('')).toBe('a line\n');
  });
});
