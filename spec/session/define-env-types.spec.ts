import { z } from 'zod';
import { defineEnv } from '../../src/session/define-env.js';
import type { ActionOf, JsonObject, ObservationOf, StateOf } from '../../src/session/env-spec.js';

// Type-level checks run by `tsc` (the @ts-expect-error lines fail type-checking if inference
// breaks); the runtime assertions make sure the definition carries the schemas it was given.

const GridWorld = defineEnv({
  name: 'grid_world',
  action: z.object({ action: z.enum(['UP', 'DOWN', 'LEFT', 'RIGHT']) }),
  observation: z.object({ x: z.number(), y: z.number(), message: z.string() }),
});
const Untyped = defineEnv({ name: 'anything' });

type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;
const assertType = <T extends true>(value: T): T => value;

describe('defineEnv type inference', () => {
  it('infers action, observation and state types from the schemas (JSON objects when absent)', () => {
    const checks = [
      assertType<Equal<ActionOf<typeof GridWorld>, { action: 'UP' | 'DOWN' | 'LEFT' | 'RIGHT' }>>(true),
      assertType<Equal<ObservationOf<typeof GridWorld>, { x: number; y: number; message: string }>>(true),
      assertType<Equal<StateOf<typeof GridWorld>, JsonObject>>(true),
      assertType<Equal<ActionOf<typeof Untyped>, JsonObject>>(true),
      assertType<Equal<ObservationOf<typeof Untyped>, JsonObject>>(true),
    ];
    expect(checks).toEqual([true, true, true, true, true]);

    const move: ActionOf<typeof GridWorld> = { action: 'UP' };
    // @ts-expect-error JUMP is not in the action enum
    const jump: ActionOf<typeof GridWorld> = { action: 'JUMP' };
    expect(GridWorld.spec.action?.safeParse(move).success).toBe(true);
    expect(GridWorld.spec.action?.safeParse(jump).success).toBe(false);
    expect(GridWorld.spec.name).toBe('grid_world');
    expect(Untyped.spec.action).toBeUndefined();
  });
});
