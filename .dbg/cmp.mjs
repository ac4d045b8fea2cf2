import { firstValueFrom } from 'rxjs';
import { startChildServer, BUILTIN_SERVER } from '../dist-bench/bench/child-server.js';
import { openVector, asCompleted, vectorRounds } from '../dist-bench/bench/open-vector.js';
import { openSession, sessionSteps } from '../dist-bench/bench/open-session.js';
import { openBareFleet } from '../dist-bench/bench/bare-ws-fleet.js';
import { Echo, ECHO_ACTION } from '../dist-bench/bench/echo-env.js';
import { cleanupAll } from '../dist-bench/bench/cleanup.js';
const n = Number(process.argv[2] ?? 8);
const server = await startChildServer(BUILTIN_SERVER, ['echo'], { MAX_CONCURRENT_ENVS: '256' });
const plain = await Promise.all(Array.from({ length: n }, () => openSession(Echo.connect(server.url, { transport: 'ws' }))));
await Promise.all(plain.map((p) => firstValueFrom(p.session.reset())));
const { vector } = await openVector([server.url], n, 256);
await firstValueFrom(vector.reset());
const bare = await openBareFleet(Array(n).fill(server.url), ECHO_ACTION);
const each = Math.round(20000 / n);
const runners = {
  bareFree: () => bare.free(each),
  bareLock: () => bare.lockstep(each),
  plain: async () => (await Promise.all(plain.map((p) => sessionSteps(p.session, ECHO_ACTION, each)))).reduce((a, b) => a + b, 0),
  async: () => asCompleted(vector, each),
  sync: () => vectorRounds(vector, each),
};
const acc = Object.fromEntries(Object.keys(runners).map((k) => [k, { cpu: 0, ms: 0, ops: 0 }]));
for (let r = 0; r < 6; r++) {
  for (const [k, run] of Object.entries(runners)) {
    const c = process.cpuUsage(); const t = performance.now();
    const ops = await run();
    const used = process.cpuUsage(c);
    if (r === 0) continue;
    acc[k].cpu += used.user + used.system; acc[k].ms += performance.now() - t; acc[k].ops += ops;
  }
}
for (const [k, a] of Object.entries(acc)) console.log(k.padEnd(9), 'cpu µs/step', (a.cpu / a.ops).toFixed(1), ' steps/s', Math.round(a.ops / a.ms * 1000));
await cleanupAll();
process.exit(0);
