import { Observable, Subject } from 'rxjs';
import { z } from 'zod';
import { BaseState, defineServerEnv, type EnvResetOptions, type Environment, type StepOutcome } from '../../../src/environment/environment.js';
import { ServerExitedError } from '../../../src/errors/runtime-errors.js';
import { perServer } from '../../../src/fleet/pool-source.js';
import { mulberry32, type Random } from '../../../src/internal/mulberry32.js';
import type { Endpoint } from '../../../src/runtime/endpoint.js';
import { trackTeardown } from '../../../src/runtime/teardown-registry.js';
import { serve, type RunningServer } from '../../../src/server/serve.js';
import { defineEnv } from '../../../src/session/define-env.js';
import { startChaosProxy, type ChaosProxy, type ChaosProxyOptions } from './chaos-proxy.js';

const NonceAction = z.object({ nonce: z.string().min(1) });
const NonceObservation = z.object({ nonce: z.string(), step: z.number() });

/** The client side of the nonce env: each reply carries the nonce of the request it answers. */
export const Nonce = defineEnv({ name: 'nonce', action: NonceAction, observation: NonceObservation });
export type NonceObs = z.infer<typeof NonceObservation>;

/** What the servers of a chaos fleet saw, over all of them. */
export interface ServerLedger {
  /** Nonces of every step a server received: a nonce seen twice is a replayed step. */
  readonly seen: Set<string>;
  replays: number;
  /** Steps answered only after a delay meant to exceed the client's reply timeout. */
  delayed: number;
}

/**
 * The nonce env: the reset answers `reset:<episode id>`, each step echoes its action's nonce.
 * With probability `delay.probability` a step answers only after `delay.ms` (past the client's
 * reply timeout). Never done: episodes end at `maxSteps`.
 */
function nonceEnv(random: Random, delay: { probability: number; ms: number }, ledger: ServerLedger, timers: Set<NodeJS.Timeout>) {
  class NonceEnvironment implements Environment<z.infer<typeof NonceAction>, NonceObs> {
    private steps = 0;
    reset(options: EnvResetOptions): StepOutcome<NonceObs> {
      this.steps = 0;
      return { observation: { nonce: `reset:${options.episodeId ?? 'none'}`, step: 0 }, reward: 0, done: false };
    }
    step(action: { nonce: string }): StepOutcome<NonceObs> | Promise<StepOutcome<NonceObs>> {
      if (ledger.seen.has(action.nonce)) ledger.replays++;
      ledger.seen.add(action.nonce);
      const outcome = { observation: { nonce: action.nonce, step: ++this.steps }, reward: 1, done: false };
      if (random() >= delay.probability) return outcome;
      ledger.delayed++;
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          resolve(outcome);
        }, delay.ms);
        timers.add(timer);
      });
    }
    state() {
      return { episode_id: null, step_count: this.steps };
    }
  }
  return defineServerEnv({ name: 'nonce', action: NonceAction, observation: NonceObservation, state: BaseState, create: () => new NonceEnvironment() });
}

export interface ChaosFleetOptions {
  /** Seeds one random stream per fault kind (half-open sockets, delays, kills), so one kind's draws do not shift another's. */
  seed: number;
  /** Sessions each server accepts; one more is refused with CAPACITY_REACHED. */
  maxSessions: number;
  replyTimeoutMs: number;
  delay: { probability: number; ms: number };
  proxy: Omit<ChaosProxyOptions, 'targetPort' | 'random'>;
}

interface LiveServer {
  index: number;
  server: RunningServer;
  proxy: ChaosProxy;
  failure: Subject<never>;
  killed: boolean;
}

/**
 * A `perServer` pool source of in-process nonce servers, each behind its own chaos proxy (half-open
 * sockets), with `kill()` to take one down abruptly (its sockets reset, its port closed, its
 * endpoint's `failure$` errored as a killed process's would). Servers start when the pool asks.
 */
export function chaosFleet(options: ChaosFleetOptions) {
  const ledger: ServerLedger = { seen: new Set(), replays: 0, delayed: 0 };
  const random = { stalls: mulberry32(options.seed + 1), delays: mulberry32(options.seed + 2), kills: mulberry32(options.seed + 3) };
  const live = new Set<LiveServer>();
  const delayTimers = new Set<NodeJS.Timeout>();
  const counters = { started: 0, kills: 0, stalls: 0 };
  const stop = (entry: LiveServer): Promise<void> => {
    live.delete(entry);
    counters.stalls += entry.proxy.stalls;
    return trackTeardown(Promise.all([entry.proxy.close(), entry.server.close()]).then(() => undefined));
  };

  const server$ = new Observable<Endpoint>((subscriber) => {
    let entry: LiveServer | undefined;
    let cancelled = false;
    const index = counters.started++;
    const starting = (async () => {
      const server = await serve(nonceEnv(random.delays, options.delay, ledger, delayTimers), { maxSessions: options.maxSessions, closeTimeoutMs: 100 });
      const proxy = await startChaosProxy({ ...options.proxy, targetPort: server.port, random: random.stalls }).catch(async (error: unknown) => {
        await server.close();
        throw error;
      });
      entry = { index, server, proxy, failure: new Subject<never>(), killed: false };
      live.add(entry);
      if (cancelled) return void stop(entry);
      subscriber.next({ url: proxy.url, kind: 'in-process', id: `chaos#${index}`, failure$: entry.failure.asObservable() });
    })();
    starting.catch((error: unknown) => subscriber.error(error));
    void trackTeardown(starting.catch(() => undefined));
    return () => {
      cancelled = true;
      if (entry && live.has(entry)) void stop(entry);
    };
  });

  return {
    source: perServer(server$, (endpoint$) => Nonce.fromEndpoint(endpoint$, { transport: 'ws', replyTimeoutMs: options.replyTimeoutMs })),
    ledger,
    counters,
    /** Kills one live server (a seeded draw), as SIGKILL would: false when none is up. */
    /** The seeded stream of the kill schedule. */
    killRandom: random.kills,
    kill(): boolean {
      const candidates = [...live].filter((e) => !e.killed);
      if (candidates.length === 0) return false;
      const entry = candidates[Math.floor(random.kills() * candidates.length)]!;
      entry.killed = true;
      counters.kills++;
      entry.proxy.kill();
      entry.failure.error(new ServerExitedError('process', null, [], { url: entry.proxy.url }, 'SIGKILL'));
      void stop(entry);
      return true;
    },
    /** Servers not stopped yet, and delayed replies still pending. */
    leftovers: () => ({ servers: live.size, delayedReplies: delayTimers.size }),
    stalls: () => counters.stalls + [...live].reduce((n, e) => n + e.proxy.stalls, 0),
  };
}
