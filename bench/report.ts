import type { MachineInfo } from './machine.js';
import type { Row, SectionResult } from './section-result.js';

/** Everything one run produced: what `bench/results/latest.json` holds. */
export interface BenchReport {
  mode: 'full' | 'smoke';
  machine: MachineInfo;
  /** Free text about the conditions (`--note`), e.g. other work running on the machine. */
  note?: string;
  totalMs: number;
  sections: SectionResult[];
}

const cell = (value: Row[string]): string => {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isInteger(value) ? value.toLocaleString('en-US') : String(value);
  return String(value).replaceAll('|', '\\|');
};

function table(rows: Row[]): string[] {
  if (rows.length === 0) return [];
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return [
    `| ${columns.join(' | ')} |`,
    `|${columns.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${columns.map((c) => cell(r[c] ?? null)).join(' | ')} |`),
  ];
}

function verdict(s: SectionResult): string {
  if (s.status !== 'ok') return s.status;
  if (s.target === undefined) return 'no target';
  return s.met ? 'met' : 'MISSED';
}

/**
 * What `node --cpu-prof` showed when these benchmarks were first run, and what was changed: the
 * context a reader needs to judge the figures above. Edit it when the hot path changes.
 */
const PROFILE_NOTES = [
  '## What profiling found',
  '',
  'Profiled with `node --cpu-prof` on the bench harness (client process only; the server runs apart). Before the changes below the first full run measured WS 1.26, HTTP 2.08.',
  '',
  "- **HTTP: got's per-request machinery (target missed, by choice).** got (options normalisation and cloning, hooks, its Duplex request stream, p-cancelable, the timed-out timers) costs about 2-3x the client CPU of a bare `node:http` request, about twice the round trip of a local server. Turning off decompression, redirects or got's timeouts changed nothing measurable (2.14-2.2x). An experiment that sent the same requests through bare `node:http` on the same keep-alive agent reached 1.08x; it was not kept, because got is the project's fixed HTTP client (its timeouts, agents and error model are what the transport is built on). In absolute terms got adds about 0.4 ms of client time per HTTP step on this machine; the WS transport (what `auto` picks for generation B+ servers, the only ones where episodes work at all) does not go through got per step. Since issue 23 the HTTP transport's reset and step are requests of the library's one request primitive (`src/internal/call.ts`: a got request answered through the session's `Reply`, no Observable layer between the session and got), and this section also measures got alone with the transport's options (the same POSTs through an identically configured got instance, nothing around it). Two `--only ws-step,http-step` runs each, before and after, on the loaded 2-core machine: the headline went from 2.67 and 2.09 (got alone 2.14 and 1.85: the session and transport added 13-25% on top of got) to 2.24 and 1.86 (got alone 2.12 and 1.90: within ±6% of got alone); WS step 1.36 and 1.11 before, 1.10 and 1.08 after. Preparing got's options once does not help: got builds its `Options` per request whatever was merged before (12-17 µs here), then a `Request` stream, a `p-cancelable` promise and its timers; a full URL instead of `prefixUrl`, an `Options` made once and passed as got's defaults, `timeout: {}`, `decompress: false` and `got.stream` all measured 1.8-2.0x bare in one interleaved run, like the extended instance the transport uses (1.8x). The ≤ 1.2 target cannot be met while every HTTP step goes through got: got alone is 1.85-2.14x the bare client.",
  "- **Wire decoding through zod.** Every reset/step answer was checked by `WsServerMessage.safeParse` (a discriminated union) over WS, by `StepResponse` over HTTP, and every action by a `z.record` after the user's own schema. `src/transport/step-response-fast.ts` now accepts the common well-formed shape by hand (a test pins that it never accepts what the zod schemas reject, and returns what they return); anything else still goes through zod, so errors read the same. The session passes a plain action object on as a shallow copy instead of re-walking it with `z.record`. The user's own action and observation schemas still run on every step, as documented.",
  '- **Observable layers per request.** `session.step` was `defer` + `catchError` + `map` + `tap` around the transport call: four subscriber layers per step. It is now one hand-written Observable with the same semantics (lazy, context added to every error, unsubscribe reaches the transport).',
  "- **The fleet path (`rollouts`, `episode`, `vectorEnv`).** At 32 parallel sessions `rollouts()` reached 0.3-0.5x the steps/s of bare `ws` clients (client CPU 56-72 µs per step against 19-27). Per step it crossed some fifteen subscriber layers (`runEpisode`'s `defer`/`expand`/`concatMap`/`take`/`throwIfEmpty`/`map`/`catchError`, rollouts' `tap`/`finalize`/`map`/`repeat`, `withSession`'s `switchMap` with `materialize`/`dematerialize`, `concat`/`tap`/`finalize`/`catchError`/`retry`, `merge`), copied every step to add `sessionIndex`, built a context object and four closures per request, and subscribed two Observables per request (session, transport). Now an episode is a small state machine (`src/session/episode-loop.ts`), `rollouts` a coordinator that drives the loops and hands each step to its subscriber (`src/operators/rollout-run.ts`), and a reset or step crosses the session and the `/ws` transport as one request each in the library's single request contract (`src/internal/call.ts`: a `Call` per request and layer, the first answer counts, context built only on error); the Observable methods are thin wrappers of the same requests (`fromRequest`), and the vector's sub-envs use them too. Client CPU per step of `rollouts()` at 32 sessions went to 17-19 µs (bare 16-18).",
  "- **Socket writes and timers.** strace counts one `writev` and one `read` per step for our clients and for the bare ones: with one request in flight per socket there is nothing to merge within a socket. Across sockets the timing of the writes matters: at N = 64 a client that writes the next step inside every reply handler wakes a server per write, and on two cores the woken server preempts the client halfway through its batch of replies. The WS client writes the frames of the first reply handlers of an I/O phase at once (twice the machine's cores: four here) and those of later handlers together when the phase ends (`src/transport/reply-phase-writes.ts`, `setImmediate`; each socket keeps its order). What counts the connections and batches their frames is a write group chosen per transport by `batchWrites`: the process's default group (`true`, the default, what these figures measure), a `ReplyPhaseWrites` of the caller's that counts only the connections opened with it (a fleet whose write timing must not depend on the other sessions of the process), or none (`false`: every frame at once). A lone session, a `vector.step` (one reply answered with N requests) and a phase of a few replies write as a bare client does; only big phases (the client is the busy side) are batched. The reply deadline is one lazily re-armed timer per connection, and the keepalive adds one unref'd timer per connection; neither is touched per step.",
  "- **How many handlers write at once.** A/B runs in one process (20 rounds, order rotating, throughput ratio to bare): with only the first handler writing at once, plain sessions at N = 8 on one server process reached 0.92-0.98 (phases there hold 1-4 replies, and a deferred frame idles the server); with every frame written at once, N = 64 over four processes reached 0.85-0.92. With four handlers: 0.93-1.01 at N = 8, 0.90-1.06 at N = 64 and 1.02-1.07 at N = 32. As-completed at N = 8 measured 0.97-1.00 with four handlers.",
  "- **Send order of a vector step.** A pool hands out sessions in the order their connections opened, so sub-env order scattered a vector's sessions over its servers (at N = 64 over four processes: `2222211010101...`), and each server got its frames a few at a time between other servers' frames. N bare sockets in lockstep lose 2-8% at N = 32 and 64 when their send order is scattered the same way (same-process A/B). A batch now launches server by server (`src/fleet/server-order.ts`, sub-envs grouped by session url); `vector.step` at N = 64 went from 0.87 (last full run before) to 0.92-0.97 in three runs since.",
  "- **The price of marking a phase's end.** The `setImmediate` that ends a write phase is an event-loop turn with its syscalls; at one session, one per reply cost about 14 µs of client CPU per step (same-process A/B at N = 1: 93.5 against 79.0 µs, 5,270 against 6,010 steps/s). With no more open connections than the handlers that write at once anyway, nothing is tracked now. Counting phases in windows of four sending handlers (one `setImmediate` per window) measured no better than per phase at N = 8 and 64, and was not kept.",
  "- **The library's own JavaScript per step**, measured apart from the kernel: the same vector and bare loops over in-process fake sockets (replies at `setImmediate`, no syscalls) cost 2.2-3.3 µs per step bare and 1.1-1.4 µs more ours at N = 8 and 64 (zod about 0.3 µs of it). Over real sockets the gap in client CPU is 3-5 µs; `perf` (it runs here, without hardware counters) and `--cpu-prof` spread the rest thinly over `ws`, Node's streams and the kernel, no function standing out. Tried and not kept: building each frame with one `JSON.stringify` of the envelope instead of splicing the data's JSON into a template (about 150 ns slower per frame, although the spliced string is a rope).",
  "- **Import time.** got (about 100 ms of a fresh import on this host) is now imported on the first HTTP request (`src/internal/lazy-got.ts`): a `/ws` session never loads it. The main entry went from 2.15x rxjs + zod + ws (last full run before) to about 1.6x.",
  "- **Where the rest of the client's time goes.** Ratios vary by about ±0.05 between runs of the same code; a single section can drop to a third of its usual steps/s when the host is busy, for the bare clients as much as for ours. `process.cpuUsage` splits the client's CPU per step: system time is the same for our sessions and the bare sockets (10-12 µs at N = 8: the `writev`, `read` and wakeups), user time is about 3 µs higher for ours (about 16 µs against 13): zod on the action and the observation, the session's request and result objects, the rxjs subscriber of a `step()` Observable, and the garbage of all of them, no single item above 0.4 µs. On two cores shared with the servers that costs a few percent of throughput.",
  "- **What is left** is mostly outside the library: the `writev` syscall that wakes the server dominates the client's profile, then `ws` framing and `JSON.stringify`/`JSON.parse`, which the bare clients pay too.",
  '- **Containers:** the runtime polls `/health` every 50 ms by default (`healthIntervalMs`; it was 100 ms until the first full runs measured 1.09-1.14 against this baseline), so a start can wait up to one interval longer than a tight loop; the row with a 20 ms poll shows what that costs on this machine.',
];

