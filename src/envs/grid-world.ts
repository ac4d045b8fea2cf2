import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ActionMetadata, BaseState, defineServerEnv, type EnvResetOptions, type EnvState, type Environment, type StepOutcome } from '../environment/environment.js';

export const MoveAction = z.enum(['UP', 'DOWN', 'LEFT', 'RIGHT']).meta({ id: 'MoveAction', title: 'MoveAction' });
export type MoveAction = z.infer<typeof MoveAction>;

export const GridWorldAction = z
  .strictObject({
    action: MoveAction.describe('The direction to move the agent.'),
    metadata: ActionMetadata,
  })
  .meta({ title: 'GridWorldAction' });
export type GridWorldAction = z.infer<typeof GridWorldAction>;

export const GridWorldObservation = z
  .strictObject({
    x: z.int().describe('Current X position'),
    y: z.int().describe('Current Y position'),
    message: z.string().default('').describe('Status message'),
  })
  .meta({ title: 'GridWorldObservation' });
export type GridWorldObservation = z.infer<typeof GridWorldObservation>;

const SIZE = 5;
const GOAL = 4;

/**
 * OpenEnv's grid_world: 5×5, start (0,0), goal (4,4). `x` is the ROW (DOWN/UP change x) and `y`
 * the column (RIGHT/LEFT change y). A move into a wall is clamped: the agent stays, the step still
 * counts and costs -0.1. Reaching the goal gives 1.0 and done; stepping on after it is allowed.
 */
export class GridWorldEnvironment implements Environment<GridWorldAction, GridWorldObservation> {
  private x = 0;
  private y = 0;
  private episodeId: string = randomUUID();
  private stepCount = 0;

  reset(options: EnvResetOptions): StepOutcome<GridWorldObservation> {
    this.x = 0;
    this.y = 0;
    this.stepCount = 0;
    this.episodeId = options.episodeId ?? randomUUID();
    return { observation: { x: 0, y: 0, message: 'Welcome to Grid World! Goal is at [4, 4].' }, reward: 0, done: false };
  }

  step({ action }: GridWorldAction): StepOutcome<GridWorldObservation> {
    this.stepCount++;
    if (action === 'UP') this.x--;
    else if (action === 'DOWN') this.x++;
    else if (action === 'LEFT') this.y--;
    else this.y++;
    this.x = Math.max(0, Math.min(this.x, SIZE - 1));
    this.y = Math.max(0, Math.min(this.y, SIZE - 1));
    const atGoal = this.x === GOAL && this.y === GOAL;
    return {
      observation: { x: this.x, y: this.y, message: atGoal ? 'You found the goal!' : 'Keep going...' },
      reward: atGoal ? 1 : -0.1,
      done: atGoal,
    };
  }

  state(): EnvState {
    return { episode_id: this.episodeId, step_count: this.stepCount };
  }
}

/**
 * OpenEnv's grid_world env, same wire schema and dynamics.
 *
 * @example
 * const server = await serve(gridWorldEnv);
 * // WS: {"type":"step","data":{"action":"DOWN"}} → {"observation":{"x":1,"y":0,"message":"Keep going..."},"reward":-0.1,"done":false}
 * await server.close();
 */
export const gridWorldEnv = defineServerEnv({
  name: 'grid_world',
  title: 'GridWorldEnvironment',
  action: GridWorldAction,
  observation: GridWorldObservation,
  state: BaseState,
  // grid_world's pydantic model redeclares these two base fields.
  observationBaseFields: {
    done: z.boolean().default(false).describe('Whether the episode has ended'),
    reward: z.number().default(0).describe('Reward received from the last action'),
  },
  create: () => new GridWorldEnvironment(),
});
