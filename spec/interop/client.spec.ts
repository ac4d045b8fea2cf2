import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { concatMap, defer, firstValueFrom, forkJoin, lastValueFrom, map, toArray } from 'rxjs';
import { z } from 'zod';
import { HttpStatusError, ToolArgumentsError } from '../../src/errors/index.js';
import { collect } from '../../src/fleet/collect.js';
import { envPool, type EnvPool } from '../../src/fleet/env-pool.js';
import { vectorEnv } from '../../src/fleet/vector-env.js';
import { rollouts } from '../../src/operators/rollouts.js';
import { withSession } from '../../src/operators/with-session.js';
import { defineEnv } from '../../src/session/define-env.js';
import { taskApi } from '../../src/transport/task-api.js';
import { cli } from '../cli/cli-support.js';
import type { ActionOf, ObservationOf, StateOf } from '../../src/session/env-spec.js';
import type { EnvSession } from '../../src/session/types.js';
import WebSocket from 'ws';
import { echoMcpEnv } from '../../src/envs/echo-mcp.js';
import { serve, type RunningServer } from '../../src/server/serve.js';
import { startOpenEnvServer, type StartedServer } from './support/openenv-server.js';
import { describeWithOpenEnv, RELEASES, requireVenv } from './support/openenv-venvs.js';
import { pollUntil } from '../support/poll.js';

/** spec/interop/fixtures/corridor_env.py, typed as a user of openenv-rx would type it. */
const Corridor = defineEnv({
  name: 'corridor',
  action: z.object({ move: z.union([z.literal(-1), z.literal(1)]) }),
  observation: z.object({ position: z.number(), length: z.number(), legal_actions: z.array(z.number()) }),
  state: z.object({ episode_id: z.string().nullable(), step_count: z.number(), position: z.number(), length: z.number() }),
});
type CorridorSession = EnvSession<ActionOf<typeof Corridor>, ObservationOf<typeof Corridor>, StateOf<typeof Corridor>>;
const forward = () => ({ move: 1 }) as const;

/** POSTs one JSON-RPC body to `/mcp`. */
async function postMcp(url: string, body: unknown): Promise<unknown> {
  const response = await fetch(`${url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return response.json();
}

/** Sends each frame over one `/ws` socket after a reset, one at a time; resolves with the replies' data. */
function wsExchange(url: string, frames: unknown[]): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${url.replace('http', 'ws')}/ws`);
    const replies: unknown[] = [];
    const queue = [{ type: 'reset', data: {} }, ...frames];
    const timer = setTimeout(() => (socket.terminate(), reject(new Error(`no answer from ${url}/ws`))), 15_000);
    socket.on('open', () => socket.send(JSON.stringify(queue.shift())));
    socket.on('error', reject);
    socket.on('message', (data) => {
      replies.push((JSON.parse(String(data)) as { data: unknown }).data);
      if (queue.length) return socket.send(JSON.stringify(queue.shift()));
      clearTimeout(timer);
      socket.close();
      resolve(replies.slice(1));
    });
  });
}

