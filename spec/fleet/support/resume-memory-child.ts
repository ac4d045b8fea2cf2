// Resumes the collection in OUT (EPISODES planned, all already recorded) and prints how much the
// process's peak RSS grew while it did: what `collect --resume` holds of the results it scans.
// The parent runs it with a small young generation (--max-semi-space-size=1), so that the growth
// measured is what is kept, not garbage a lazy scavenger has not collected yet.
// Run: node --max-semi-space-size=1 --import ./spec/fixtures/register-ts-loader.mjs spec/fleet/support/resume-memory-child.ts
import { lastValueFrom, toArray } from 'rxjs';
import { collect } from '../../../src/fleet/collect.js';
import { defineEnv } from '../../../src/session/define-env.js';

const out = process.env['OUT']!;
const episodes = Number(process.env['EPISODES']);
// Never subscribed: every planned episode is on disk, so no session is opened.
const source = defineEnv({ name: 'echo' }).connect('http://127.0.0.1:9');
await import('hdr-histogram-js'); // what collect loads when it starts, apart from what it reads
const before = process.resourceUsage().maxRSS * 1024;
const events = await lastValueFrom(collect(source, () => ({ message: 'x' }), { out, episodes, sessions: 1, resume: true }).pipe(toArray()));
const after = process.resourceUsage().maxRSS * 1024;
process.stdout.write(`${JSON.stringify({ growth: after - before, before, started: events[0] })}\n`);
