/**
 * `npm run test:multinode`: spec/swarm-multinode/, on the three-node swarm of
 * scripts/multinode-swarm.sh (a .ci/run step between `up` and `down`). Not part of npm test:
 * without the cluster its suites skip (fail under CI=true), and its node faults take a minute.
 * One file at a time: the fault specs drain, cut and stop nodes the placement specs count on.
 */
import base from './jest.config.js';

export default { ...base, roots: ['<rootDir>/spec/swarm-multinode'], testPathIgnorePatterns: ['/node_modules/'], testSequencer: undefined, maxWorkers: 1 };
