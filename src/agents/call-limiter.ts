/**
 * At most `limit` calls at once; the others wait in order. Pass one to several `chatPolicy`s
 * (`limiter`) to cap the requests to one endpoint over all of them. A waiter whose signal aborts leaves the
 * queue (and a running call's slot is freed when it settles, whatever the outcome).
 *
 * @example
 * const [model, baseURL] = ['llama3.1', 'http://127.0.0.1:8080/v1'];
 * const limiter = new CallLimiter(4);
 * const a = chatPolicy({ model, baseURL, tools: [actionAsTool({ type: 'object', properties: { guess: { enum: ['heads', 'tails'] } } })], limiter });
 * const b = chatPolicy({ model, baseURL, tools: [actionAsTool({ type: 'object', properties: { move: { enum: ['UP', 'DOWN'] } } })], limiter }); // 4 requests at most over a and b
 */
export class CallLimiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    /** Calls at once (`Infinity`: no limit). */
    readonly limit: number,
  ) {}

  /** Calls waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Runs `call` once a slot is free (rejects with `signal.reason` if aborted while waiting); the slot is freed when it settles. */
  async run<T>(call: () => Promise<T>, signal: AbortSignal): Promise<T> {
    if (this.active >= this.limit) await this.slot(signal);
    else this.active++;
    try {
      return await call();
    } finally {
      this.release();
    }
  }

  private slot(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const granted = () => {
        signal.removeEventListener('abort', aborted);
        resolve();
      };
      const aborted = () => {
        const at = this.waiting.indexOf(granted);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(signal.reason);
      };
      if (signal.aborted) return aborted();
      signal.addEventListener('abort', aborted, { once: true });
      this.waiting.push(granted);
    });
  }

  // A freed slot passes straight to the next waiter (the count stays), else it is returned.
  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}
