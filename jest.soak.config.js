/**
 * `npm run test:soak`: the seeded soaks (thousands of steps through killed servers, half-open
 * sockets and delayed replies; memory and socket counts over a long run). A step of .ci/run beside
 * `npm test`: on two cores they are CPU-bound for about a minute, over npm test's 6-minute budget.
 * The fault matrix's full run is `npm run soak:faults`.
 */
import base from './jest.config.js';

export default { ...base, testMatch: ['**/*.soak-spec.ts'], testSequencer: undefined };
