import { availableParallelism } from 'node:os';
import WebSocket from 'ws';
import { assertInteger } from '../internal/assert-option.js';

/**
 * Frames sent while many replies are handled go out together once the event loop's I/O phase ends.
 *
 * Why: with many sessions, one wakeup of the event loop delivers many replies, and each reply's
 * handler sends the next request at once. Every send is a `writev` that wakes a server; on a
 * machine with fewer cores than busy processes, the woken server preempts the client halfway
 * through its batch of replies, and the client pays a context switch per reply. Here the frames
 * of the first few reply handlers of a phase (`immediateHandlers`) still leave at once: a lone
 * session waits for nothing, a vector step that answers one reply with N requests writes them
 * back to back as a bare client would, and a phase of a handful of replies (a client that keeps
 * up with its servers) keeps them busy without delay. The frames of later handlers, in a phase
 * big enough to say the client is the busy side, wait until `setImmediate`, which Node runs right
 * after the I/O phase: the client handles the whole batch first, then writes. The frames of one
 * socket keep their order: once one of them waits, every later frame of that socket waits too.
 * With no more open connections than `immediateHandlers`, every frame leaves at once and no phase
 * is tracked: marking a phase's end costs a `setImmediate`, an event-loop turn per reply, which at
 * one session measured about 14 µs of client CPU per step.
 *
 * An instance is a write group: it counts the connections that joined it, and only those. A
 * transport joins the group its `batchWrites` option names: the process's default group
 * (`eventLoopWrites`, `true`, the default), an instance of the caller's (a fleet whose timing must
 * not depend on the other sessions of the process), or none (`false`: every frame at once).
 * Several groups in one process each see their own connections; a phase is still the event
 * loop's, so each group opens and flushes its own.
 *
 * A connection of a group calls `connectionOpened()` once and `connectionClosed()` once, wraps
 * each reply handler in `enter()`/`leave()`, and sends its frames through `send(socket, frame)`.
 *
 * @example
 * // A group of its own for one fleet's sessions: only their connections count.
 * const fleetWrites = new ReplyPhaseWrites();
 * Echo.connect('http://127.0.0.1:8000', { batchWrites: fleetWrites })
 *   .pipe(withSession((env) => env.reset().pipe(map(() => fleetWrites.openConnections))))
 *   .subscribe((open) => console.log(open)); // 1
 */
export class ReplyPhaseWrites {
  /** Reply handlers running now (a handler may run another synchronously). */
  private depth = 0;
  /** Counts outermost reply handlers: which one is running now. */
  private handler = 0;
  /** A handler of this I/O phase already wrote at once; the flush at the phase's end is scheduled. */
  private phaseOpen = false;
  /** The first handler of the phase (by the count above): it and the next few write at once. */
  private phaseFirst = 0;
  /** Sockets with frames waiting for the end of the phase, in the order they first waited. */
  private readonly waiting = new Map<WebSocket, string[]>();
  private connections = 0;

  /**
   * `immediateHandlers`: reply handlers of a phase whose frames leave at once. The default is two
   * per core of this machine: each busy server process wants a core, and a phase of no more
   * replies than that is a client that keeps up (measured on 2 cores: 1 cost about 5% at 8
   * sessions on one server process, writing everything at once about 10% at 64 sessions over 4
   * processes; 4 matched the best of both).
   */
  constructor(readonly immediateHandlers = 2 * availableParallelism()) {
    assertInteger('immediateHandlers', immediateHandlers, 1);
  }

  /** A connection that sends through `send` opened: call `connectionClosed` once when it ends. */
  connectionOpened(): void {
    this.connections++;
  }

  /** A connection that joined with `connectionOpened` ended: it no longer counts. */
  connectionClosed(): void {
    this.connections--;
  }

  /** How many connections count now (for tests and diagnostics). */
  get openConnections(): number {
    return this.connections;
  }

  /** A reply handler starts (a socket's 'message' listener): frames it sends may wait for the phase's end. */
  enter(): void {
    if (this.depth++ === 0) this.handler++;
  }

  /** The reply handler `enter` began has returned. */
  leave(): void {
    this.depth--;
  }

  /** Sends `frame` on `socket` now, or at the end of the current I/O phase (see above). */
  send(socket: WebSocket, frame: string): void {
    // Nothing waits in most calls: skip the lookup then.
    const queued = this.waiting.size === 0 ? undefined : this.waiting.get(socket);
    if (queued) {
      queued.push(frame);
      return;
    }
    if (this.depth === 0 || this.connections <= this.immediateHandlers) {
      socket.send(frame);
      return;
    }
    if (!this.phaseOpen) {
      // The first frame sent from a reply handler opens the phase; its flush runs when it ends.
      this.phaseOpen = true;
      this.phaseFirst = this.handler;
      setImmediate(this.endPhase);
    }
    if (this.handler - this.phaseFirst < this.immediateHandlers) socket.send(frame);
    else this.waiting.set(socket, [frame]);
  }

  private readonly endPhase = (): void => {
    this.phaseOpen = false;
    for (const [socket, frames] of this.waiting) {
      // A socket closed meanwhile: its requests have already failed with the close.
      if (socket.readyState !== WebSocket.OPEN) continue;
      for (const frame of frames) socket.send(frame);
    }
    this.waiting.clear();
  };
}

/** The process's default write group: every transport opened with `batchWrites` true or unset joins it. */
export const eventLoopWrites = new ReplyPhaseWrites();
