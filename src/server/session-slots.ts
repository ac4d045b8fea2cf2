/**
 * The server's env-instance budget: `/ws` sessions and `openenv/session/create` sessions of
 * `POST /mcp` draw from the same `maxSessions`, since each holds one live env.
 *
 * @example
 * const slots = createSessionSlots(4);
 * if (!slots.acquire()) refuse(); else try { ... } finally { slots.release(); }
 */
export interface SessionSlots {
  readonly max: number;
  active(): number;
  /** Takes a slot; false when all are taken. */
  acquire(): boolean;
  release(): void;
}

export function createSessionSlots(max: number): SessionSlots {
  let active = 0;
  return {
    max,
    active: () => active,
    acquire: () => {
      if (active >= max) return false;
      active++;
      return true;
    },
    release: () => {
      if (active > 0) active--;
    },
  };
}

/** OpenEnv's capacity message, sent in the WS CAPACITY_REACHED frame and the -32000 JSON-RPC error. */
export function capacityMessage(slots: SessionSlots): string {
  return `Server at capacity: ${slots.active()}/${slots.max} sessions active. Cannot accept new connections.`;
}
