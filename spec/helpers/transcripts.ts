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

/** Finds shared/openenv/transcripts: `OPENENV_TRANSCRIPTS`, else `../shared` beside the repo. */
export function transcriptsDir(): string {
  const fromEnv = process.env['OPENENV_TRANSCRIPTS'];
  if (fromEnv) return fromEnv;
  const here = dirname(fileURLToPath(import.meta.url));
  const dir = resolve(here, '../../../shared/openenv/transcripts');
  if (!existsSync(dir)) throw new Error(`transcripts not found at ${dir}; set OPENENV_TRANSCRIPTS`);
  return dir;
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
