import { firstValueFrom } from 'rxjs';
import { startChildServer, BUILTIN_SERVER } from '../dist-bench/bench/child-server.js';
import { openVector, asCompleted, vectorRounds } from '../dist-bench/bench/open-vector.js';
import { openSession, sessionSteps } from '../dist-bench/bench/open-session.js';
import { Echo, ECHO_ACTION } from '../dist-bench/bench/echo-env.js';
import { cleanupAll } from '../dist-bench/bench/cleanup.js';
const mode = process.argv[2];
const n = Number(process.argv[3] ?? 8);
const server = await startChildServer(BUILTIN_SERVER, ['echo'], { MAX_CONCURRENT_ENVS: '64' });
const total = 200_000;
let t = performance.now();
if (mode === 'plain') {
  const plain = await Promise.all(Array.from({ length: n }, () => openSession(Echo.connect(server.url, { transport: 'ws' }))));
  await Promise.all(plain.map((p) => firstValueFrom(p.session.reset())));
  t = performance.now();
  await Promise.all(plain.map((p) => sessionSteps(p.session, ECHO_ACTION, total / n)));
} else {
  const { vector } = await openVector([server.url], n, 64);
  await firstValueFrom(vector.reset());
  t = performance.now();
  if (mode === 'async') await asCompleted(vector, total / n);
  else await vectorRounds(vector, total / n);
}
const ms = performance.now() - t;
console.log(mode, n, Math.round(total / ms * 1000), 'steps/s', JSON.stringify(process.cpuUsage()));
await cleanupAll();
process.exit(0);
