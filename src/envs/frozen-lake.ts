import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { BaseState, defineServerEnv, type EnvResetOptions, type EnvState, type Environment, type StepOutcome } from '../environment/environment.js';
import { mulberry32, type Random } from '../internal/mulberry32.js';

/** Gymnasium's 4x4 map: S start, F frozen, H hole, G goal. */
const FROZEN_LAKE_MAP = ['SFFF', 'FHFH', 'FFFH', 'HFFG'] as const;
const ROWS = FROZEN_LAKE_MAP.length;
const COLS = FROZEN_LAKE_MAP[0].length;
const MAX_STEPS = 100;

export const FrozenLakeAction = z
  .strictObject({ action: z.literal([0, 1, 2, 3]).describe('0 LEFT, 1 DOWN, 2 RIGHT, 3 UP') })
  .meta({ title: 'FrozenLakeAction' });
export type FrozenLakeAction = z.infer<typeof FrozenLakeAction>;

export const FrozenLakeObservation = z
  .strictObject({
    position: z.int().min(0).describe('row * 4 + col, as Gymnasium numbers the cells'),
    row: z.int().min(0),
    col: z.int().min(0),
    tile: z.enum(['S', 'F', 'H', 'G']).describe('What the agent stands on'),
  })
  .meta({ title: 'FrozenLakeObservation' });
export type FrozenLakeObservation = z.infer<typeof FrozenLakeObservation>;

type Tile = FrozenLakeObservation['tile'];

/**
 * Gymnasium FrozenLake-v1 on the 4x4 map. Slippery by default: the agent moves in the chosen
 * direction or one of the two perpendicular ones, each with probability 1/3 (drawn from a seeded
 * mulberry32, not numpy). Reward 1 on reaching G; done on G, on a hole, or after 100 steps
 * (Gymnasium's TimeLimit, reported as `done` since OpenEnv has no truncation flag). Once done,
 * further steps leave the agent in place with reward 0 (Gymnasium's absorbing terminal states).
 */
export class FrozenLakeEnvironment implements Environment<FrozenLakeAction, FrozenLakeObservation> {
  private position = 0;
  private random: Random = mulberry32();
  private episodeId: string = randomUUID();
  private stepCount = 0;

  constructor(private readonly slippery = true) {}

  reset(options: EnvResetOptions): StepOutcome<FrozenLakeObservation> {
    if (options.seed !== undefined) this.random = mulberry32(options.seed);
    this.position = 0;
    this.stepCount = 0;
    this.episodeId = options.episodeId ?? randomUUID();
    return { observation: this.observe(), reward: 0, done: false };
  }

  step({ action }: FrozenLakeAction): StepOutcome<FrozenLakeObservation> {
    this.stepCount++;
    let reward = 0;
    if (!this.isTerminal()) {
      let direction: number = action;
      if (this.slippery) direction = (action + Math.floor(this.random() * 3) + 3) % 4; // action-1, action, action+1
      this.position = move(this.position, direction);
      if (tileAt(this.position) === 'G') reward = 1;
    }
    return { observation: this.observe(), reward, done: this.isTerminal() || this.stepCount >= MAX_STEPS };
  }

  state(): EnvState {
    return { episode_id: this.episodeId, step_count: this.stepCount };
  }

  private isTerminal(): boolean {
    const tile = tileAt(this.position);
    return tile === 'H' || tile === 'G';
  }

  private observe(): FrozenLakeObservation {
    return { position: this.position, row: Math.floor(this.position / COLS), col: this.position % COLS, tile: tileAt(this.position) };
  }
}

function tileAt(position: number): Tile {
  return FROZEN_LAKE_MAP[Math.floor(position / COLS)]![position % COLS] as Tile;
}

/** Gymnasium's `inc`: 0 LEFT, 1 DOWN, 2 RIGHT, 3 UP, clamped at the edges. */
function move(position: number, direction: number): number {
  let row = Math.floor(position / COLS);
  let col = position % COLS;
  if (direction === 0) col = Math.max(col - 1, 0);
  else if (direction === 1) row = Math.min(row + 1, ROWS - 1);
  else if (direction === 2) col = Math.min(col + 1, COLS - 1);
  else row = Math.max(row - 1, 0);
  return row * COLS + col;
}

/**
 * Gymnasium's FrozenLake-v1 (4x4, slippery) as an OpenEnv env: action `{action: 0..3}`.
 *
 * @example
 * const server = await serve(frozenLakeEnv);
 * await server.close();
 */
export const frozenLakeEnv = defineServerEnv({
  name: 'frozen_lake',
  title: 'FrozenLakeEnvironment',
  description: 'Gymnasium FrozenLake-v1 (4x4, slippery): cross the frozen lake from S to G without falling into a hole.',
  action: FrozenLakeAction,
  observation: FrozenLakeObservation,
  state: BaseState,
  create: () => new FrozenLakeEnvironment(),
});

/** The same env without slipping: every move goes where it is told. */
export const frozenLakeDeterministicEnv = defineServerEnv({
  ...frozenLakeEnv,
  name: 'frozen_lake_deterministic',
  description: 'Gymnasium FrozenLake-v1 (4x4, is_slippery=False).',
  create: () => new FrozenLakeEnvironment(false),
});
