import type { Command } from 'commander';
import { renderTable } from '../format/table.js';
import { TOKEN_HINT } from '../cli-error-message.js';
import { collectHeader, parseIntArg, parseJsonObject, requestHeaders, type Io } from '../io.js';

/** `openenv-rx validate --url URL`: conformance checks, pass/fail each, exit 1 on any failure. */
export function registerValidate(program: Command, io: Io): void {
  program
    .command('validate')
    .description('check that a server speaks the OpenEnv protocol (health, metadata, schema, reset/step/state, a WS session, error frames)')
    .requiredOption('--url <url>', 'base URL of the server, e.g. http://127.0.0.1:8000')
    .option('--action <json>', 'an action to step with (default: sampled from GET /schema)', parseJsonObject)
    .option('--token <token>', 'bearer token (or OPENENV_TOKEN)')
    .option('-H, --header <name: value>', 'extra request header, repeatable', collectHeader)
    .option('--timeout <ms>', 'per-check timeout in ms', parseIntArg(1), 5000)
    .option('--json', 'print the results as JSON')
    .action(async (opts: { url: string; action?: Record<string, unknown>; token?: string; header?: string[]; timeout: number; json?: boolean }) => {
      const headers = requestHeaders(opts.header, opts.token ?? process.env['OPENENV_TOKEN']);
      // Loaded here, not at startup (it brings the JSON Schema sampler).
      const { runConformance } = await import('../../conformance/run-conformance.js');
      const results = await runConformance(opts.url, {
        headers,
        timeoutMs: opts.timeout,
        ...(opts.action ? { action: opts.action } : {}),
        onResult: opts.json ? undefined : (r) => io.err.write(`${r.ok ? 'PASS' : 'FAIL'}  ${r.id}${r.error ? `: ${r.code ? `${r.code}: ` : ''}${r.error}` : ''}\n`),
      });
      const failed = results.filter((r) => !r.ok && !r.notRun);
      const notRun = results.filter((r) => r.notRun);
      if (opts.json) io.out.write(`${JSON.stringify({ url: opts.url, ok: failed.length + notRun.length === 0, results }, null, 2)}\n`);
      else {
        // An unreachable server or a 401 stops the checks: one line says so instead of the same failure again and again.
        if (notRun.length) io.err.write(`  ${notRun.length} other checks not run: ${notRun[0]!.error!.replace(/^not run: /, '')}\n`);
        if (results.some((r) => r.status === 401)) io.err.write(`  ${TOKEN_HINT}\n`);
        // Both streams on one terminal: the live lines already showed every check, once is enough.
        // Otherwise (stdout piped or redirected) stdout gets the table, stderr kept the live lines.
        const sameTerminal = Boolean(io.out.isTTY && io.err.isTTY);
        if (!sameTerminal) io.out.write(`\n${renderTable(['check', 'result', 'ms'], results.map((r) => [r.id, r.ok ? 'pass' : r.notRun ? 'not run' : 'FAIL', Math.round(r.ms)]))}\n`);
        io.out.write(`\n${results.length - failed.length - notRun.length} passed, ${failed.length} failed${notRun.length ? `, ${notRun.length} not run` : ''}\n`);
      }
      if (failed.length + notRun.length) io.setExitCode(1);
    });
}
