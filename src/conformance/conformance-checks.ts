import { HealthResponse, MetadataResponse, SchemaResponse, StateResponse, StepResponse, ErrorDetailBody } from '../protocol/http-messages.js';
import { WsServerMessage } from '../protocol/ws-messages.js';
import { ConformanceError } from '../errors/conformance-errors.js';
import { describeBody } from '../errors/describe-body.js';
import { sampleJsonSchema } from '../policies/sample-json-schema.js';
import type { WireProbe, ProbeResponse } from './wire-probe.js';

/** What every check can use: the probe, and the action to step with (given or sampled from /schema). */
export interface CheckContext {
  probe: WireProbe;
  action?: Record<string, unknown>;
}

export interface ConformanceCheck {
  id: string;
  title: string;
  run(ctx: CheckContext): Promise<void>;
}

function fail(message: string): never {
  throw new ConformanceError(message);
}

/** A body for a one-line message: JSON as sent (capped), anything else (an HTML page) described, never dumped. */
function brief(res: ProbeResponse): string {
  return res.json ? res.text.slice(0, 160) : describeBody(res.contentType, res.text);
}

function expectStatus(res: ProbeResponse, status: number, what: string): void {
  if (res.status !== status) fail(`${what}: expected HTTP ${status}, got ${res.status} ${brief(res)}`);
}

/** The parsed JSON body, or a failure that says what came instead (status, content type, first line). */
function expectJson(res: ProbeResponse, what: string): unknown {
  if (!res.json) fail(`${what}: the body is not JSON: HTTP ${res.status}, ${brief(res)}`);
  return res.body;
}

function expectShape<T>(schema: { safeParse(v: unknown): { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } } }, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error?.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; ');
    fail(`${what} has the wrong shape: ${issues}`);
  }
  return value as T;
}

type Shape = Parameters<typeof expectShape>[0];

/** GET/POST `path`, expect HTTP 200 and a body of `shape`; returns the body. */
async function expectOk<T>(probe: WireProbe, method: 'GET' | 'POST', path: string, shape: Shape, body?: unknown): Promise<T> {
  const what = `${method} ${path}`;
  const res = await probe.request(method, path, body);
  expectStatus(res, 200, what);
  return expectShape<T>(shape, expectJson(res, what), what);
}

async function actionFor(ctx: CheckContext): Promise<Record<string, unknown>> {
  if (ctx.action) return ctx.action;
  const res = await ctx.probe.request('GET', '/schema');
  if (res.status !== 200) fail(`no action given (--action) and /schema is unavailable to sample one (HTTP ${res.status})`);
  const schema = expectShape<SchemaResponse>(SchemaResponse, expectJson(res, 'GET /schema'), '/schema');
  const sample = sampleJsonSchema(schema.action);
  if (!sample || typeof sample !== 'object') fail('could not sample an action from /schema; pass --action');
  ctx.action = sample as Record<string, unknown>;
  return ctx.action;
}

function expectErrorFrame(frame: unknown, code: string, what: string): void {
  const msg = expectShape<WsServerMessage>(WsServerMessage, frame, what);
  if (msg.type !== 'error' || msg.data.code !== code) fail(`${what}: expected an error frame ${code}, got ${JSON.stringify(frame).slice(0, 160)}`);
}

/**
 * The checks `openenv-rx validate` runs, in order. They follow PROTOCOL.md (generation H) and
 * include what OpenEnv's own `openenv validate` checks (openapi, mcp).
 */
