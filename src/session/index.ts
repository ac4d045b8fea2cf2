export type * from './types.js';
export type { EnvSpec, AnyEnvSpec, JsonObject, ActionOf, ObservationOf, StateOf, ToolsOf, TypedSpec } from './env-spec.js';
export type { SessionOptions, ManagedEnvSession } from './create-session.js';
export { defineEnv, type EnvDefinition, type EnvDependencies, type OpenTransport } from './define-env.js';
export { connectUrl } from './connect-url.js';
export { runEpisode } from './episode.js';
export { runEpisodes } from './episodes.js';
