import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { concat, firstValueFrom, switchMap, take, tap, timeout, toArray } from 'rxjs';
import { echoEnv } from '../../src/envs/echo.js';
import { inProcessEndpoint } from '../../src/server/in-process-endpoint.js';
import { awaitRuntimeTeardowns } from '../../src/runtime/teardown-registry.js';
import { serve, type RunningServer } from '../../src/server/serve.js';
import { Echo, say } from './support/echo-env.js';
import { activeHandles, grownHandles } from './support/active-handles.js';
import { installFaultGuards, realProcess } from './support/fault-guards.js';
import { pollUntil } from '../support/poll.js';

// A full collection before each heap reading, so that growth means retention, not garbage.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const heapMb = (): number => {
  gc();
  gc();
  return realProcess.memoryUsage().heapUsed / 1024 / 1024;
};

/** Listener counts on the real process, per event. */
function processListeners(): Record<string, number> {
  return Object.fromEntries(realProcess.eventNames().map((name) => [String(name), realProcess.listenerCount(name)]));
}

/** Open TCP sockets (both ends: client and server live in this process). */
const tcpSockets = (): number => activeHandles()['TCPSocketWrap'] ?? 0;

/** One cycle: subscribe, reset, step, unsubscribe (firstValueFrom ends the subscription). */
const cycle = (url: string, i: number, onStep?: () => void): Promise<Array<{ observation: { echoed_message: string } }>> =>
  firstValueFrom(
    Echo.connect(url).pipe(
      switchMap((env) => concat(env.reset(), env.step(say(i)))),
      tap(() => onStep?.()),
      take(2),
      toArray(),
      timeout(5_000),
    ),
  );

describe('faults: soak', () => {
  const guards = installFaultGuards();
  let server: RunningServer | undefined;

  afterEach(async () => {
    await server?.close();
    server = undefined;
    await awaitRuntimeTeardowns();
  });

  it('1000 subscribe/unsubscribe cycles against an in-process server: no growth in handles, sockets or listeners; heap reported', async () => {
    const started = performance.now();
    const deadline = started + 50_000;
    // maxSessions 1: a session that outlived its unsubscribe would make the next cycle fail with CAPACITY_REACHED.
    const live = (server = await serve(echoEnv, { maxSessions: 1 }));
    for (let i = 0; i < 20; i++) await cycle(live.url, i); // warm-up: lazy module state, JIT, agents
    await pollUntil(() => live.activeSessions() === 0, 'the warm-up sessions to end');
    const handlesBefore = activeHandles();
    const listenersBefore = processListeners();
    const heapBefore = heapMb();

    const socketsBefore = tcpSockets();
    let socketsDuring = 0;
    for (let i = 0; i < 1_000; i++) {
      if (performance.now() > deadline) throw new Error(`soak too slow: only ${i} cycles in 50 s`);
      const result = await cycle(live.url, i, () => (socketsDuring = Math.max(socketsDuring, tcpSockets())));
      expect(result[1]?.observation.echoed_message).toBe(`m${i}`);
    }

    await pollUntil(() => live.activeSessions() === 0, 'every server-side session to end');
    await pollUntil(() => grownHandles(handlesBefore).length === 0, `handles back to the baseline (${grownHandles(handlesBefore).join(', ')})`, { timeoutMs: 5_000 });
    const heapAfter = heapMb();
    const seconds = (performance.now() - started) / 1_000;
    console.log(
      `soak: 1000 cycles in ${seconds.toFixed(1)} s; heap ${heapBefore.toFixed(1)} → ${heapAfter.toFixed(1)} MB ` +
        `(${(heapAfter - heapBefore).toFixed(1)} MB); TCP sockets ${socketsBefore} before, ${socketsDuring} at most during, ${tcpSockets()} after`,
    );
    expect(socketsDuring).toBeGreaterThan(socketsBefore); // the counter does see the sessions' sockets
    expect(grownHandles(handlesBefore)).toEqual([]);
    expect(processListeners()).toEqual(listenersBefore);
    expect(guards.warnings.map(String)).toEqual([]); // MaxListenersExceededWarning and friends
    expect(heapAfter - heapBefore).toBeLessThan(25);
    expect(seconds).toBeLessThan(60);
  }, 70_000);

  it('200 full lifecycles through inProcessEndpoint (server started and stopped per subscription) leave nothing behind', async () => {
    const run = () =>
      firstValueFrom(
        Echo.fromEndpoint(inProcessEndpoint(echoEnv)).pipe(
          switchMap((env) => concat(env.reset(), env.step(say(1)))),
          take(2),
          toArray(),
          timeout(5_000),
        ),
      );
    for (let i = 0; i < 5; i++) await run();
    await awaitRuntimeTeardowns();
    const handlesBefore = activeHandles();
    const listenersBefore = processListeners();
    const heapBefore = heapMb();
    const deadline = performance.now() + 40_000;
    for (let i = 0; i < 200; i++) {
      if (performance.now() > deadline) throw new Error(`lifecycles too slow: only ${i} in 40 s`);
      await run();
    }
    await awaitRuntimeTeardowns();
    await pollUntil(() => grownHandles(handlesBefore).length === 0, `handles back to the baseline (${grownHandles(handlesBefore).join(', ')})`, { timeoutMs: 5_000 });
    const heapAfter = heapMb();
    console.log(`lifecycles: 200 in-process servers; heap ${heapBefore.toFixed(1)} → ${heapAfter.toFixed(1)} MB (${(heapAfter - heapBefore).toFixed(1)} MB)`);
    expect(processListeners()).toEqual(listenersBefore);
    expect(heapAfter - heapBefore).toBeLessThan(25);
  }, 60_000);
});
