import { compileFixtures } from './compile-fixtures.js';

/**
 * `tsc` fixtures: declared tools type `callTool`'s name and arguments, `Env.toolCall`, and the
 * result value. The good file must compile; each bad file must fail with the expected error.
 */
const header = `
import { z } from 'zod';
import { switchMap } from 'rxjs';
import { defineEnv } from '../../src/session/define-env.js';
import { rollouts, withSession } from '../../src/operators/index.js';
const Echo = defineEnv({
  name: 'echo_mcp',
  tools: {
    echo_message: { input: z.object({ message: z.string() }), result: z.string() },
    echo_with_length: z.object({ message: z.string(), repeat: z.int().default(1) }),
  },
});
const Untyped = defineEnv({ name: 'anything' });
`;

describe('typed tools at compile time', () => {
  const results = compileFixtures({
    good: `${header}
Echo.connect('http://127.0.0.1:1').pipe(
  switchMap((env) => env.callTool('echo_message', { message: 'hi' })),
).subscribe((r) => { const text: string = r.value; void text; });
Echo.connect('http://127.0.0.1:1').pipe(
  switchMap((env) => env.callTool('echo_with_length', { message: 'hi' }, { toolErrors: 'value' })),
).subscribe((r) => { if (r.ok) { const v: unknown = r.value; void v; } else { const t: string = r.error.tool; void t; } });
const call = Echo.toolCall('echo_message', { message: 'x' });
const name: 'echo_message' = call.tool_name;
void name;
Untyped.connect('http://127.0.0.1:1').pipe(switchMap((env) => env.callTool('whatever', { any: 1 }))).subscribe();
// Typed tool sessions go wherever sessions go.
rollouts(Echo.connect('http://127.0.0.1:1'), () => Echo.toolCall('echo_message', { message: 'x' }), { sessions: 1, episodes: 1 }).subscribe();
Echo.connect('http://127.0.0.1:1').pipe(withSession((env) => env.episode(() => ({ type: 'list_tools' }), { maxSteps: 1 }))).subscribe();
`,
    wrongName: `${header}
Echo.connect('http://127.0.0.1:1').pipe(switchMap((env) => env.callTool('echo_mesage', { message: 'hi' }))).subscribe();
`,
    wrongArgType: `${header}
Echo.connect('http://127.0.0.1:1').pipe(switchMap((env) => env.callTool('echo_message', { message: 42 }))).subscribe();
`,
    missingArg: `${header}
Echo.toolCall('echo_with_length', {});
`,
    resultType: `${header}
Echo.connect('http://127.0.0.1:1').pipe(switchMap((env) => env.callTool('echo_message', { message: 'hi' }))).subscribe((r) => { const n: number = r.value; void n; });
`,
  });

  it('compiles correct tool calls (typed and untyped)', () => {
    expect(results['good']).toEqual([]);
  });

  it('rejects a wrong tool name', () => {
    expect(results['wrongName']!.join('\n')).toMatch(/"echo_mesage"' is not assignable to parameter of type '"echo_message" \| "echo_with_length"'/);
  });

  it('rejects a wrong argument type', () => {
    expect(results['wrongArgType']!.join('\n')).toMatch(/Type 'number' is not assignable to type 'string'/);
  });

  it('rejects missing required arguments (defaulted ones may be omitted)', () => {
    expect(results['missingArg']!.join('\n')).toMatch(/Property 'message' is missing/);
    expect(results['missingArg']!.join('\n')).toMatch(/repeat\?: number \| undefined/); // z.input: the default makes it optional
  });

  it('types the result by the declared result schema', () => {
    expect(results['resultType']!.join('\n')).toMatch(/Type 'string' is not assignable to type 'number'/);
  });
});
