import WebSocket from 'ws';

/**
 * Frames sent while many replies are handled go out together once the event loop's I/O phase ends.
 *
 * Why: with many sessions, one wakeup of the event loop delivers many replies, and each reply's
 * handler sends the next request at once. Every send is a `writev` that wakes a server; on a
 * machine with fewer cores than busy processes, the woken server preempts the client halfway
 * through its batch of replies, and the client pays a context switch per reply. Here the frames
 * of the first few reply handlers of a phase (`IMMEDIATE_HANDLERS`) still leave at once: a lone
 * session waits for nothing, a vector step that answers one reply with N requests writes them
 * back to back as a bare client would, and a phase of a handful of replies (a client that keeps
 * up with its servers) keeps them busy without delay. The frames of later handlers, in a phase
 * big enough to say the client is the busy side, wait until `setImmediate`, which Node runs right
 * after the I/O phase: the client handles the whole batch first, then writes. The frames of one
 * socket keep their order: once one of them waits, every later frame of that socket waits too.
 * With no more open connections than `IMMEDIATE_HANDLERS` (one session, a few), every frame leaves
 * at once and no phase is tracked: marking a phase's end costs a `setImmediate`, an event-loop
 * turn per reply, which at one session measured about 14 µs of client CPU per step.
 *
 * @example
 * // In a socket's 'message' listener:
 * enterReplyHandler();
 * try {
 *   handleReply(data); // may call sendFrame(socket, nextFrame)
 * } finally {
 *   leaveReplyHandler();
 * }
 */

/** Reply handlers running now (a handler may run another synchronously). */
let depth = 0;
/** Counts outermost reply handlers: which one is running now. */
let handler = 0;
/** A handler of this I/O phase already wrote at once; the flush at the phase's end is scheduled. */
let phaseOpen = false;
/**
 * Reply handlers of a phase whose frames leave at once. Measured on 2 cores (bench sections
 * parallel and vector): 1 costs about 5% at 8 sessions on one server process, where phases hold
 * 1 to 4 replies and the delay idles the server; writing everything at once costs about 10% at
 * 64 sessions over 4 processes, where phases hold dozens. 4 matched the best of both.
 */
export const IMMEDIATE_HANDLERS = 4;
/** The first handler of the phase (by the count above): it and the next few write at once. */
let phaseFirst = 0;
/** Sockets with frames waiting for the end of the phase, in the order they first waited. */
const waiting = new Map<WebSocket, string[]>();
/** Open connections that send through here (`connectionOpened`/`connectionClosed`). */
let connections = 0;

/** A connection that sends through `sendFrame` opened: call `connectionClosed` once when it ends. */
export function connectionOpened(): void {
  connections++;
}

export function connectionClosed(): void {
  connections--;
}

/** How many connections count now (for tests and diagnostics). */
export function openConnections(): number {
  return connections;
}

export function enterReplyHandler(): void {
  if (depth++ === 0) handler++;
}

export function leaveReplyHandler(): void {
  depth--;
}

/** Sends `frame` on `socket` now, or at the end of the current I/O phase (see above). */
export function sendFrame(socket: WebSocket, frame: string): void {
  // Nothing waits in most calls: skip the lookup then.
  const queued = waiting.size === 0 ? undefined : waiting.get(socket);
  if (queued) {
    queued.push(frame);
    return;
  }
  if (depth === 0 || connections <= IMMEDIATE_HANDLERS) {
    socket.send(frame);
    return;
  }
  if (!phaseOpen) {
    // The first frame sent from a reply handler opens the phase; its flush runs when it ends.
    phaseOpen = true;
    phaseFirst = handler;
    setImmediate(endPhase);
  }
  if (handler - phaseFirst < IMMEDIATE_HANDLERS) socket.send(frame);
  else waiting.set(socket, [frame]);
}

function endPhase(): void {
  phaseOpen = false;
  for (const [socket, frames] of waiting) {
    // A socket closed meanwhile: its requests have already failed with the close.
    if (socket.readyState !== WebSocket.OPEN) continue;
    for (const frame of frames) socket.send(frame);
  }
  waiting.clear();
}
