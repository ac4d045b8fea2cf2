import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { BaseState, defineServerEnv, type EnvResetOptions, type Environment, type StepOutcome } from '../environment/environment.js';
import { mulberry32, type Random } from '../internal/mulberry32.js';

export const CartPoleAction = z
  .strictObject({ action: z.literal([0, 1]).describe('0 pushes the cart left, 1 pushes it right') })
  .meta({ title: 'CartPoleAction' });
export type CartPoleAction = z.infer<typeof CartPoleAction>;

export const CartPoleObservation = z
  .strictObject({
    cart_position: z.number().describe('Cart position (m); the episode ends beyond ±2.4'),
    cart_velocity: z.number().describe('Cart velocity (m/s)'),
    pole_angle: z.number().describe('Pole angle (rad); the episode ends beyond ±12°'),
    pole_angular_velocity: z.number().describe('Pole angular velocity (rad/s)'),
  })
  .meta({ title: 'CartPoleObservation' });
export type CartPoleObservation = z.infer<typeof CartPoleObservation>;

export const CartPoleState = BaseState.extend({
  cart_position: z.number(),
  cart_velocity: z.number(),
  pole_angle: z.number(),
  pole_angular_velocity: z.number(),
}).meta({ title: 'CartPoleState' });
export type CartPoleState = z.infer<typeof CartPoleState>;

/** Gymnasium CartPole-v1 constants. */
const CARTPOLE = {
  gravity: 9.8,
  masscart: 1.0,
  masspole: 0.1,
  length: 0.5, // half the pole's length
  forceMag: 10.0,
  tau: 0.02,
  thetaThresholdRadians: (12 * 2 * Math.PI) / 360,
  xThreshold: 2.4,
  maxEpisodeSteps: 500,
} as const;

/** `[x, x_dot, theta, theta_dot]`, Gymnasium's `env.unwrapped.state`. */
export type CartPolePhysics = [number, number, number, number];

/**
 * Gymnasium CartPole-v1 (Euler integrator), in float64 throughout: Gymnasium casts its
 * observation to float32, this env sends the float64 state. Reward 1 per step, including the
 * terminating one; steps after termination give 0. OpenEnv has no `truncated` flag, so the
 * 500-step TimeLimit ends the episode with `done: true` as well.
 *
 * Reset draws the four state variables uniformly in [low, high) (default ±0.05, Gymnasium's
 * `options={"low","high"}` are accepted as reset extras) from mulberry32, not numpy: a seed gives
 * a reproducible start, but not Gymnasium's numbers. Without a seed the generator carries on
 * from the previous episode, as Gymnasium's does.
 */
export class CartPoleEnvironment implements Environment<CartPoleAction, CartPoleObservation, CartPoleState> {
  /** Public like Gymnasium's `unwrapped.state`, so a state can be set up directly. */
  physics: CartPolePhysics = [0, 0, 0, 0];
  private random: Random = mulberry32();
  private episodeId: string = randomUUID();
  private stepCount = 0;
  private terminated = false;

  reset(options: EnvResetOptions): StepOutcome<CartPoleObservation> {
    if (options.seed !== undefined) this.random = mulberry32(options.seed);
    const low = typeof options['low'] === 'number' ? options['low'] : -0.05;
    const high = typeof options['high'] === 'number' ? options['high'] : 0.05;
    const draw = (): number => low + (high - low) * this.random();
    this.physics = [draw(), draw(), draw(), draw()];
    this.episodeId = options.episodeId ?? randomUUID();
    this.stepCount = 0;
    this.terminated = false;
    return { observation: this.observe(), reward: 0, done: false };
  }

  step({ action }: CartPoleAction): StepOutcome<CartPoleObservation> {
    const { gravity, masscart, masspole, length, forceMag, tau } = CARTPOLE;
    const totalMass = masspole + masscart;
    const poleMassLength = masspole * length;
    let [x, xDot, theta, thetaDot] = this.physics;
    const force = action === 1 ? forceMag : -forceMag;
    const cosTheta = Math.cos(theta);
    const sinTheta = Math.sin(theta);
    const temp = (force + poleMassLength * thetaDot ** 2 * sinTheta) / totalMass;
    const thetaAcc = (gravity * sinTheta - cosTheta * temp) / (length * (4.0 / 3.0 - (masspole * cosTheta ** 2) / totalMass));
    const xAcc = temp - (poleMassLength * thetaAcc * cosTheta) / totalMass;
    x = x + tau * xDot;
    xDot = xDot + tau * xAcc;
    theta = theta + tau * thetaDot;
    thetaDot = thetaDot + tau * thetaAcc;
    this.physics = [x, xDot, theta, thetaDot];
    this.stepCount++;

    const fell = x < -CARTPOLE.xThreshold || x > CARTPOLE.xThreshold || theta < -CARTPOLE.thetaThresholdRadians || theta > CARTPOLE.thetaThresholdRadians;
    const reward = this.terminated ? 0 : 1;
    this.terminated ||= fell;
    const done = this.terminated || this.stepCount >= CARTPOLE.maxEpisodeSteps;
    return { observation: this.observe(), reward, done };
  }

  state(): CartPoleState {
    const o = this.observe();
    return { episode_id: this.episodeId, step_count: this.stepCount, ...o };
  }

  private observe(): CartPoleObservation {
    const [x, xDot, theta, thetaDot] = this.physics;
    return { cart_position: x, cart_velocity: xDot, pole_angle: theta, pole_angular_velocity: thetaDot };
  }
}

/**
 * Gymnasium's CartPole-v1 as an OpenEnv env: action `{action: 0 | 1}`.
 *
 * @example
 * const server = await serve(cartPoleEnv);
 * // WS: {"type":"reset","data":{"seed":7}} then {"type":"step","data":{"action":1}}
 * await server.close();
 */
export const cartPoleEnv = defineServerEnv({
  name: 'cartpole',
  title: 'CartPoleEnvironment',
  description: 'Gymnasium CartPole-v1: balance a pole on a cart by pushing it left (0) or right (1).',
  action: CartPoleAction,
  observation: CartPoleObservation,
  state: CartPoleState,
  create: () => new CartPoleEnvironment(),
});
