import { CartPoleEnvironment, type CartPolePhysics } from '../../src/envs/cartpole.js';

const TWELVE_DEGREES = (12 * 2 * Math.PI) / 360; // 0.20943951...

/** The CartPole-v1 equations (Florian 2007, as Gymnasium writes them), written out here on their own. */
function eulerStep([x, v, th, w]: CartPolePhysics, action: 0 | 1): CartPolePhysics {
  const g = 9.8;
  const mc = 1.0;
  const mp = 0.1;
  const l = 0.5;
  const dt = 0.02;
  const F = action === 1 ? 10 : -10;
  const M = mc + mp;
  const temp = (F + mp * l * w * w * Math.sin(th)) / M;
  const alpha = (g * Math.sin(th) - Math.cos(th) * temp) / (l * (4 / 3 - (mp * Math.cos(th) * Math.cos(th)) / M));
  const a = temp - (mp * l * alpha * Math.cos(th)) / M;
  return [x + dt * v, v + dt * a, th + dt * w, w + dt * alpha];
}

const physicsOf = (o: { cart_position: number; cart_velocity: number; pole_angle: number; pole_angular_velocity: number }): CartPolePhysics => [
  o.cart_position,
  o.cart_velocity,
  o.pole_angle,
  o.pole_angular_velocity,
];

describe('CartPoleEnvironment dynamics', () => {
  it('from the upright rest state, two pushes right match the hand-computed Euler steps', () => {
    const env = new CartPoleEnvironment();
    // Gymnasium's reset options {low, high} pin the start: low = high = 0 gives the rest state.
    expect(env.reset({ low: 0, high: 0 }).observation).toEqual({ cart_position: 0, cart_velocity: 0, pole_angle: 0, pole_angular_velocity: 0 });
    // theta = 0: temp = F/M = 10/1.1; thetaacc = -(100/11) / (0.5 * (4/3 - 0.1/1.1)) = -600/41;
    // xacc = 100/11 + 0.05 * (600/41) / 1.1 = 400/41.
    const first = env.step({ action: 1 });
    expect(first.reward).toBe(1);
    expect(first.done).toBe(false);
    expect(first.observation.cart_position).toBe(0); // x + tau * x_dot(=0)
    expect(first.observation.cart_velocity).toBeCloseTo(0.1951219512195122, 15); // 0.02 * 400/41 = 8/41
    expect(first.observation.pole_angle).toBe(0);
    expect(first.observation.pole_angular_velocity).toBeCloseTo(-0.2926829268292683, 15); // 0.02 * -600/41 = -12/41
    // theta is still 0, so the accelerations repeat; positions integrate the previous velocities.
    const second = env.step({ action: 1 });
    expect(second.observation.cart_position).toBeCloseTo(0.003902439024390244, 15); // 0.02 * 8/41
    expect(second.observation.cart_velocity).toBeCloseTo(0.3902439024390244, 15); // 16/41
    expect(second.observation.pole_angle).toBeCloseTo(-0.005853658536585366, 15); // 0.02 * -12/41
    expect(second.observation.pole_angular_velocity).toBeCloseTo(-0.5853658536585366, 15); // -24/41
  });

  it('follows the CartPole equations step by step from a seeded start', () => {
    const env = new CartPoleEnvironment();
    let expected = physicsOf(env.reset({ seed: 123 }).observation);
    const actions: (0 | 1)[] = [1, 0, 0, 1, 1, 1, 0, 1, 0, 0, 1, 0, 1, 1, 0];
    for (const action of actions) {
      expected = eulerStep(expected, action);
      const got = physicsOf(env.step({ action }).observation);
      got.forEach((value, i) => expect(value).toBeCloseTo(expected[i]!, 12));
    }
    expect(env.state().step_count).toBe(actions.length);
  });
});

describe('CartPoleEnvironment seeding', () => {
  it('draws the start uniformly in [-0.05, 0.05), reproducibly per seed', () => {
    const a = new CartPoleEnvironment().reset({ seed: 7 }).observation;
    const b = new CartPoleEnvironment().reset({ seed: 7 }).observation;
    const c = new CartPoleEnvironment().reset({ seed: 8 }).observation;
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    for (const value of physicsOf(a)) {
      expect(value).toBeGreaterThanOrEqual(-0.05);
      expect(value).toBeLessThan(0.05);
    }
  });

  it('an unseeded reset continues the generator, as Gymnasium does', () => {
    const one = new CartPoleEnvironment();
    const two = new CartPoleEnvironment();
    one.reset({ seed: 7 });
    two.reset({ seed: 7 });
    const nextOne = one.reset({}).observation;
    expect(two.reset({}).observation).toEqual(nextOne);
    expect(nextOne).not.toEqual(new CartPoleEnvironment().reset({ seed: 7 }).observation);
  });

  it('keeps a requested episode id', () => {
    const env = new CartPoleEnvironment();
    env.reset({ seed: 1, episodeId: 'ep-9' });
    expect(env.state()).toMatchObject({ episode_id: 'ep-9', step_count: 0 });
  });
});

describe('CartPoleEnvironment termination', () => {
  it('ends when the pole passes 12 degrees, with reward 1 on that step and 0 afterwards', () => {
    const env = new CartPoleEnvironment();
    env.reset({ low: 0, high: 0 });
    let previousAngle = 0;
    let steps = 0;
    let last = env.step({ action: 1 });
    for (steps = 1; !last.done && steps < 200; steps++) {
      previousAngle = last.observation.pole_angle;
      last = env.step({ action: 1 });
    }
    expect(last.done).toBe(true);
    expect(steps).toBeLessThan(200);
    expect(Math.abs(last.observation.pole_angle)).toBeGreaterThan(TWELVE_DEGREES);
    expect(Math.abs(previousAngle)).toBeLessThanOrEqual(TWELVE_DEGREES);
    expect(Math.abs(last.observation.cart_position)).toBeLessThanOrEqual(2.4);
    expect(last.reward).toBe(1);
    const after = env.step({ action: 0 });
    expect(after).toMatchObject({ reward: 0, done: true });
  });

  it('ends when the cart leaves [-2.4, 2.4] on either side', () => {
    const env = new CartPoleEnvironment();
    env.reset({ seed: 1 });
    env.physics = [2.39, 1, 0, 0];
    expect(env.step({ action: 0 })).toMatchObject({ done: true, reward: 1 }); // x = 2.39 + 0.02 = 2.41
    env.reset({ seed: 1 });
    env.physics = [-2.39, -1, 0, 0];
    expect(env.step({ action: 1 })).toMatchObject({ done: true, reward: 1 });
    env.reset({ seed: 1 });
    env.physics = [2.37, 1, 0, 0];
    expect(env.step({ action: 0 }).done).toBe(false); // 2.39: still inside
  });

  it('ends with done: true at step 500 (the TimeLimit; OpenEnv has no truncated flag)', () => {
    const env = new CartPoleEnvironment();
    env.reset({ seed: 3 });
    for (let i = 1; i < 500; i++) {
      env.physics = [0, 0, 0, 0]; // hold the pole upright so only the step limit can end it
      expect(env.step({ action: (i % 2) as 0 | 1 })).toMatchObject({ done: false, reward: 1 });
    }
    env.physics = [0, 0, 0, 0];
    expect(env.step({ action: 0 })).toMatchObject({ done: true, reward: 1 });
    expect(env.state().step_count).toBe(500);
  });
});
