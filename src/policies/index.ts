export { randomPolicy } from './random-policy.js';
export { explainRejectedAction, type ExplainRejectionOptions } from './explain-rejected-action.js';
export type { JsonSchema } from './json-schema.js';
