import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { sharedTranscriptsDir, transcriptFiles, transcriptsDir } from '../helpers/transcripts.js';

describe('vendored OpenEnv transcripts', () => {
  it('hold every recording of the protocol doc', () => {
    expect(transcriptFiles()).toEqual(
      expect.arrayContaining(['echo_env@8f12109e.jsonl', 'echo_env@30c16b3b.jsonl', 'echo_env@30c16b3b-ws.jsonl', 'echo_env.jsonl', 'echo_env-ws.jsonl', 'grid_world_env.jsonl', 'grid_world_env-ws.jsonl', 'ws-capacity@685de411.jsonl']),
    );
  });

  const shared = sharedTranscriptsDir();
  (shared ? it : it.skip)('are identical to ../shared/openenv/transcripts (no drift)', () => {
    const files = readdirSync(shared!).filter((f) => f.endsWith('.jsonl')).sort();
    expect(transcriptFiles()).toEqual(files);
    for (const f of files) expect(readFileSync(join(transcriptsDir(), f), 'utf8')).toBe(readFileSync(join(shared!, f), 'utf8'));
  });
});
