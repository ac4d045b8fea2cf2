import { InvalidArgumentError } from 'commander';
import type { Writable } from 'node:stream';
import { CliUsageError } from '../errors/cli-errors.js';

/** Where commands write and how they fail: injected so tests run the CLI in-process. */
export interface Io {
  out: Writable & { isTTY?: boolean };
  err: Writable & { isTTY?: boolean };
  setExitCode(code: number): void;
}

export const processIo: Io = {
  out: process.stdout,
  err: process.stderr,
  setExitCode: (code) => {
    process.exitCode = code;
  },
};

export function parseJsonObject(value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError(`not valid JSON: ${value}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new InvalidArgumentError('expected a JSON object');
  return parsed as Record<string, unknown>;
}

export function parseIntArg(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer >= ${min}, got "${value}"`);
    return n;
  };
}

/** Commander parser of a repeatable `-H 'name: value'` (checked later, see `requestHeaders`). */
export function collectHeader(pair: string, previous: string[] = []): string[] {
  return [...previous, pair];
}

/**
 * The request headers: the `-H` pairs plus an optional bearer token. A malformed pair is an error
 * that never echoes the value (commander's own argument errors would: it is often a token).
 */
export function requestHeaders(pairs: string[] | undefined, token: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of pairs ?? []) {
    const i = pair.indexOf(':');
    if (i <= 0) throw new CliUsageError('-H', 'each header must look like "name: value" (one given with -H has no "name:" part)');
    headers[pair.slice(0, i).trim()] = pair.slice(i + 1).trim();
  }
  if (token) headers['authorization'] = `Bearer ${token}`;
  return headers;
}

/** Commander parser of a repeatable `-e KEY=VALUE` (checked later, see `containerEnv`). */
export function collectEnvVar(pair: string, previous: string[] = []): string[] {
  return [...previous, pair];
}

/**
 * Container environment variables from the `-e KEY=VALUE` pairs. A malformed pair is an error
 * that never echoes the value (it is often a secret).
 */
export function containerEnv(pairs: string[] | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs ?? []) {
    const i = pair.indexOf('=');
    const key = i > 0 ? pair.slice(0, i) : '';
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      throw new CliUsageError('-e', `each -e must look like KEY=VALUE with KEY a variable name (one given has ${i < 0 ? 'no "="' : 'no valid name before "="'})`);
    }
    env[key] = pair.slice(i + 1);
  }
  return env;
}
