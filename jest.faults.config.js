/**
 * `npm run test:faults`: the fault matrix (spec/faults/matrix/, issue 20): real servers killed,
 * frozen, restarted, delayed and cut, under every driver and source, a .ci/run step after npm test.
 * About three minutes of real processes, containers and swarm tasks; `npm run soak:faults` runs
 * every cell and the long run. Not part of npm test, whose time budget it would break.
 */
import base from './jest.config.js';

export default { ...base, roots: ['<rootDir>/spec/faults/matrix'], testPathIgnorePatterns: ['/node_modules/'] };
