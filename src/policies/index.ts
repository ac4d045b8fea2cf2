export { randomPolicy } from './random-policy.js';
export { sampleJsonSchema, randomChooser, firstChoice, type SampleChooser } from './sample-json-schema.js';
