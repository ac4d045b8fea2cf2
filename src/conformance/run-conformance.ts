import { performance } from 'node:perf_hooks';
import { CONFORMANCE_CHECKS, type ConformanceCheck } from './conformance-checks.js';
import { WireProbe } from './wire-probe.js';
import { OpenEnvError } from '../errors/openenv-error.js';

/** One conformance check's outcome, as `runConformance` and `openenv-rx validate` report it. */
export interface CheckResult {
  id: string;
  title: string;
  ok: boolean;
  ms: number;
  error?: string;
  /** The failure's `ERR_` code: `ERR_CONFORMANCE` (the answer breaks the protocol), `ERR_CONNECTION`, `ERR_TIMEOUT`, `ERR_HTTP_STATUS` (a 401), ... */
  code?: string;
  /** The HTTP status of an `ERR_HTTP_STATUS` failure (401: the server wants a token). */
  status?: number;
  /** Not run, because an earlier check found the server unreachable or wanting a token (`ok` is false). */
  notRun?: true;
}

/** How `runConformance` talks to the server and which checks it runs. */
export interface ConformanceOptions {
  headers?: Record<string, string>;
  /** An action to step with; sampled from `/schema` when absent. */
  action?: Record<string, unknown>;
  timeoutMs?: number;
  /**
   * The checks to run instead of `CONFORMANCE_CHECKS` (the CLI's and the tests' seam).
   * @internal
   */
  checks?: readonly ConformanceCheck[];
  /** Called after each check that ran (progress output). */
  onResult?: (result: CheckResult) => void;
}

/** Why the checks after `result` would only repeat its failure, or undefined when they can still tell something. */
function stopReason(result: CheckResult): string | undefined {
  if (result.code === 'ERR_CONNECTION') return 'the server cannot be reached';
  if (result.code === 'ERR_HTTP_STATUS' && result.status === 401) return 'the server wants a token';
  return undefined;
}

/**
 * Runs every conformance check against a server and reports pass or fail for each. A failing
 * check never stops the others, except one that finds the server unreachable or answering 401:
 * the checks after it are returned `notRun` (they would fail the same way).
 *
 * @example
 * const results = await runConformance('http://127.0.0.1:8000');
 * const ok = results.every((r) => r.ok);
 */
export async function runConformance(url: string, options: ConformanceOptions = {}): Promise<CheckResult[]> {
  const ctx = { probe: new WireProbe(url, options.headers, options.timeoutMs), ...(options.action ? { action: options.action } : {}) };
  const results: CheckResult[] = [];
  let stopped: string | undefined;
  for (const check of options.checks ?? CONFORMANCE_CHECKS) {
    if (stopped) {
      results.push({ id: check.id, title: check.title, ok: false, ms: 0, error: `not run: ${stopped}`, notRun: true });
      continue;
    }
    const started = performance.now();
    let failure: Pick<CheckResult, 'error' | 'code' | 'status'> | undefined;
    try {
      await check.run(ctx);
    } catch (e) {
      failure = failureOf(e);
    }
    const result: CheckResult = { id: check.id, title: check.title, ok: failure === undefined, ms: performance.now() - started, ...failure };
    results.push(result);
    options.onResult?.(result);
    stopped = stopReason(result);
  }
  return results;
}

function failureOf(error: unknown): Pick<CheckResult, 'error' | 'code' | 'status'> {
  const { code, status } = (error ?? {}) as { code?: unknown; status?: unknown };
  return {
    error: error instanceof Error ? error.message : String(error),
    ...(error instanceof OpenEnvError && typeof code === 'string' && { code }),
    ...(typeof status === 'number' && { status }),
  };
}
