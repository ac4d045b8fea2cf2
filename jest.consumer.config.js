/**
 * `npm run test:consumer`: the suites that install the packed package into a consumer project with
 * its own test runners (jest, vitest). A step of .ci/run beside `npm test`, which they would
 * lengthen by about a minute of npm installs and CPU.
 */
import base from './jest.config.js';

export default { ...base, testMatch: ['**/*.consumer-spec.ts'], testSequencer: undefined };
