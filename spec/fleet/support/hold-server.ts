// A child-process env server for the fleet fault specs: our own `serve()` with the echo env,
// except that, when HOLD=1, a step whose message is "hold" is never answered (the reply a killed
// server leaves unknown). PORT and MAX_CONCURRENT_ENVS as for `serve-builtin`; SIGTERM closes it.
// Run: node --import ./spec/fixtures/register-ts-loader.mjs spec/fleet/support/hold-server.ts
import { EchoEnvironment, echoEnv, type EchoAction, type EchoObservation } from '../../../src/envs/echo.js';
import {
  defineServerEnv,
  type EnvResetOptions,
  type Environment,
  type MaybePromise,
  type StepOutcome,
} from '../../../src/environment/environment.js';
import { serve } from '../../../src/server/serve.js';

const hold = process.env['HOLD'] === '1';

/** The echo env, by composition: its step may now answer with a promise that never settles. */
class HoldingEcho implements Environment<EchoAction, EchoObservation> {
  private readonly echo = new EchoEnvironment();
  reset(options: EnvResetOptions) {
    return this.echo.reset(options);
  }
  step(action: EchoAction): MaybePromise<StepOutcome<EchoObservation>> {
    if (hold && action.message === 'hold') {
      process.stdout.write('holding a step\n'); // tests wait for this before they kill the server
      return new Promise<never>(() => undefined);
    }
    return this.echo.step(action);
  }
  state() {
    return this.echo.state();
  }
}

const server = await serve(defineServerEnv({ ...echoEnv, create: () => new HoldingEcho() }), {
  port: Number(process.env['PORT'] ?? 0),
  maxSessions: Number(process.env['MAX_CONCURRENT_ENVS'] ?? 1),
  closeTimeoutMs: 200,
});
process.stdout.write(`hold-server on ${server.url} (hold ${hold})\n`);
process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
