import { map, Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { z } from 'zod';
import { ToolArgumentsError, ToolError } from '../../src/errors/index.js';
import { createSession } from '../../src/session/create-session.js';
import { fakeTransport } from '../../src/testing/fake-transport.js';
import type { WireStepResult } from '../../src/transport/transport.js';

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

const toolResult = (data: unknown) => ({ content: [{ type: 'text', text: String(data), annotations: null, meta: null }], structured_content: { result: data }, meta: null, data, is_error: false });
const called = (tool: string, data: unknown, reward: number | null = null, done = false): WireStepResult => ({
  observation: { tool_name: tool, result: toolResult(data), error: null },
  reward,
  done,
});
const failed = (tool: string): WireStepResult => ({
  observation: { tool_name: tool, result: null, error: { error_type: 'tool_not_found', message: `Unknown tool: '${tool}'` } },
  reward: null,
  done: false,
});
const Spec = { name: 'echo_mcp', tools: { echo_message: z.object({ message: z.string() }) } };

describe('callTool (virtual time)', () => {
  it('a tool step emits its result when the step answers; the wire action is call_tool with the arguments', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const answer = cold('--(r|)', { r: called('echo_message', 'hi', 0.5, true) });
      const transport = fakeTransport({ step: () => answer });
      const session = createSession(transport, Spec);
      expectObservable(session.callTool('echo_message', { message: 'hi' }).pipe(map((r) => [r.value, r.reward, r.done]))).toBe('--(v|)', { v: ['hi', 0.5, true] });
      expectSubscriptions(answer.subscriptions).toBe('^-!');
      flush();
      expect(transport.requests.map((r) => r.body)).toEqual([{ type: 'call_tool', tool_name: 'echo_message', arguments: { message: 'hi' } }]);
    });
  });

  it('a tool error errors at the frame it arrives, or is emitted as a value with toolErrors: value', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const transport = fakeTransport({ step: () => cold('---(f|)', { f: failed('nope') }) });
      const session = createSession(transport, { name: 'untyped' });
      const error = new ToolError('nope', 'tool_not_found', undefined, "Unknown tool: 'nope'");
      expectObservable(session.callTool('nope', {})).toBe('---#', undefined, expect.objectContaining({ tool: 'nope', errorType: 'tool_not_found', code: error.code }));
      expectObservable(session.callTool('nope', {}, { toolErrors: 'value' }).pipe(map((r) => r.ok))).toBe('---(f|)', { f: false });
    });
  });

  it('refused arguments error at once and send nothing; unsubscribing cancels a pending tool step', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const answer = cold('-----(r|)', { r: called('echo_message', 'x') });
      const transport = fakeTransport({ step: () => answer });
      const session = createSession(transport, Spec);
      expectObservable(session.callTool('echo_message', { message: 7 } as never)).toBe('#', undefined, expect.any(ToolArgumentsError));
      expectObservable(session.callTool('echo_message', { message: 'x' }), '^--!').toBe('---');
      expectSubscriptions(answer.subscriptions).toBe('^--!');
      flush();
      expect(transport.requests).toHaveLength(1);
    });
  });

  it('an agent loop driven by a Subject of tool calls: steps(action$) sends them one at a time, in order', () => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const answers = [cold('--(a|)', { a: called('echo_message', 'a') }), cold('-(b|)', { b: called('echo_message', 'b') })];
      let i = 0;
      const transport = fakeTransport({ step: () => answers[i++]! });
      const session = createSession(transport, Spec);
      const call = (message: string) => ({ type: 'call_tool', tool_name: 'echo_message', arguments: { message } });
      const action$ = hot('a-b----|', { a: call('a'), b: call('b') }) as unknown as Subject<Record<string, unknown>>;
      const data$ = session.steps(action$).pipe(map((r) => ((r.observation as { result: { data: string } }).result.data)));
      expectObservable(data$).toBe('--ab---|', { a: 'a', b: 'b' });
      expectSubscriptions(answers[0]!.subscriptions).toBe('^-!');
      expectSubscriptions(answers[1]!.subscriptions).toBe('--^!'); // queued behind the first: never overlapping
    });
  });

  it('mcp calls may overlap (each answered by its own reply); listTools via mcp is not a step', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const transport = fakeTransport({
        mcp: (method) =>
          method === 'tools/list'
            ? cold('----(l|)', { l: { jsonrpc: '2.0' as const, id: 1, result: { tools: [{ name: 'echo_message', inputSchema: { type: 'object' } }] } } })
            : cold('-(c|)', { c: { jsonrpc: '2.0' as const, id: 2, result: toolResult('fast') } }),
      });
      const session = createSession(transport, Spec);
      expectObservable(session.listTools({ via: 'mcp' }).pipe(map((l) => l.tools.map((t) => t.name)))).toBe('----(l|)', { l: ['echo_message'] });
      expectObservable(session.callTool('echo_message', { message: 'fast' }, { via: 'mcp' }).pipe(map((r) => r.value))).toBe('-(c|)', { c: 'fast' });
    });
  });
});
