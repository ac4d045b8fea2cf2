import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Got, OptionsOfTextResponseBody, Response } from 'got';
import WebSocket from 'ws';
import { ConformanceError } from '../errors/conformance-errors.js';
import { ConnectionClosedError, ConnectionError, TimeoutError } from '../errors/connection-errors.js';
import { HttpStatusError } from '../errors/protocol-errors.js';
import { messageOf } from '../internal/error-context.js';
import { loadGot } from '../internal/lazy-got.js';
import { serverBaseUrl, wsUrlOf } from '../internal/server-url.js';
import { watchStaleKeepAlive } from '../transport/stale-keep-alive.js';

/** System errors that mean the server cannot be reached (or went away): `ConnectionError`. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ECONNABORTED']);

/** A failed request or socket as the library's typed errors (what `validate` prints the code of); anything else unchanged. */
function typedFailure(error: unknown, timeoutMs: number): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ETIMEDOUT') return new TimeoutError('reply', timeoutMs);
  if (typeof code === 'string' && UNREACHABLE.has(code)) return new ConnectionError(messageOf(error), {}, { cause: error });
  return error;
}

/** A raw HTTP answer: status, content type and body (parsed JSON when it is JSON). */
export interface ProbeResponse {
  status: number;
  contentType: string;
  body: unknown;
  text: string;
  /** Whether `body` is the parsed JSON (a JSON content type that parsed); otherwise it is `text`. */
  json: boolean;
}

/**
 * Bare wire access for conformance checks. Deliberately bypasses openenv-rx's transports:
 * `validate` must see exactly what the server sends, not what our client makes of it.
 */
export class WireProbe {
  /** Made on the first request (got is imported then, see lazy-got). */
  private http: Got | undefined;
  /** The server's base URL, as the package's one URL parser reads `url` (throws `InvalidUrlError`). */
  readonly baseUrl: string;

  constructor(
    url: string,
    private readonly headers: Record<string, string> = {},
    readonly timeoutMs = 5_000,
  ) {
    this.baseUrl = serverBaseUrl(url);
  }

  private async client(): Promise<Got> {
    const got = await loadGot();
    return (this.http ??= got.extend({
      prefixUrl: this.baseUrl,
      headers: this.headers,
      throwHttpErrors: false,
      retry: { limit: 0 },
      timeout: { request: this.timeoutMs },
    }));
  }

  /**
   * One request, never retried, except as the library's HTTP client does: a request that failed
   * on a reused keep-alive socket before any response byte (the server had closed it, as uvicorn
   * does after a 500) is sent once more on a fresh socket. Without that, the check after a 500
   * would report the client's race as the server's failure.
   */
  async request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<ProbeResponse> {
    const init: OptionsOfTextResponseBody = {
      method,
      ...(body === undefined ? {} : typeof body === 'string' ? { body, headers: { 'content-type': 'application/json' } } : { json: body }),
    };
    const http = await this.client();
    const first = http(path.replace(/^\//, ''), init);
    const stale = watchStaleKeepAlive(first);
    let res: Response<string>;
    try {
      try {
        res = await first;
      } catch (error) {
        if (!stale(error)) throw error;
        res = await http(path.replace(/^\//, ''), { ...init, agent: { http: new HttpAgent(), https: new HttpsAgent() } });
      }
    } catch (error) {
      throw typedFailure(error, this.timeoutMs);
    }
    const contentType = String(res.headers['content-type'] ?? '');
    let parsed: unknown = res.body;
    let json = false;
    if (contentType.includes('json')) {
      try {
        parsed = JSON.parse(res.body);
        json = true;
      } catch {
        parsed = res.body;
      }
    }
    // No check expects a 401: every check past /health would fail the same way without the token.
    if (res.statusCode === 401) {
      const detail = (parsed as { detail?: unknown } | null)?.detail;
      throw new HttpStatusError(401, json ? parsed : res.body, typeof detail === 'string' ? detail : undefined, {}, contentType);
    }
    return { status: res.statusCode, contentType, body: parsed, text: res.body, json };
  }

  /** Opens `/ws`; resolves once open, rejects with the handshake failure. */
  openSocket(): Promise<WireSocket> {
    const url = wsUrlOf(this.baseUrl);
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers: this.headers, handshakeTimeout: this.timeoutMs, perMessageDeflate: false });
      const socket = new WireSocket(ws, this.timeoutMs);
      ws.once('open', () => resolve(socket));
      ws.once('unexpected-response', (_req, res) => {
        const status = res.statusCode ?? 0;
        reject(status === 401 ? new HttpStatusError(401, undefined, 'WebSocket upgrade refused', {}) : new ConformanceError(`WebSocket upgrade refused with HTTP ${status}`));
        ws.terminate();
      });
      ws.once('error', (error) => reject(typedFailure(error, this.timeoutMs)));
    });
  }
}

/** A WebSocket with "send one frame, await one frame" and "await close". */
export class WireSocket {
  private readonly frames: string[] = [];
  private waiter: ((frame: string) => void) | undefined;
  private closeInfo: { code: number; reason: string } | undefined;
  private closeWaiter: ((info: { code: number; reason: string }) => void) | undefined;

  constructor(
    private readonly ws: WebSocket,
    private readonly timeoutMs: number,
  ) {
    ws.on('message', (data) => {
      const text = data.toString();
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = undefined;
        w(text);
      } else this.frames.push(text);
    });
    ws.on('close', (code, reason) => {
      this.closeInfo = { code, reason: reason.toString() };
      this.closeWaiter?.(this.closeInfo);
    });
    ws.on('error', () => undefined); // surfaced through close
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends `frame` (an object is JSON-encoded, a string is sent verbatim) and awaits the next frame. */
  async exchange(frame: unknown): Promise<unknown> {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
    const text = await this.next();
    try {
      return JSON.parse(text);
    } catch {
      throw new ConformanceError(`server sent a non-JSON frame: ${text.slice(0, 120)}`);
    }
  }

  next(): Promise<string> {
    const queued = this.frames.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.closeInfo) return Promise.reject(closedBeforeReply(this.closeInfo));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new TimeoutError('reply', this.timeoutMs, {}, `no reply within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.waiter = (f) => {
        clearTimeout(timer);
        resolve(f);
      };
      this.closeWaiter = (info) => {
        clearTimeout(timer);
        this.waiter = undefined;
        reject(closedBeforeReply(info));
      };
    });
  }

  /** Sends `frame` and resolves with the close code the server answers with. */
  awaitClose(frame?: unknown): Promise<{ code: number; reason: string }> {
    if (frame !== undefined) this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
    if (this.closeInfo) return Promise.resolve(this.closeInfo);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new TimeoutError('reply', this.timeoutMs, {}, `server did not close within ${this.timeoutMs} ms`)), this.timeoutMs);
      this.closeWaiter = (info) => {
        clearTimeout(timer);
        resolve(info);
      };
    });
  }

  close(): void {
    this.ws.terminate();
  }
}

const closedBeforeReply = (info: { code: number; reason: string }): ConnectionClosedError =>
  new ConnectionClosedError(`socket closed (${info.code}) before a reply`, info.code, info.reason);
