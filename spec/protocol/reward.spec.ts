import { normalizeReward } from '../../src/protocol/reward.js';
import { StepResponse, WsServerMessage, WsClientMessage } from '../../src/protocol/index.js';
import { loadTranscript, transcriptFiles, isWsTranscript, type WsExchange } from '../helpers/transcripts.js';

describe('normalizeReward', () => {
  it('maps booleans to 1/0 and keeps numbers and null', () => {
    expect(normalizeReward(true)).toBe(1);
    expect(normalizeReward(false)).toBe(0);
    expect(normalizeReward(-0.1)).toBe(-0.1);
    expect(normalizeReward(null)).toBeNull();
    expect(normalizeReward(undefined)).toBeNull();
  });
});

describe('protocol schemas against every recorded frame', () => {
  const wsFiles = transcriptFiles().filter((f) => isWsTranscript(f) && !f.startsWith('ws-capacity'));
  it.each(wsFiles)('%s: every JSON reply parses as a server envelope', (file) => {
    const rows = loadTranscript<WsExchange>(file).filter((r) => r.recv && !r.recv_raw);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(WsServerMessage.safeParse(row.recv).error).toBeUndefined();
  });
  it('accepts a boolean reward and rejects an envelope with an extra key', () => {
    expect(StepResponse.parse({ observation: {}, reward: true, done: false }).reward).toBe(true);
    expect(WsClientMessage.safeParse({ type: 'state', data: {} }).success).toBe(false);
    expect(WsClientMessage.safeParse({ type: 'step', data: { action: 'UP' } }).success).toBe(true);
  });
});
