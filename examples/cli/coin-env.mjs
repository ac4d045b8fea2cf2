// An env module for the CLI: `openenv-rx serve ./examples/cli/coin-env.mjs` (or
// `openenv-rx rollout --env ./examples/cli/coin-env.mjs`).
//
// The default export is an env definition as `openenv-rx/server` documents it: `name`, zod schemas
// of `action` and `observation`, and `create()` returning a fresh env instance per session. (In
// TypeScript, wrap it in `defineServerEnv({...})` from 'openenv-rx/server' to have it type-checked.)
//
// Guess a coin flip 10 times: +1 per right guess. The observation lists the legal actions, so the
// CLI's random policy picks among them.
import { z } from 'zod';

const FLIPS = 10;

class CoinEnv {
  flips = 0;
  episodeId = null;
  random = Math.random;

  reset({ seed, episodeId }) {
    this.flips = 0;
    this.episodeId = episodeId ?? null;
    // A seeded reset is reproducible: a tiny LCG from the seed.
    let state = (seed ?? Math.floor(Math.random() * 2 ** 31)) >>> 0;
    this.random = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    return { observation: { flips_left: FLIPS, last_flip: null, legal_actions: ['heads', 'tails'] }, reward: 0, done: false };
  }

  step({ guess }) {
    this.flips++;
    const flip = this.random() < 0.5 ? 'heads' : 'tails';
    return {
      observation: { flips_left: FLIPS - this.flips, last_flip: flip, legal_actions: ['heads', 'tails'] },
      reward: guess === flip ? 1 : 0,
      done: this.flips >= FLIPS,
    };
  }

  state() {
    return { episode_id: this.episodeId, step_count: this.flips };
  }
}

export default {
  name: 'coin',
  description: 'Guess 10 coin flips',
  action: z.object({ guess: z.enum(['heads', 'tails']) }),
  observation: z.object({
    flips_left: z.int(),
    last_flip: z.enum(['heads', 'tails']).nullable(),
    legal_actions: z.array(z.enum(['heads', 'tails'])),
  }),
  create: () => new CoinEnv(),
};
