import type { Observable } from 'rxjs';
import type { HealthResponse, MetadataResponse, SchemaResponse, StateResponse } from '../protocol/http-messages.js';
import type { JsonRpcResponseMessage } from '../protocol/mcp-messages.js';
import type { ReplyPhaseWrites } from './reply-phase-writes.js';

/** `ws`: one `/ws` socket per session (generation B+). `http`: `POST /reset`, `/step` (stateful on generation A only). */
export type TransportKind = 'ws' | 'http';

/** A reset or step answer as the wire carries it, reward already normalised to `number | null`. */
export interface WireStepResult {
  observation: Record<string, unknown>;
  reward: number | null;
  done: boolean;
}

/** Wire-form reset data: `{seed?, episode_id?, ...extra}`. */
export type WireResetData = Record<string, unknown>;

/** Per-step options that only the HTTP protocol carries. */
export interface WireStepOptions {
  /** HTTP only: forwarded as `timeout_s` to the env (WS envelopes cannot carry it). */
  timeoutS?: number;
  /** HTTP only: forwarded as `request_id`. A fresh one is generated when absent. */
  requestId?: string;
}

/**
 * One connection to one env server. Every method returns a cold Observable of exactly one value:
 * subscribing sends the request, unsubscribing abandons it (over WS the late reply is read and
 * dropped, so the socket stays in sync). At most one request is on the wire at a time; others queue.
 *
 * Errors are `OpenEnvError`s with `context.url`, `context.transport` and `context.request` set.
 */
export interface Transport {
  readonly kind: TransportKind;
  /** Base HTTP URL of the server (`http://127.0.0.1:8000`). */
  readonly url: string;
  /**
   * Whether consecutive requests reach the same env instance: `true` over `ws`, and over `http`
   * when the `auto` probe found generation A; absent over `http` when nobody probed (sessions
   * then ask `GET /schema` before the first episode: a 200 means the server is stateless over HTTP).
   */
  readonly stateful?: boolean;
  /** A reset request (`reset` message, or `POST /reset`); emits the answer. */
  reset(data?: WireResetData): Observable<WireStepResult>;
  /** A step request with the action as is (no schema check at this level); emits the answer. Never replayed. */
  step(action: Record<string, unknown>, options?: WireStepOptions): Observable<WireStepResult>;
  /** The env's state (`state` message, or `GET /state`). */
  state(): Observable<StateResponse>;
  /** `GET /health`, over HTTP on both transports. */
  health(): Observable<HealthResponse>;
  /** Generation B+ only; generation A answers 404 (an `HttpStatusError`). */
  schema(): Observable<SchemaResponse>;
  /** `GET /metadata`, over HTTP on both transports. */
  metadata(): Observable<MetadataResponse>;
  /**
   * A JSON-RPC request (generation H): over WS a `mcp` message, several outstanding at once and
   * matched by id; over HTTP a stateless `POST /mcp`. Emits the JSON-RPC response, `result` or
   * `error` alike (an error object is an answer, not a transport failure). Optional: transports
   * written before MCP (and test fakes) may lack it.
   */
  mcp?(method: string, params?: Record<string, unknown>): Observable<JsonRpcResponseMessage>;
  /**
   * Errors when the connection dies on its own (server closed the socket, capacity refusal,
   * socket discarded after a reply timeout); never emits a value, never completes.
   * Sessions merge it so that a dead connection fails the whole session.
   */
  readonly failure$: Observable<never>;
  /** Idempotent. Sends `{"type":"close"}` over WS, releases the keep-alive agent over HTTP. */
  close(): void;
}

/** Options shared by both transports. Every field has a default that suits a local server. */
export interface TransportOptions {
  /** `auto` (default) probes `GET /schema`: 200 → ws (generation B+), otherwise http (generation A). */
  transport?: 'auto' | TransportKind;
  /** Sent with every HTTP request and the WS upgrade (auth, tracing). */
  headers?: Record<string, string>;
  /** WS handshake / first HTTP byte. Default 10 000 ms (the Python client's). */
  connectTimeoutMs?: number;
  /** Time for one reply. Default 60 000 ms (the Python client's). A WS reply timeout discards the socket. */
  replyTimeoutMs?: number;
  /** Largest accepted WS message or HTTP reply body (after decompression); larger fails with `ProtocolError`. Default 100 MiB (the Python client's). */
  maxMessageBytes?: number;
  /** permessage-deflate; off by default: it halves throughput on small JSON frames. */
  perMessageDeflate?: boolean;
  /**
   * WS only: a ping when the socket has heard nothing for a whole `intervalMs`, and the socket
   * closed when nothing (no pong, no frame) comes back within `timeoutMs`. A half-open socket
   * (server frozen or gone, a NAT or proxy that dropped the connection) then fails the session
   * with `TimeoutError` phase `keepalive` instead of hanging, and closing it frees the server's
   * slot once the server can see it. Default `{ intervalMs: 20_000, timeoutMs: 20_000 }` (the
   * Python client's websockets defaults; uvicorn pings every 20 s too). `false` turns it off, for
   * tunnels that drop pings. A server that blocks its event loop longer than about
   * `intervalMs + timeoutMs` during a step cannot answer pings either: raise them for such envs.
   */
  keepalive?: false | KeepaliveOptions;
  /**
   * WS only: which write-batching group this transport's `/ws` connection joins. A group counts
   * its open connections; while it holds more than twice this machine's cores, requests sent
   * while a burst of replies is handled (the next steps of many sessions) leave together at the
   * end of the event loop's I/O phase instead of one by one (fewer context switches on a machine
   * whose servers share its cores; see `docs/benchmarks.md`).
   *
   * - `true` (default): the process's default group, shared by every transport opened with it.
   * - a `ReplyPhaseWrites`: that group, which counts only the connections opened with it (a fleet
   *   whose timing must not depend on the other sessions of the process).
   * - `false`: this transport writes every frame at once and is counted nowhere (a
   *   latency-sensitive session among many).
   *
   * @example
   * const fleetWrites = new ReplyPhaseWrites(); // batches past twice the cores, counting only its own connections
   * Echo.connect('http://127.0.0.1:8000', { transport: 'ws', batchWrites: fleetWrites })
   *   .pipe(withSession((env) => env.reset()))
   *   .subscribe(() => console.log(fleetWrites.openConnections)); // 1
   */
  batchWrites?: boolean | ReplyPhaseWrites;
  /**
   * Let several sessions of this process use one generation-A server at once (no `/schema`: found
   * by the `auto` probe, or with `transport: 'http'` by the session's check before its first
   * episode). Such a server has ONE env behind its HTTP routes: parallel sessions step each other's
   * episodes. Default false: while one session to that base URL is open, another errors with
   * `StatefulServerBusyError` (`ERR_STATEFUL_SERVER_BUSY`) before anything reaches the env (with
   * `'http'` forced: its first episode). Set it only when the sessions are meant to share the env.
   */
  shareStatefulServer?: boolean;
}

/** See `TransportOptions.keepalive`. */
export interface KeepaliveOptions {
  /** Silence (nothing received) before a ping. Default 20 000 ms. */
  intervalMs?: number;
  /** Wait for the pong (or any frame) after a ping. Default 20 000 ms. */
  timeoutMs?: number;
}
