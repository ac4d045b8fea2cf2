/**
 * `npm run test:consumer`: the suites that install the packed package into a consumer project with
 * its own test runners (jest, vitest). A step of .ci/run beside `npm test`, which they would
 * lengthen by about two minutes of npm installs and CPU (the strict TypeScript consumer of
 * package-install.consumer-spec.ts, the README own-env project under jest and vitest).
 */
import base from './jest.config.js';

export default { ...base, testMatch: ['**/*.consumer-spec.ts'], testSequencer: undefined };
