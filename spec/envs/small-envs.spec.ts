import { EchoEnvironment } from '../../src/envs/echo.js';
import { FrozenLakeEnvironment } from '../../src/envs/frozen-lake.js';
import { GridWorldEnvironment } from '../../src/envs/grid-world.js';
import { builtinEnvs } from '../../src/envs/index.js';
import { mulberry32 } from '../../src/internal/mulberry32.js';

describe('EchoEnvironment', () => {
  it('rewards 0.1 per code point (Python len), never ends, counts steps', () => {
    const env = new EchoEnvironment();
    env.reset({ episodeId: 'e1' });
    expect(env.step({ message: 'héllo ✓ unicode' })).toEqual({
      observation: { echoed_message: 'héllo ✓ unicode', message_length: 15 },
      reward: 1.5,
      done: false,
    });
    // An astral-plane emoji is one character for Python, two UTF-16 units for JS.
    expect(env.step({ message: '😀' })).toMatchObject({ observation: { message_length: 1 }, reward: 0.1 });
    expect(env.state()).toEqual({ episode_id: 'e1', step_count: 2 });
  });
});

describe('GridWorldEnvironment', () => {
  it('x is the row: DOWN increments x, RIGHT increments y', () => {
    const env = new GridWorldEnvironment();
    env.reset({});
    expect(env.step({ action: 'DOWN' }).observation).toEqual({ x: 1, y: 0, message: 'Keep going...' });
    expect(env.step({ action: 'RIGHT' }).observation).toEqual({ x: 1, y: 1, message: 'Keep going...' });
  });

  it('a move into a wall is clamped: the agent stays, the step counts and costs -0.1', () => {
    const env = new GridWorldEnvironment();
    env.reset({});
    expect(env.step({ action: 'UP' })).toEqual({ observation: { x: 0, y: 0, message: 'Keep going...' }, reward: -0.1, done: false });
    expect(env.step({ action: 'LEFT' })).toEqual({ observation: { x: 0, y: 0, message: 'Keep going...' }, reward: -0.1, done: false });
    expect(env.state().step_count).toBe(2);
  });

  it('reaching (4,4) gives 1.0 and done; a reset starts over', () => {
    const env = new GridWorldEnvironment();
    env.reset({});
    const moves = ['DOWN', 'DOWN', 'DOWN', 'DOWN', 'RIGHT', 'RIGHT', 'RIGHT'] as const;
    for (const action of moves) expect(env.step({ action }).done).toBe(false);
    expect(env.step({ action: 'RIGHT' })).toEqual({ observation: { x: 4, y: 4, message: 'You found the goal!' }, reward: 1, done: true });
    expect(env.reset({}).observation).toEqual({ x: 0, y: 0, message: 'Welcome to Grid World! Goal is at [4, 4].' });
    expect(env.state().step_count).toBe(0);
  });
});

describe('FrozenLakeEnvironment', () => {
  it('not slippery: the safe path reaches G with reward 1 on the last step only', () => {
    const env = new FrozenLakeEnvironment(false);
    env.reset({});
    const path = [2, 2, 1, 1, 1] as const; // RIGHT RIGHT DOWN DOWN DOWN → (3,2)
    for (const action of path) expect(env.step({ action })).toMatchObject({ reward: 0, done: false });
    expect(env.step({ action: 2 })).toEqual({ observation: { position: 15, row: 3, col: 3, tile: 'G' }, reward: 1, done: true });
    // G is absorbing: no second reward.
    expect(env.step({ action: 0 })).toMatchObject({ observation: { position: 15 }, reward: 0, done: true });
  });

  it('a hole ends the episode with reward 0', () => {
    const env = new FrozenLakeEnvironment(false);
    env.reset({});
    env.step({ action: 1 }); // (1,0)
    expect(env.step({ action: 2 })).toEqual({ observation: { position: 5, row: 1, col: 1, tile: 'H' }, reward: 0, done: true });
  });

  it('ends after 100 steps (TimeLimit) when nothing else does', () => {
    const env = new FrozenLakeEnvironment(false);
    env.reset({});
    for (let i = 1; i < 100; i++) expect(env.step({ action: 0 }).done).toBe(false);
    expect(env.step({ action: 0 })).toMatchObject({ observation: { position: 0 }, done: true });
  });

  it('slippery: a seed reproduces the trajectory; moves go straight or sideways about 1/3 each', () => {
    const run = (seed: number): number[] => {
      const env = new FrozenLakeEnvironment();
      env.reset({ seed });
      return Array.from({ length: 20 }, () => env.step({ action: 2 }).observation.position);
    };
    expect(run(11)).toEqual(run(11));
    expect(run(11)).not.toEqual(run(12));

    // From the start, DOWN slips to LEFT (stay at 0), DOWN (4) or RIGHT (1).
    const counts = new Map<number, number>();
    const env = new FrozenLakeEnvironment();
    env.reset({ seed: 5 });
    for (let i = 0; i < 300; i++) {
      env.reset({});
      const position = env.step({ action: 1 }).observation.position;
      counts.set(position, (counts.get(position) ?? 0) + 1);
    }
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual([0, 1, 4]);
    for (const count of counts.values()) {
      expect(count).toBeGreaterThan(60);
      expect(count).toBeLessThan(140);
    }
  });
});

describe('mulberry32', () => {
  it('is deterministic per seed and stays in [0, 1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const values = Array.from({ length: 1000 }, () => a());
    expect(values.slice(0, 2)).toEqual([b(), b()]);
    expect(values[0]).toBe(0.6011037519201636);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
  });
});

describe('builtinEnvs', () => {
  it('registers every built-in env under its name, each building a working env', async () => {
    expect(Object.keys(builtinEnvs).sort()).toEqual(['cartpole', 'echo', 'echo_mcp', 'frozen_lake', 'frozen_lake_deterministic', 'grid_world']);
    for (const [name, definition] of Object.entries(builtinEnvs)) {
      expect(definition.name).toBe(name);
      const env = await definition.create();
      const outcome = await env.reset({ seed: 1, episodeId: `ep-${name}` });
      expect(definition.observation.safeParse(outcome.observation).success).toBe(true);
      expect(await env.state()).toMatchObject({ episode_id: `ep-${name}`, step_count: 0 });
    }
  });
});