/** What must match between two servers' JSON-RPC error answers: code, id, pydantic error types. */
const errorShape = (answer: unknown) => {
  const { id, error } = answer as { id: unknown; error?: { code: number; message: string } };
  return { id, code: error?.code, types: [...(error?.message ?? '').matchAll(/\[type=(\w+)/g)].map((m) => m[1]) };
};

/** spec/interop/fixtures/adder_env.py (MCPEnvironment); its tool schemas come from its own tools/list. */
const Adder = defineEnv({ name: 'adder', tools: 'discover' });

describe.each(RELEASES)('our client against servers written with OpenEnv %s (create_app, Environment, MCPEnvironment; uvicorn)', (release) => {
  describeWithOpenEnv(release)('', () => {
    let corridor: StartedServer; // MAX_CONCURRENT_ENVS=2
    let single: StartedServer; // MAX_CONCURRENT_ENVS=1
    let adder: StartedServer; // MAX_CONCURRENT_ENVS=4
    let out: string;

    beforeAll(async () => {
      const venv = requireVenv(release);
      out = mkdtempSync(join(tmpdir(), 'openenv-rx-interop-collect-'));
      [corridor, single, adder] = await Promise.all([
        startOpenEnvServer(venv, 'corridor_env', { MAX_CONCURRENT_ENVS: '2' }),
        startOpenEnvServer(venv, 'corridor_env', { MAX_CONCURRENT_ENVS: '1' }),
        startOpenEnvServer(venv, 'adder_env', { MAX_CONCURRENT_ENVS: '4' }),
      ]);
    }, 150_000);
    afterAll(async () => {
      await Promise.all([corridor, single, adder].map((s) => s?.stop()));
      if (out) rmSync(out, { recursive: true, force: true });
    }, 30_000);

    it('a session: reset with options, steps to done, state over /ws', async () => {
      const [steps, state] = await firstValueFrom(
        Corridor.connect(corridor.url, { transport: 'ws' }).pipe(
          withSession((env) =>
            env.episode(forward, { seed: 3, resetOptions: { extra: { length: 3 } } }).pipe(
              toArray(),
              concatMap((episode) => env.state().pipe(map((state) => [episode, state] as const))),
            ),
          ),
        ),
      );
      expect(steps.map((s) => [s.kind, s.observation.position, s.reward, s.done])).toEqual([
        ['reset', 0, 0, false],
        ['step', 1, -0.1, false],
        ['step', 2, -0.1, false],
        ['step', 3, 1, true],
      ]);
      expect(state).toEqual({ episode_id: expect.any(String), step_count: 3, position: 3, length: 3 });
    });

    it('rollouts: 4 episodes over 2 parallel sessions, each to done', async () => {
      const steps = await lastValueFrom(rollouts(Corridor.connect(corridor.url, { transport: 'ws' }), forward, { sessions: 2, episodes: 4, seed: 0 }).pipe(toArray()));
      const ends = steps.filter((s) => s.done);
      expect(ends).toHaveLength(4);
      expect(ends.every((s) => s.reward === 1 && s.observation.position === 4)).toBe(true);
      expect(new Set(steps.map((s) => s.sessionIndex))).toEqual(new Set([0, 1]));
    });

    it('vectorEnv: 2 sub-envs step together until both are done', async () => {
      const rewards = await firstValueFrom(
        vectorEnv(Corridor.connect(corridor.url, { transport: 'ws' }), { num: 2, autoreset: 'disabled' }).pipe(
          withSession((vec) =>
            defer(async () => {
              const reset = await firstValueFrom(vec.reset({ seed: 1 }));
              expect(reset.observations.map((o) => o.position)).toEqual([0, 0]);
              const totals = [0, 0];
              for (let i = 0; i < 4; i++) {
                const step = await firstValueFrom(vec.step([forward(), forward()]));
                step.rewards.forEach((r, j) => (totals[j]! += r));
                expect(step.terminations).toEqual([i === 3, i === 3]);
              }
              return totals.map((t) => Math.round(t * 10) / 10);
            }),
          ),
        ),
      );
      expect(rewards).toEqual([0.7, 0.7]);
    });

    it.each([
      ['MAX_CONCURRENT_ENVS=2', () => corridor, 2],
      ['MAX_CONCURRENT_ENVS=1', () => single, 1],
    ])('envPool learns the capacity of a %s server from its refusals; 3 leases all finish', async (_name, server, limit) => {
      const pool$ = envPool(Corridor.connect(server().url, { transport: 'ws' }), { min: 0, max: 3 });
      const result = await firstValueFrom(
        pool$.pipe(
          withSession((pool: EnvPool<CorridorSession>) =>
            forkJoin(Array.from({ length: 3 }, () => pool.session().pipe(withSession((env) => env.episode(forward)), toArray()))).pipe(
              map((episodes) => ({ episodes, stats: pool.stats() })),
            ),
          ),
        ),
      );
      expect(result.episodes.map((e) => [e.length, e.at(-1)!.done])).toEqual([
        [5, true],
        [5, true],
        [5, true],
      ]);
      expect(result.stats.refusals).toBeGreaterThanOrEqual(1);
      expect(result.stats.servers).toEqual([expect.objectContaining({ limit })]);
    }, 60_000);

    it('collect: 4 episodes over 2 sessions into 2 shard files of OpenEnv results records', async () => {
      const events = await lastValueFrom(
        collect(Corridor.connect(corridor.url, { transport: 'ws' }), forward, { out, episodes: 4, sessions: 2, shardSize: 2, seed: 0 }).pipe(toArray()),
      );
      expect(events.at(-1)).toMatchObject({ type: 'summary' });
      const shards = readdirSync(out).filter((f) => f.startsWith('results')).sort();
      expect(shards).toEqual(['results-00000.jsonl', 'results-00001.jsonl']);
      const records = shards.flatMap((f) => readFileSync(join(out, f), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>));
      expect(records).toHaveLength(4);
      for (const record of records) expect(record).toMatchObject({ done: true, episode_id: expect.any(String) });
    }, 60_000);

    it('tools: listTools, callTool (step and JSON-RPC), arguments checked against the discovered schemas, an episode to done', async () => {
      await firstValueFrom(
        Adder.connect(adder.url, { transport: 'ws' }).pipe(
          withSession((env) =>
            defer(async () => {
              await firstValueFrom(env.reset({ extra: { target: 7 } }));
              const tools = await firstValueFrom(env.listTools());
              expect(tools.tools.map((t) => t.name).sort()).toEqual(['add', 'echo', 'submit']);
              expect((await firstValueFrom(env.callTool('add', { a: 2, b: 5 }))).value).toBe(7);
              expect((await firstValueFrom(env.callTool('echo', { message: 'hi' }, { via: 'mcp' }))).value).toBe('hi');
              // 'discover' read the server's own schemas: a wrong-typed argument never reaches it.
              const refused = await firstValueFrom(env.callTool('add', { a: 'two', b: 5 })).catch((e: unknown) => e);
              expect(refused).toBeInstanceOf(ToolArgumentsError);
              expect((refused as ToolArgumentsError).fields).toEqual(['a']);
              const episode = await lastValueFrom(
                env.episode((_obs, last) => (last.index === 0 ? Adder.toolCall('add', { a: 3, b: 4 }) : Adder.toolCall('submit', { answer: 7 })), { resetOptions: { extra: { target: 7 } } }).pipe(toArray()),
              );
              expect(episode.map((s) => [s.kind, s.reward, s.done])).toEqual([
                ['reset', 0, false],
                ['step', null, false], // OpenEnv's CallToolObservation has no reward
                ['step', 1, true],
              ]);
            }),
          ),
        ),
      );
    });

    it.each([
      ['corridor', () => corridor],
      ['adder', () => adder],
    ])('openenv-rx validate passes against the %s env', async (_name, server) => {
      const result = await cli('validate', '--url', server().url, '--json');
      const report = JSON.parse(result.out) as { ok: boolean; results: Array<{ id: string; ok: boolean; error?: string }> };
      expect(report.results.filter((r) => !r.ok)).toEqual([]);
      expect(result.code).toBe(0);
    });

    it('the task API (added in openenv 0.10): taskApi and `openenv-rx tasks`; older releases answer 404', async () => {
      const api = taskApi(corridor.url);
      if (release === 'openenv-core') {
        const missing = await firstValueFrom(api.environments()).catch((e: unknown) => e);
        expect(missing).toBeInstanceOf(HttpStatusError);
        expect(missing).toMatchObject({ status: 404, context: { request: 'tasks' } });
        return;
      }
      expect(await firstValueFrom(api.environments())).toEqual(['corridor']);
      expect(await firstValueFrom(api.splits('corridor'))).toEqual([
        { name: 'train', type: 'train' },
        { name: 'test', type: 'test' },
      ]);
      expect(await firstValueFrom(api.tasks('corridor', 'train'))).toEqual([{ length: 3 }, { length: 4 }, { length: 5 }]);
      expect(await firstValueFrom(api.numTasks('corridor', 'train'))).toBe(3);
      expect(await firstValueFrom(api.task('corridor', 'test', 0))).toEqual({ length: 6 });
      expect(await firstValueFrom(api.taskRange('corridor', 'train', { start: 1 }))).toEqual([{ length: 4 }, { length: 5 }]);
      expect(await firstValueFrom(api.task('corridor', 'test', 5)).catch((e: unknown) => e)).toMatchObject({ status: 400 });
      const listed = await cli('tasks', '--url', corridor.url, '--split', 'train', '--index', '2');
      expect(listed.code).toBe(0);
      expect(JSON.parse(listed.out)).toEqual({ env: 'corridor', split: 'train', index: 2, task: { length: 5 } });
      // A task drives an episode: its fields are reset options.
      const task = (await firstValueFrom(api.task('corridor', 'train', 0))) as { length: number };
      const steps = await firstValueFrom(Corridor.connect(corridor.url, { transport: 'ws' }).pipe(withSession((env) => env.episode(forward, { resetOptions: { extra: task } }).pipe(toArray()))));
      expect(steps.at(-1)).toMatchObject({ done: true, observation: { position: 3, length: 3 } });
    });

    describe("tool fidelity: our tool server answers as OpenEnv's MCPEnvironment server does", () => {
      let ours: RunningServer;
      beforeAll(async () => {
        ours = await serve(echoMcpEnv, { maxSessions: 4 });
      });
      afterAll(() => ours.close());
      const tool = (server: 'ours' | 'theirs') => (server === 'ours' ? 'echo_message' : 'echo');

      it('POST /mcp: params as an array (-32600, null id), "jsonrpc":"1.0" (literal_error), a wrong-typed argument (-32603)', async () => {
        const probes = (server: 'ours' | 'theirs') => [
          { jsonrpc: '2.0', method: 'tools/list', params: [], id: 2 },
          { jsonrpc: '1.0', method: 'tools/list', id: 3 },
          { jsonrpc: '2.0', method: 'tools/call', params: { name: tool(server), arguments: { message: 42 } }, id: 4 },
        ];
        const theirs = await Promise.all(probes('theirs').map((p) => postMcp(adder.url, p)));
        const mine = await Promise.all(probes('ours').map((p) => postMcp(ours.url, p)));
        expect(theirs.map(errorShape)).toEqual([
          { id: null, code: -32600, types: ['dict_type'] },
          { id: null, code: -32600, types: ['literal_error'] },
          { id: 4, code: -32603, types: ['string_type'] },
        ]);
        expect(mine.map(errorShape)).toEqual(theirs.map(errorShape));
      });

      it('WS: a wrong-typed tool argument is an execution_error observation; openenv/session/create over the mcp channel names the socket\'s session', async () => {
        const frames = (server: 'ours' | 'theirs') => [
          { type: 'step', data: { type: 'call_tool', tool_name: tool(server), arguments: { message: 42 } } },
          { type: 'step', data: { type: 'call_tool', tool_name: tool(server), arguments: {} } },
          { type: 'mcp', data: { jsonrpc: '2.0', method: 'openenv/session/create', params: {}, id: 1 } },
          { type: 'mcp', data: { jsonrpc: '2.0', method: 'tools/list', params: [], id: 2 } },
        ];
        const shape = (replies: unknown[]) => {
          const [wrongType, missing, created, listed] = replies as [
            { observation: { error: { error_type: string } } },
            { observation: { error: { error_type: string } } },
            { id: number; result?: { session_id: unknown } },
            unknown,
          ];
          return {
            wrongType: wrongType.observation.error.error_type,
            missing: missing.observation.error.error_type,
            created: { id: created.id, sessionId: typeof created.result?.session_id },
            listed: errorShape(listed),
          };
        };
        const theirs = shape(await wsExchange(adder.url, frames('theirs')));
        expect(theirs).toEqual({
          wrongType: 'execution_error',
          missing: 'invalid_args',
          created: { id: 1, sessionId: 'string' },
          listed: { id: null, code: -32600, types: ['dict_type'] },
        });
        expect(shape(await wsExchange(ours.url, frames('ours')))).toEqual(theirs);
      });
    });

    it('no session is left open on the servers', async () => {
      // The pool and collect closed their sockets: a fresh MAX_CONCURRENT_ENVS=1 session is accepted.
      await pollUntil(async () => (await firstValueFrom(Corridor.connect(single.url, { transport: 'ws' }).pipe(withSession((env) => env.reset())))).done === false, '(await firstValueFrom(Corridor.connect(single.url, { transport: \'ws\' }).pipe(withSession((env) => env.reset())))).done === false', { timeoutMs: 10_000, intervalMs: 50 });
    });
  });
});
