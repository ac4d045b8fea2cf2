import WebSocket from 'ws';
import { firstValueFrom, type Observable } from 'rxjs';
import { z } from 'zod';
import { defineEnv } from '../src/session/define-env.js';
import { onCleanup } from './cleanup.js';
import { openBareWsClient, wsUrlOf } from './bare-ws-client.js';
import { BUILTIN_SERVER, startChildServer } from './child-server.js';
import { openSession } from './open-session.js';
import type { BenchConfig, SectionResult } from './section-result.js';
import { interleave, medianOpsPerSecond, medianPairedRatio, round, stepRow } from './stats.js';

const TARGET = 1.15;
const MESSAGE = { message: 'hello openenv-rx' };
const CALL_ACTION = { type: 'call_tool', tool_name: 'echo_message', arguments: MESSAGE };
const LEVELS = [1, 4, 16] as const;

/** The echo tools as a user declares them (typed name and arguments, checked before sending). */
const Echo = defineEnv({ name: 'echo_mcp', tools: { echo_message: z.object({ message: z.string() }) } });

/** `n` calls, at most `inFlight` outstanding: each completion starts the next until `n` were sent. */
function pipelined(n: number, inFlight: number, call: () => Observable<unknown>): Promise<number> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let done = 0;
    const next = (): void => {
      sent++;
      call().subscribe({
        error: reject,
        complete: () => {
          if (++done === n) resolve(n);
          else if (sent < n) next();
        },
      });
    };
    for (let i = 0; i < Math.min(inFlight, n); i++) next();
  });
}

/** A bare `ws` client keeping `inFlight` JSON-RPC `tools/call` frames outstanding (ids counted, replies not matched). */
function openBareMcpClient(url: string): Promise<{ calls(n: number, inFlight: number): Promise<number>; close(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrlOf(url), { perMessageDeflate: false });
    let onReply: (() => void) | undefined;
    const close = onCleanup(
      () =>
        new Promise<void>((done) => {
          if (socket.readyState === WebSocket.CLOSED) return done();
          socket.once('close', () => done());
          socket.terminate();
        }),
    );
    let id = 0;
    const send = (): void => socket.send(JSON.stringify({ type: 'mcp', data: { jsonrpc: '2.0', method: 'tools/call', params: { name: 'echo_message', arguments: MESSAGE }, id: ++id } }));
    socket.on('message', (data) => {
      const reply = JSON.parse(data.toString()) as { type?: string };
      if (reply.type === 'mcp') onReply?.();
    });
    socket.once('error', reject);
    socket.once('open', () =>
      resolve({
        close,
        calls: (n, inFlight) =>
          new Promise<number>((done) => {
            let sent = 0;
            let answered = 0;
            onReply = () => {
              if (++answered === n) return done(n);
              if (sent < n) {
                sent++;
                send();
              }
            };
            for (; sent < Math.min(inFlight, n); sent++) send();
          }),
      }),
    );
  });
}

/**
 * Section `tools`: `callTool` round trips (a `call_tool` step, typed arguments checked) against a
 * bare `ws` client sending the same frames; then JSON-RPC `tools/call` over the WS `mcp` message
 * with 1, 4 and 16 calls in flight, openenv-rx (`callTool(..., { via: 'mcp' })`) and bare `ws`.
 * Server: `serve-builtin echo_mcp` in a child process.
 */
export async function toolsSection(config: BenchConfig): Promise<SectionResult> {
  const server = await startChildServer(BUILTIN_SERVER, ['echo_mcp']);
  try {
    const bare = await openBareWsClient(server.url, CALL_ACTION);
    const typed = await openSession(Echo.connect(server.url, { transport: 'ws' }));
    const env = typed.session;
    await firstValueFrom(env.reset());
    const n = config.wsSteps;
    const sequential = await interleave(config.rounds, {
      bare: () => bare.steps(n),
      callTool: () => pipelined(n, 1, () => env.callTool('echo_message', MESSAGE)),
    });
    await bare.close();

    const bareMcp = await openBareMcpClient(server.url);
    const levelRows = [];
    for (const level of LEVELS) {
      const samples = await interleave(config.rounds, {
        bare: () => bareMcp.calls(n, level),
        rx: () => pipelined(n, level, () => env.callTool('echo_message', MESSAGE, { via: 'mcp' })),
      });
      levelRows.push({ 'in flight': level, 'openenv-rx calls/s': round(medianOpsPerSecond(samples.rx)), 'bare ws calls/s': round(medianOpsPerSecond(samples.bare)), 'vs bare': round(medianPairedRatio(samples.rx, samples.bare)) });
    }
    await bareMcp.close();
    await typed.close();

    const ratio = medianPairedRatio(sequential.callTool, sequential.bare);
    const base = levelRows[0]!['openenv-rx calls/s'];
    return {
      id: 'tools',
      title: 'MCP tools: callTool round trip, pipelined mcp calls',
      status: 'ok',
      baseline: 'bare `ws` client, same frames, same server process',
      ratio: round(ratio),
      target: TARGET,
      met: ratio <= TARGET,
      rows: [
        stepRow('bare ws client, call_tool step frames (baseline)', sequential.bare, sequential.bare),
        stepRow('openenv-rx callTool (typed tools, via step) (headline)', sequential.callTool, sequential.bare),
        ...levelRows.map((row) => ({ client: `JSON-RPC tools/call over WS mcp, ${row['in flight']} in flight`, ...row, 'vs 1 in flight': round(row['openenv-rx calls/s'] / base) })),
      ],
      notes: [
        `${config.rounds} interleaved rounds of ${n} calls per client and level; medians over rounds.`,
        'Server: `node dist-bench/src/server/serve-builtin.js echo_mcp` in a child process; sync tool handlers, so the server answers in order.',
      ],
    };
  } finally {
    await server.stop();
  }
}

