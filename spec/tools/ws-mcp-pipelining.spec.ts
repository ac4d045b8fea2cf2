import { firstValueFrom, Subscription } from 'rxjs';
import { z } from 'zod';
import { defineToolEnv } from '../../src/environment/define-tool-env.js';
import { defineTool } from '../../src/environment/tools.js';
import { ConnectionClosedError, ProtocolError, ServerError, SessionStateError, TimeoutError } from '../../src/errors/index.js';
import { serve } from '../../src/server/serve.js';
import { connectUrl } from '../../src/session/connect-url.js';
import { errorOf, startScriptedWsServer } from '../transport/support.js';
import { openSession } from './support.js';
import { pollUntil } from '../support/poll.js';

/** A gate the test holds and releases: handlers wait on it, so no timing is guessed. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

const observation = (n: number) => JSON.stringify({ type: 'observation', data: { observation: { n }, reward: null, done: false } });

describe('WS mcp: several JSON-RPC calls in flight, matched by id', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('answers that overtake each other reach their own callers; a step waits until no mcp is outstanding', async () => {
    const gates = { a: gate(), b: gate() };
    const log: string[] = [];
    const Toolbox = defineToolEnv({
      name: 'toolbox',
      tools: {
        wait: defineTool({
          input: z.strictObject({ key: z.enum(['a', 'b']) }),
          handler: async ({ key }) => {
            log.push(`${key} started`);
            await gates[key].wait;
            log.push(`${key} done`);
            return key;
          },
        }),
        mark: defineTool({ input: z.strictObject({}), handler: () => log.push('step ran') }),
      },
    });
    const server = await serve(Toolbox);
    cleanups.push(() => server.close());
    const { env, failures, close } = await openSession(connectUrl(server.url, { transport: 'ws' }));
    cleanups.push(close);

    const answers: string[] = [];
    const subscription = new Subscription();
    cleanups.push(() => subscription.unsubscribe());
    const done = (label: string) => ({ next: (value: unknown) => answers.push(`${label}=${JSON.stringify(value)}`), error: (e: unknown) => answers.push(`${label} failed: ${String(e)}`) });
    subscription.add(env.callTool('wait', { key: 'a' }, { via: 'mcp' }).subscribe({ ...done('a'), next: (r) => answers.push(`a=${String(r.value)}`) }));
    subscription.add(env.callTool('wait', { key: 'b' }, { via: 'mcp' }).subscribe({ ...done('b'), next: (r) => answers.push(`b=${String(r.value)}`) }));
    subscription.add(env.mcp<{ tools: Array<{ name: string }> }>('tools/list').subscribe({ ...done('list'), next: (r) => answers.push(`list=${r.tools.length}`) }));
    subscription.add(env.callTool('mark', {}).subscribe({ ...done('step'), next: (r) => answers.push(`step=${String(r.ok)}`) }));

    await pollUntil(() => answers.length === 1 && log.length === 2, 'answers.length === 1 && log.length === 2');
    expect(answers).toEqual(['list=2']); // the quick call overtook both waiting ones
    expect(log).toEqual(['a started', 'b started']); // the step has not been sent: a and b are outstanding

    gates.b.open();
    await pollUntil(() => answers.length === 2, 'answers.length === 2');
    expect(answers[1]).toBe('b=b');
    gates.a.open();
    await pollUntil(() => answers.length === 4, 'answers.length === 4');
    expect(answers.slice(2)).toEqual(['a=a', 'step=true']);
    expect(log).toEqual(['a started', 'b started', 'b done', 'a done', 'step ran']);
    expect(failures).toEqual([]);
  });

  it('a reply with an unknown id is a protocol error for everyone waiting, never another caller\'s answer', async () => {
    const scripted = await startScriptedWsServer({
      onMessage: (ws, text) => {
        const frame = JSON.parse(text) as { type: string; data: { id: number } };
        // The second request is answered with an id nobody sent.
        if (frame.type === 'mcp' && frame.data.id === 2) ws.send(JSON.stringify({ type: 'mcp', data: { jsonrpc: '2.0', id: 99, result: { stolen: true } } }));
      },
    });
    cleanups.push(() => scripted.close());
    const { env, failures, close } = await openSession(connectUrl(scripted.url, { transport: 'ws' }));
    cleanups.push(close);
    const first = errorOf(env.mcp('tools/list'));
    const second = errorOf(env.mcp('tools/list'));
    const [e1, e2] = await Promise.all([first, second]);
    expect(e1).toBeInstanceOf(ProtocolError);
    expect((e1 as ProtocolError).message).toContain('unknown JSON-RPC id 99 (outstanding: 1, 2)');
    expect((e1 as ProtocolError).context).toMatchObject({ transport: 'ws', request: 'mcp' });
    expect(e2).toBeInstanceOf(ConnectionClosedError);
    await pollUntil(() => failures.length === 1, 'failures.length === 1');
    expect(failures[0]).toBe(e1);
    expect(await errorOf(env.mcp('tools/list'))).toBeInstanceOf(SessionStateError); // the failed session was closed
  });

  it('error frames answering mcp requests (a generation-B server) go to the oldest outstanding one; the socket survives', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const scripted = await startScriptedWsServer({
      onMessage: (ws, text) => {
        const frame = JSON.parse(text) as { type: string };
        if (frame.type === 'mcp') void held.then(() => ws.send(JSON.stringify({ type: 'error', data: { message: 'Unknown message type: mcp', code: 'UNKNOWN_TYPE' } })));
        else ws.send(observation(7));
      },
    });
    cleanups.push(() => scripted.close());
    const { env, failures, close } = await openSession(connectUrl(scripted.url, { transport: 'ws' }));
    cleanups.push(close);
    const mcp1 = errorOf(env.mcp('tools/list'));
    const mcp2 = errorOf(env.mcp('tools/call', { name: 'x' }));
    const step = firstValueFrom(env.step({ any: 1 }));
    await pollUntil(() => scripted.received.length === 2, 'scripted.received.length === 2');
    expect(scripted.received.map((t) => (JSON.parse(t) as { type: string }).type)).toEqual(['mcp', 'mcp']); // the step waits
    release();
    const [e1, e2] = (await Promise.all([mcp1, mcp2])) as ServerError[];
    expect(e1).toBeInstanceOf(ServerError);
    expect(e1).toMatchObject({ serverCode: 'UNKNOWN_TYPE', context: { request: 'mcp' } });
    expect(e2).toMatchObject({ serverCode: 'UNKNOWN_TYPE' });
    expect(e1).not.toBe(e2);
    expect((await step).observation).toEqual({ n: 7 });
    expect(failures).toEqual([]);
  });

  it('an abandoned call\'s late answer is dropped quietly; a call never answered times out and discards the socket', async () => {
    let answerLate!: () => void;
    const late = new Promise<void>((resolve) => (answerLate = resolve));
    const scripted = await startScriptedWsServer({
      onMessage: (ws, text) => {
        const frame = JSON.parse(text) as { data: { id: number; method: string } };
        if (frame.data.method === 'never') return;
        const reply = JSON.stringify({ type: 'mcp', data: { jsonrpc: '2.0', id: frame.data.id, result: { id: frame.data.id } } });
        if (frame.data.id === 1) void late.then(() => ws.send(reply));
        else ws.send(reply);
      },
    });
    cleanups.push(() => scripted.close());
    const { env, failures, close } = await openSession(connectUrl(scripted.url, { transport: 'ws', replyTimeoutMs: 2_000 }));
    cleanups.push(close);
    const abandoned = env.mcp('slow').subscribe();
    await pollUntil(() => scripted.received.length === 1, 'scripted.received.length === 1');
    abandoned.unsubscribe();
    answerLate();
    expect(await firstValueFrom(env.mcp('quick'))).toEqual({ id: 2 });
    expect(failures).toEqual([]);

    const timedOut = await errorOf(env.mcp('never'));
    expect(timedOut).toBeInstanceOf(TimeoutError);
    expect(timedOut).toMatchObject({ phase: 'reply', context: { request: 'mcp' } });
    await pollUntil(() => failures.length === 1, 'failures.length === 1');
    expect(failures[0]).toBe(timedOut);
    expect(await errorOf(env.mcp('quick'))).toBeInstanceOf(SessionStateError);
  });
});
