import type { Fault } from '../cells.js';
import type { GateProxy } from '../../support/gate-proxy.js';
import type { ServerProcess } from '../../support/server-processes.js';
import { sessionKey, type SeqObs } from './trail.js';

/** How long a gate waits for the recovered server to be used before the run is let go (the test then fails on `reused`). */
const REUSE_WAIT_MS = 15_000;

/** Where the fault hits: the server (and the proxy in front of it, for a half-open socket). */
export interface FaultTarget {
  /** The server's id as its observations say it (`s0`, or a pool-started server's id). */
  id: string;
  /** The live server process (url-list sources); pool-started servers are reached through `kill`/`freeze` hooks. */
  server?: ServerProcess;
  proxy?: GateProxy;
  /** Kill/freeze/thaw for a server the pool started (its pid is known only once it runs). */
  signal?: (signal: NodeJS.Signals) => void;
}

export interface FaultPlanOptions {
  fault: Fault;
  target: () => FaultTarget | undefined;
  /** Answers from other servers, after the fault, before the server is brought back (the run must go on meanwhile). */
  outageSteps: number;
  /** The reply delay of `reply delayed past the timeout` (more than the client's reply timeout). */
  delayMs: number;
  /** Ledger of the target (to kill only once the held step reached it). */
  ledger?: () => string[];
  /** False: the other servers' policies never wait for the reuse (a vector steps all sub-envs together: it cannot). */
  gate?: boolean;
  /** False: the fault never gets a recovery step (a pool-started server killed: the pool starts another). */
  recovers?: boolean;
  /** How long a gate waits for the reuse (default REUSE_WAIT_MS; a Python server's restart on a loaded machine takes longer). */
  reuseWaitMs?: number;
}

/**
 * Drives one fault through a run, from inside the policy (so it hits at a known step):
 * `before` the first step on the target server it injects the fault (and returns the action's gate
 * prefix: `hold` for a step a kill leaves unknown, `delay<ms>`), lets `outageSteps` answers of
 * other servers pass, brings the server back, then holds the other servers' policies (bounded)
 * until the target answered on a NEW session: the recovered server used again.
 */
export class FaultPlan {
  phase: 'before' | 'outage' | 'recovering' | 'recovered' = 'before';
  /** Answers of other servers during the outage. */
  duringOutage = 0;
  /** Failed episodes the driver reported so far. */
  failures = 0;
  /** The target answered a session opened after the recovery. */
  reused = false;
  /** The target's sessions seen before the recovery: a session not among them was opened after it. */
  private readonly oldSessions = new Set<string>();
  private readonly serversBefore = new Set<string>();
  private reuse!: () => void;
  private readonly reusedPromise = new Promise<void>((resolve) => (this.reuse = resolve));
  private recovery: Promise<void> | undefined;
  private gateDeadline: Promise<unknown> | undefined;
  /** The fault's own asynchronous part (a kill once the held step arrived). */
  private injected: Promise<void> = Promise.resolve();
  readonly errors: unknown[] = [];

  constructor(private readonly options: FaultPlanOptions) {
    if (options.fault === 'port closed before start') this.phase = 'outage';
  }

  /** Called with every observation before the policy answers it; returns the gate prefix of the next action. */
  async before(obs: SeqObs, message: (prefix: string) => string): Promise<string> {
    const target = this.options.target();
    const onTarget = target !== undefined && obs.server === target.id;
    if (this.phase === 'before') this.serversBefore.add(obs.server);
    if (onTarget && this.phase !== 'recovered') this.oldSessions.add(sessionKey(obs));
    if (this.phase === 'before' && onTarget && obs.step >= 1) return this.inject(target, message);
    // A killed server the pool started never comes back: a server it started after the fault stands for it.
    const replacement = this.options.recovers === false && !this.serversBefore.has(obs.server);
    if ((replacement || onTarget) && this.phase === 'recovered' && !this.oldSessions.has(sessionKey(obs))) {
      this.reused = true;
      this.reuse();
    }
    if (!onTarget && this.phase !== 'before' && this.duringOutage < this.options.outageSteps) {
      this.duringOutage++;
      this.maybeRecover();
    }
    if (this.options.gate !== false && this.phase !== 'before' && this.duringOutage >= this.options.outageSteps && !this.reused) {
      // One deadline for the whole wait (not per step): past it the run is let go and the test fails on `reused`.
      this.gateDeadline ??= new Promise((resolve) => setTimeout(resolve, this.options.reuseWaitMs ?? REUSE_WAIT_MS).unref());
      await Promise.race([this.reusedPromise, this.gateDeadline]);
    }
    return '';
  }

  /** A driver reports each failed episode as it happens (a frozen server is thawed only after its sessions were given up). */
  noteFailure(): void {
    this.failures++;
    this.maybeRecover();
  }

  /** Recovery once the run went on elsewhere and (for faults that end in a failure) the failure was reported. */
  private maybeRecover(): void {
    if (this.phase !== 'outage' || this.duringOutage < this.options.outageSteps) return;
    if (this.options.fault === 'server restarted on the same port') return; // a restart brings itself back
    if (this.options.fault !== 'port closed before start' && this.failures === 0) return;
    void this.recover();
  }

  /** Brings the target back now (the vector script calls it after the batch the fault hit). */
  recover(): Promise<void> {
    if (this.recovery) return this.recovery;
    this.phase = 'recovering';
    const target = this.options.target();
    const bringBack = async () => {
      await this.injected.catch(() => undefined); // a kill is complete (the process gone) before the restart
      if (this.options.recovers === false || !target) return;
      switch (this.options.fault) {
        case 'server SIGKILL':
        case 'port closed before start':
          await target.server?.start();
          break;
        case 'server frozen (SIGSTOP)':
          if (target.server) target.server.thaw();
          else target.signal?.('SIGCONT');
          break;
        case 'half-open socket':
          target.proxy?.releaseHalfOpen();
          break;
        default:
          break; // a delayed reply or a restart needs nothing more
      }
    };
    this.recovery = bringBack().then(
      () => void (this.phase = 'recovered'),
      (error: unknown) => void this.errors.push(error),
    );
    return this.recovery;
  }

  private inject(target: FaultTarget, message: (prefix: string) => string): string {
    this.phase = 'outage';
    const fault = this.options.fault;
    switch (fault) {
      case 'server SIGKILL':
      case 'container killed':
      case 'swarm task killed':
      case 'server restarted on the same port': {
        // Killed once the held step reached it: that step's outcome is unknown and it must never be sent again.
        const held = message('hold');
        this.injected = this.whenLedgerHas(held).then(async () => {
          if (fault !== 'server restarted on the same port') {
            if (target.server) await target.server.kill();
            else target.signal?.('SIGKILL');
          } else {
            await target.server!.stop();
            await target.server!.start();
            void this.recover();
          }
        });
        this.injected.catch((error: unknown) => this.errors.push(error));
        return 'hold';
      }
      case 'server frozen (SIGSTOP)':
        // Frozen before the step goes out: the step waits in its socket, unanswered.
        if (target.server) target.server.freeze();
        else target.signal?.('SIGSTOP');
        return '';
      case 'half-open socket':
        target.proxy!.halfOpen();
        return '';
      case 'reply delayed past the timeout':
        void this.recover();
        return `delay${this.options.delayMs}`;
      default:
        throw new Error(`FaultPlan cannot inject ${fault}`);
    }
  }

  private async whenLedgerHas(line: string): Promise<void> {
    for (let i = 0; i < 1500; i++) {
      if (this.options.ledger?.().includes(line)) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`the held step ${line} never reached the server`);
  }
}