export const CONFORMANCE_CHECKS: readonly ConformanceCheck[] = [
  {
    id: 'health',
    title: 'GET /health answers 200 {"status":"healthy"}',
    async run({ probe }) {
      const body = await expectOk<HealthResponse>(probe, 'GET', '/health', HealthResponse);
      if (body.status !== 'healthy') fail(`/health status is ${body.status}`);
    },
  },
  {
    id: 'metadata',
    title: 'GET /metadata has name and description',
    async run({ probe }) {
      await expectOk(probe, 'GET', '/metadata', MetadataResponse);
    },
  },
  {
    id: 'schema',
    title: 'GET /schema has action, observation and state JSON Schemas',
    async run({ probe }) {
      await expectOk(probe, 'GET', '/schema', SchemaResponse);
    },
  },
  {
    id: 'openapi',
    title: 'GET /openapi.json has a string info.version',
    async run({ probe }) {
      const res = await probe.request('GET', '/openapi.json');
      expectStatus(res, 200, '/openapi.json');
      const version = (expectJson(res, '/openapi.json') as { info?: { version?: unknown } } | null)?.info?.version;
      if (typeof version !== 'string') fail('/openapi.json info.version is not a string');
    },
  },
  {
    id: 'mcp',
    title: 'POST /mcp {} answers 200 with a JSON-RPC 2.0 body',
    async run({ probe }) {
      const res = await probe.request('POST', '/mcp', {});
      expectStatus(res, 200, 'POST /mcp');
      if ((expectJson(res, 'POST /mcp') as { jsonrpc?: unknown } | null)?.jsonrpc !== '2.0') fail('POST /mcp body lacks jsonrpc: "2.0"');
    },
  },
  {
    id: 'http-reset',
    title: 'POST /reset answers {observation, reward, done}',
    async run({ probe }) {
      await expectOk(probe, 'POST', '/reset', StepResponse, { seed: 1 });
    },
  },
  {
    id: 'http-step',
    title: 'POST /step with a valid action answers {observation, reward, done}',
    async run(ctx) {
      await expectOk(ctx.probe, 'POST', '/step', StepResponse, { action: await actionFor(ctx) });
    },
  },
  {
    id: 'http-state',
    title: 'GET /state answers {episode_id, step_count}',
    async run({ probe }) {
      await expectOk(probe, 'GET', '/state', StateResponse);
    },
  },
  {
    id: 'http-422',
    title: 'POST /step without an action answers 422 with a pydantic detail list',
    async run({ probe }) {
      const res = await probe.request('POST', '/step', {});
      expectStatus(res, 422, 'POST /step {}');
      const body = expectShape<ErrorDetailBody>(ErrorDetailBody, expectJson(res, '422 body'), '422 body');
      if (!Array.isArray(body.detail) || body.detail[0]?.loc[0] !== 'body') fail('422 detail does not point at the body');
    },
  },
  {
    id: 'http-404',
    title: 'an unknown route answers 404 {"detail":"Not Found"}',
    async run({ probe }) {
      const res = await probe.request('GET', '/no-such-route-openenv-rx');
      expectStatus(res, 404, 'unknown route');
    },
  },
  {
    id: 'ws-session',
    title: 'WS /ws: reset, step, state in one stateful session, close answered with 1000',
    async run(ctx) {
      const action = await actionFor(ctx);
      const socket = await ctx.probe.openSocket();
      try {
        const reset = expectShape<WsServerMessage>(WsServerMessage, await socket.exchange({ type: 'reset', data: {} }), 'reset reply');
        if (reset.type !== 'observation') fail(`reset answered ${reset.type}`);
        const step = expectShape<WsServerMessage>(WsServerMessage, await socket.exchange({ type: 'step', data: action }), 'step reply');
        if (step.type !== 'observation') fail(`step answered ${JSON.stringify(step).slice(0, 160)}`);
        const state = expectShape<WsServerMessage>(WsServerMessage, await socket.exchange({ type: 'state' }), 'state reply');
        if (state.type !== 'state') fail(`state answered ${state.type}`);
        if (!step.data.done && state.data.step_count !== 1) fail(`state.step_count is ${state.data.step_count} after one step (session not stateful?)`);
        const closed = await socket.awaitClose({ type: 'close' });
        if (closed.code !== 1000) fail(`close answered with code ${closed.code}, expected 1000`);
      } finally {
        socket.close();
      }
    },
  },
  {
    id: 'ws-errors',
    title: 'WS error frames: INVALID_JSON, UNKNOWN_TYPE, VALIDATION_ERROR keep the socket open',
    async run({ probe }) {
      const socket = await probe.openSocket();
      try {
        expectErrorFrame(await socket.exchange('{not json'), 'INVALID_JSON', 'malformed JSON');
        expectErrorFrame(await socket.exchange({ type: 'bogus' }), 'UNKNOWN_TYPE', 'unknown type');
        expectErrorFrame(await socket.exchange({ type: 'step' }), 'VALIDATION_ERROR', 'step without data');
        expectErrorFrame(await socket.exchange({ type: 'state', extra: 1 }), 'VALIDATION_ERROR', 'envelope with an extra key');
        const after = expectShape<WsServerMessage>(WsServerMessage, await socket.exchange({ type: 'reset' }), 'reset after errors');
        if (after.type !== 'observation') fail('socket unusable after error frames');
      } finally {
        socket.close();
      }
    },
  },
];
