// Child process of the resume-memory section: `node --max-semi-space-size=1 resume-memory-child.js
// <baseline|resume> <dir> <records>`. Prints `{ growthBytes, ms, lines }`: how much the peak RSS
// grew while it read `dir/results.jsonl` — with a bare `readline` loop (the baseline), or as
// `collect` resuming the directory (every planned episode already recorded, so no session opens).
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { lastValueFrom, toArray } from 'rxjs';
import { collect, type CollectEvent } from '../src/fleet/collect.js';
import { defineEnv } from '../src/session/define-env.js';

const [mode, dir, records] = process.argv.slice(2) as [string, string, string];
await import('hdr-histogram-js'); // what collect loads when it starts: loaded before measuring, in both modes
const peak = () => process.resourceUsage().maxRSS * 1024;
const before = peak();
const started = performance.now();
let lines = 0;
if (mode === 'baseline') {
  for await (const line of createInterface({ input: createReadStream(join(dir, 'results.jsonl')), crlfDelay: Infinity })) if (line !== '') lines++;
} else {
  const source = defineEnv({ name: 'echo' }).connect('http://127.0.0.1:9'); // never subscribed
  const events = await lastValueFrom(collect(source, () => ({}), { out: dir, episodes: Number(records), sessions: 1, resume: true }).pipe(toArray()));
  lines = (events[0] as Extract<CollectEvent, { type: 'started' }>).alreadyRecorded;
}
process.stdout.write(`${JSON.stringify({ growthBytes: peak() - before, ms: performance.now() - started, lines })}\n`);
