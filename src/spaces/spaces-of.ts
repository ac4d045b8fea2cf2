import { map, type Observable } from 'rxjs';
import type { SchemaResponse } from '../protocol/http-messages.js';
import type { EnvSession } from '../session/types.js';
import type { ToolSchemas } from '../tools/tool-types.js';
import type { Space } from './space.js';
import { spaceFromSchema, type SpaceOptions } from './space-from-schema.js';
import { wireObservationSchema } from './wire-observation-schema.js';

/** An env's spaces, as Gymnasium's `env.action_space` and `env.observation_space` (plus the state's). */
export interface EnvSpaces<A = unknown, O = unknown, S = unknown> {
  action: Space<A>;
  /** Without OpenEnv's `done`, `reward` and `metadata`, which travel beside the observation (see `wireObservationSchema`). */
  observation: Space<O>;
  state: Space<S>;
}

/**
 * The spaces of a `/schema` answer (`GET /schema`, or `buildSchemaResponse` of a TypeScript env).
 * Each space's own generator is seeded with `options.seed`.
 *
 * @example
 * const schema = protocol.SchemaResponse.parse(await fetch('http://127.0.0.1:8000/schema').then((r) => r.json()));
 * const { action } = spacesFromSchema(schema, { seed: 0 });
 * console.log(action.sample()); // e.g. { action: 'LEFT' } for grid_world
 */
export function spacesFromSchema(schema: SchemaResponse, options: SpaceOptions = {}): EnvSpaces {
  return {
    action: spaceFromSchema(schema.action, options),
    observation: spaceFromSchema(wireObservationSchema(schema.observation), options),
    state: spaceFromSchema(schema.state, options),
  };
}

/**
 * A live server's spaces, from its `GET /schema` (generation B and later; a generation-A server
 * answers 404 and the Observable errors with that `HttpStatusError`). Typed by the session:
 * `action.sample()` is an `A`, `observation.contains(x)` narrows to `O`.
 *
 * @example
 * GridWorld.connect('http://127.0.0.1:8000')
 *   .pipe(withSession((env) => spacesOf(env).pipe(concatMap(({ action }) => env.episode(() => action.sample(), { seed: 0, maxSteps: 20 })))))
 *   .subscribe((step) => console.log(step.action, step.observation));
 */
export function spacesOf<A, O, S, T extends ToolSchemas>(session: EnvSession<A, O, S, T>, options: SpaceOptions = {}): Observable<EnvSpaces<A, O, S>> {
  return session.schema().pipe(map((schema) => spacesFromSchema(schema, options) as EnvSpaces<A, O, S>));
}
