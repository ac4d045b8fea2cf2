export { randomPolicy } from './random-policy.js';
export { sampleJsonSchema, seededRandom, randomChooser, firstChoice, type SampleChooser } from './sample-json-schema.js';
