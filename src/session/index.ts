export type * from './types.js';
export type { EnvSpec, AnyEnvSpec, JsonObject, ActionOf, ObservationOf, StateOf, ToolsOf, TypedSpec } from './env-spec.js';
export { JsonObjectSchema } from './env-spec.js';
export { createSession, type SessionOptions, type ManagedEnvSession } from './create-session.js';
export { defineEnv, type EnvDefinition, type EnvDependencies, type OpenTransport } from './define-env.js';
export { connect } from './connect.js';
export { runEpisode } from './episode.js';
export { runEpisodes } from './episodes.js';
export { explainConnectionLoss, explainLoss, EXIT_EXPLANATION_GRACE_MS } from './explain-connection-loss.js';
