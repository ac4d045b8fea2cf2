import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { onCleanup } from './cleanup.js';

/** The least an HTTP client can do per step: one keep-alive POST /step, body read and parsed. */
export interface BareHttpClient {
  steps(n: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * Bare `node:http` keep-alive POSTs of the same body openenv-rx's HTTP transport sends
 * (`{"action":...,"request_id":<uuid>}`), one at a time on one socket: the HTTP baseline.
 */
export function openBareHttpClient(url: string, action: Record<string, unknown>): BareHttpClient {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const target = new URL('/step', url);
  const close = onCleanup(() => agent.destroy());
  const post = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const body = JSON.stringify({ action, request_id: randomUUID() });
      const req = request(
        target,
        { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode !== 200) return reject(new Error(`bare http client: HTTP ${res.statusCode}: ${text.slice(0, 200)}`));
            JSON.parse(text);
            resolve();
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  return {
    close: async () => close(),
    steps: async (n) => {
      for (let i = 0; i < n; i++) await post();
      return n;
    },
  };
}

/**
 * got alone: the same POSTs through a got instance with the options openenv-rx's HTTP client
 * gives its own (keep-alive agent, no retry, no thrown HTTP errors, text body, connect/response/
 * read timeouts), no session and no transport around it. What got itself costs per request, so
 * the HTTP section can say how much of the gap to bare `node:http` is got's and how much ours.
 */
export async function openGotHttpClient(url: string, action: Record<string, unknown>): Promise<BareHttpClient> {
  const { loadGot } = await import('../src/internal/lazy-got.js');
  const got = await loadGot();
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const close = onCleanup(() => agent.destroy());
  const client = got.extend({
    prefixUrl: `${url}/`,
    agent: { http: agent },
    retry: { limit: 0 },
    throwHttpErrors: false,
    responseType: 'text',
    timeout: { connect: 10_000, response: 60_000, read: 60_000 },
  });
  const headers = { 'content-type': 'application/json' };
  return {
    close: async () => close(),
    steps: async (n) => {
      for (let i = 0; i < n; i++) {
        const response = await client('step', { method: 'POST', body: JSON.stringify({ action, request_id: randomUUID() }), headers });
        if (response.statusCode !== 200) throw new Error(`got http client: HTTP ${response.statusCode}: ${response.body.slice(0, 200)}`);
        JSON.parse(response.body);
      }
      return n;
    },
  };
}
