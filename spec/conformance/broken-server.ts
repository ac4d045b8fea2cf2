import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;
type WsHandler = (ws: WebSocket, frame: string, state: { steps: number }) => void;

export interface Breakage {
  http?: Record<string, Handler>;
  ws?: WsHandler;
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

const step = { observation: { n: 1 }, reward: 1, done: false };

/** A minimal conformant server for one counter env; each route can be replaced to break one check. */
const conformant: Record<string, Handler> = {
  'GET /health': (_q, r) => json(r, 200, { status: 'healthy' }),
  'GET /metadata': (_q, r) => json(r, 200, { name: 'counter', description: 'counts' }),
  'GET /schema': (_q, r) =>
    json(r, 200, {
      action: { type: 'object', properties: { inc: { type: 'integer', minimum: 1 } }, required: ['inc'] },
      observation: { type: 'object' },
      state: { type: 'object' },
    }),
  'GET /openapi.json': (_q, r) => json(r, 200, { openapi: '3.1.0', info: { title: 'x', version: '1.0.0' } }),
  'POST /mcp': (_q, r) => json(r, 200, { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid request' } }),
  'POST /reset': (_q, r) => json(r, 200, { observation: { n: 0 }, reward: 0, done: false }),
  'POST /step': (_q, r, body) =>
    JSON.parse(body || '{}').action
      ? json(r, 200, step)
      : json(r, 422, { detail: [{ type: 'missing', loc: ['body', 'action'], msg: 'Field required', input: {} }] }),
  'GET /state': (_q, r) => json(r, 200, { episode_id: null, step_count: 0 }),
};

const conformantWs: WsHandler = (ws, frame, state) => {
  let msg: { type?: string; data?: unknown; [k: string]: unknown };
  try {
    msg = JSON.parse(frame);
  } catch {
    return ws.send(JSON.stringify({ type: 'error', data: { message: 'Invalid JSON', code: 'INVALID_JSON' } }));
  }
  const err = (code: string) => ws.send(JSON.stringify({ type: 'error', data: { message: code, code } }));
  const extra = Object.keys(msg).some((k) => k !== 'type' && k !== 'data');
  switch (msg.type) {
    case 'reset':
      state.steps = 0;
      return ws.send(JSON.stringify({ type: 'observation', data: { observation: { n: 0 }, reward: 0, done: false } }));
    case 'step':
      if (!msg.data) return err('VALIDATION_ERROR');
      state.steps++;
      return ws.send(JSON.stringify({ type: 'observation', data: step }));
    case 'state':
      if (extra || 'data' in msg) return err('VALIDATION_ERROR');
      return ws.send(JSON.stringify({ type: 'state', data: { episode_id: null, step_count: state.steps } }));
    case 'close':
      return ws.close(1000);
    default:
      return err('UNKNOWN_TYPE');
  }
};

export interface TestServer {
  url: string;
  close(): Promise<void>;
}

/** Starts the conformant server on 127.0.0.1 with `breakage` applied. */
export async function startServer(breakage: Breakage = {}): Promise<TestServer> {
  const routes = { ...conformant, ...breakage.http };
  const wsHandler = breakage.ws ?? conformantWs;
  const wss = new WebSocketServer({ noServer: true });
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const route = routes[`${req.method} ${req.url}`];
      if (route) route(req, res, body);
      else json(res, 404, { detail: 'Not Found' });
    });
  });
  server.on('upgrade', (req, socket, head) => {
    if (req.url !== '/ws') return socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => {
      const state = { steps: 0 };
      ws.on('message', (data) => wsHandler(ws, data.toString(), state));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export { json as sendJson, conformantWs };
