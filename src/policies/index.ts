export { randomPolicy } from './random-policy.js';
export type { JsonSchema } from './json-schema.js';
