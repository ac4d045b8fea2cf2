import { z } from 'zod';
import { envModuleSource } from '../../src/cli/types/env-module-source.js';
import type { SchemaResponse } from '../../src/protocol/http-messages.js';
import { loadTranscript, type HttpExchange, type WsExchange } from '../helpers/transcripts.js';

interface Generated {
  action: z.ZodType;
  observation: z.ZodType;
  state: z.ZodType;
}

/** The module `openenv-rx types` prints for a recorded /schema, evaluated with the real zod (imports and type exports dropped). */
function generatedFrom(schemaFile: string): Generated {
  const schema = loadTranscript<HttpExchange>(schemaFile).find((r) => r.path === '/schema')!.response_body as SchemaResponse;
  const source = envModuleSource({ schema, name: 'recorded', url: 'http://127.0.0.1:8000', version: 'test' });
  const body = source
    .split('\n')
    .filter((line) => !line.startsWith('import ') && !line.startsWith('export type '))
    .join('\n')
    .replaceAll('export const ', 'const ');
  const make = new Function('z', 'defineEnv', `${body}\nreturn { action: RecordedAction, observation: RecordedObservation, state: RecordedState };`);
  return make(z, (definition: unknown) => definition) as Generated;
}

/** What real OpenEnv servers sent and accepted over /ws: the generated schemas must agree with every line. */
function recordedExchanges(wsFile: string) {
  const lines = loadTranscript<WsExchange>(wsFile).filter((r) => r.send && r.recv) as { send: { type?: string; data?: unknown }; recv: { type: string; data: { observation?: unknown } } }[];
  return {
    accepted: lines.filter((r) => r.send.type === 'step' && r.recv.type === 'observation').map((r) => r.send.data),
    refused: lines.filter((r) => r.send.type === 'step' && r.recv.type === 'error' && typeof r.send.data === 'object' && r.send.data !== null).map((r) => r.send.data),
    observations: lines.filter((r) => r.recv.type === 'observation').map((r) => r.recv.data.observation),
    states: lines.filter((r) => r.recv.type === 'state').map((r) => r.recv.data),
  };
}

describe.each([
  ['grid_world (generation H)', 'grid_world_env.jsonl', 'grid_world_env-ws.jsonl'],
  ['echo, an MCP tool env (generation H)', 'echo_env.jsonl', 'echo_env-ws.jsonl'],
  ['echo (generation B)', 'echo_env@30c16b3b.jsonl', 'echo_env@30c16b3b-ws.jsonl'],
])('the types generated from the recorded /schema of %s', (_name, schemaFile, wsFile) => {
  const generated = generatedFrom(schemaFile);
  const recorded = recordedExchanges(wsFile);

  it('accept every action the server accepted and refuse every action it refused', () => {
    expect(recorded.accepted.length).toBeGreaterThan(0);
    expect(recorded.refused.length).toBeGreaterThan(0);
    expect(recorded.accepted.filter((a) => !generated.action.safeParse(a).success)).toEqual([]);
    expect(recorded.refused.filter((a) => generated.action.safeParse(a).success)).toEqual([]);
  });

  it('parse every observation and state the server sent', () => {
    expect(recorded.observations.filter((o) => !generated.observation.safeParse(o).success)).toEqual([]);
    expect(recorded.states.filter((s) => !generated.state.safeParse(s).success)).toEqual([]);
    expect(recorded.states.length).toBeGreaterThan(0);
  });
});
