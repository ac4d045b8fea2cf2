import { performance } from 'node:perf_hooks';
import { CONFORMANCE_CHECKS, type ConformanceCheck } from './conformance-checks.js';
import { WireProbe } from './wire-probe.js';

/** One conformance check's outcome, as `runConformance` and `openenv-rx validate` report it. */
export interface CheckResult {
  id: string;
  title: string;
  ok: boolean;
  ms: number;
  error?: string;
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
  /** Called after each check (progress output). */
  onResult?: (result: CheckResult) => void;
}

/**
 * Runs every conformance check against a server and reports pass or fail for each. A failing
 * check never stops the others.
 *
 * @example
 * const results = await runConformance('http://127.0.0.1:8000');
 * const ok = results.every((r) => r.ok);
 */
export async function runConformance(url: string, options: ConformanceOptions = {}): Promise<CheckResult[]> {
  const ctx = { probe: new WireProbe(url, options.headers, options.timeoutMs), ...(options.action ? { action: options.action } : {}) };
  const results: CheckResult[] = [];
  for (const check of options.checks ?? CONFORMANCE_CHECKS) {
    const started = performance.now();
    let error: string | undefined;
    try {
      await check.run(ctx);
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    const result: CheckResult = { id: check.id, title: check.title, ok: error === undefined, ms: performance.now() - started, ...(error ? { error } : {}) };
    results.push(result);
    options.onResult?.(result);
  }
  return results;
}
