export { randomPolicy } from './random-policy.js';
export { sampleJsonSchema, randomChooser, firstChoice, type SampleChooser } from './sample-json-schema.js';
export { legalActionsOf, actionFromLegal, randomAction } from './legal-actions.js';
export { matchesJsonSchema, type JsonSchema } from './json-schema.js';
export { explainRejectedAction } from './explain-rejected-action.js';
