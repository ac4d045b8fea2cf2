import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One recorded HTTP exchange (see shared/openenv/PROTOCOL.md, "Transcript format"). */
export interface HttpExchange {
  peer: string;
  method: string;
  path: string;
  request_body: unknown;
  request_body_raw?: boolean;
  status: number;
  content_type: string;
  response_body: unknown;
  note?: string;
}

/** One recorded WS exchange. A line may hold only `recv_close` (end of the session). */
export interface WsExchange {
  peer: string;
  note?: string;
  send?: unknown;
  send_raw?: boolean;
  recv?: unknown;
  recv_raw?: boolean;
  recv_close?: { code: number; reason: string };
  [key: string]: unknown;
}

/**
 * The recorded OpenEnv exchanges: `OPENENV_TRANSCRIPTS` if set, else the copy vendored in
 * spec/fixtures/openenv-transcripts (so a fresh clone tests on its own; transcripts.spec.ts checks
 * that copy against ../shared/openenv/transcripts whenever that folder is present).
 */
export function transcriptsDir(): string {
  const fromEnv = process.env['OPENENV_TRANSCRIPTS'];
  if (fromEnv) return fromEnv;
  return resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/openenv-transcripts');
}

/** The shared recordings beside the repo (../shared/openenv/transcripts), if present. */
export function sharedTranscriptsDir(): string | undefined {
  const dir = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/openenv/transcripts');
  return existsSync(dir) ? dir : undefined;
}

export function transcriptFiles(): string[] {
  return readdirSync(transcriptsDir()).filter((f) => f.endsWith('.jsonl')).sort();
}

export function loadTranscript<T = HttpExchange | WsExchange>(file: string): T[] {
  return readFileSync(join(transcriptsDir(), file), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);
}

export const isWsTranscript = (file: string): boolean => file.includes('-ws') || file.startsWith('ws-');