/** Renders a run as the committed `docs/benchmarks.md`. */
export function renderMarkdown(report: BenchReport): string {
  const m = report.machine;
  const lines: string[] = [
    '# Benchmarks',
    '',
    `Generated by \`npm run bench\` (bench/run.ts) on ${m.date.slice(0, 10)} at ${m.date.slice(11, 16)} UTC, ${report.mode} run, ${(report.totalMs / 1000).toFixed(0)} s end to end${m.commit ? `, at commit ${m.commit} plus the working tree` : ''}.`,
    '',
    '| machine | |',
    '|---|---|',
    `| CPU | ${m.cpuModel}, ${m.cores} cores |`,
    `| memory | ${m.memoryGiB} GiB |`,
    `| OS | ${m.platform} |`,
    `| Node | ${m.node} |`,
    `| load average (1 min) at start / end | ${m.loadAverageStart} / ${m.loadAverageEnd ?? '?'} |`,
    '',
  ];
  if (report.note) lines.push(`**Conditions:** ${report.note}`, '');
  lines.push(
    'Every figure is a ratio against a baseline measured in the same run, on the same machine, against the same server. Batches of subject and baseline interleave, the order rotating each round so that drift and position hit all alike; figures are medians over rounds, and a time ratio is the median of the per-round ratios (subject time per step ÷ baseline time per step: 1.00 is as fast as the baseline, lower is better). "client CPU" is the CPU time of the bench process itself per step (user + system), which shows the client\'s own cost apart from the server\'s and the kernel\'s.',
    '',
    '## Summary',
    '',
    '| section | headline ratio | target | verdict | baseline |',
    '|---|---|---|---|---|',
  );
  for (const s of report.sections) {
    lines.push(`| ${s.title} | ${s.ratio ?? ''} | ${s.target !== undefined ? `≤ ${s.target}` : ''} | ${verdict(s)} | ${(s.baseline ?? s.reason ?? '').replaceAll('|', '\\|')} |`);
  }
  report.sections.forEach((s, i) => {
    lines.push('', `## ${i + 1}. ${s.title}`, '');
    if (s.status !== 'ok') {
      lines.push(`**${s.status}:** ${s.reason ?? ''}`);
      return;
    }
    lines.push(`Headline ${s.ratio}${s.target !== undefined ? ` (target ≤ ${s.target}: ${verdict(s)})` : ''}; baseline: ${s.baseline}.`, '');
    lines.push(...table(s.rows));
    if (s.notes.length > 0) lines.push('', ...s.notes.map((n) => `- ${n}`));
  });
  lines.push('', ...PROFILE_NOTES);
  lines.push(
    '',
    '## Reproduce',
    '',
    // The doc tests run every shell block of docs/: this one is the benchmark itself.
    '<!-- doctest: skip (the benchmark itself, minutes of CPU: .ci/run runs npm run bench -- --smoke) -->',
    '```sh',
    'npm run bench              # full run (about 15 minutes on 2 cores): writes bench/results/latest.json and this file',
    'npm run bench -- --smoke   # every section at tiny sizes (CI runs it on every push): bench/results/smoke.json only',
    'npm run bench -- --only ws-step,http-step   # some sections: bench/results/partial.json only',
    '```',
    '',
  );
  return lines.join('\n');
}

/**
 * A few lines for the terminal. A smoke run (tiny sizes, on whatever machine CI gives it) proves
 * that every section runs; its figures mean nothing, so it prints no ratio and no verdict.
 */
export function renderSummary(report: BenchReport): string {
  if (report.mode === 'smoke') {
    const ran = report.sections.map((s) => `${s.id.padEnd(11)} ${s.status === 'ok' ? `ran in ${((s.durationMs ?? 0) / 1000).toFixed(1)} s` : `${s.status}: ${s.reason}`}`);
    return ['bench: smoke run (tiny sizes, not timed): no verdicts; run npm run bench for figures', ...ran].join('\n');
  }
  return report.sections
    .map((s) => `${s.id.padEnd(11)} ${s.status === 'ok' ? `ratio ${s.ratio}${s.target !== undefined ? ` (target ≤ ${s.target}: ${verdict(s)})` : ''}` : `${s.status}: ${s.reason}`}`)
    .join('\n');
}
