/** Jest runs TypeScript through swc (fast, no type-checking: `npm run typecheck` does that). */
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/spec', '<rootDir>/marbles'],
  testMatch: ['**/*.spec.ts'],
  // Their own .ci/run steps: the multi-node swarm (npm run test:multinode, jest.multinode.config.js)
  // and the fault matrix (npm run test:faults, jest.faults.config.js).
  testPathIgnorePatterns: ['/node_modules/', '/spec/swarm-multinode/', '/spec/faults/matrix/'],
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'es6' } }],
  },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testTimeout: 20000,
  // Most suites wait on sockets, containers, swarm tasks and child processes rather than compute:
  // four workers on two cores keep the CPU busy through those waits (jest's default here is one).
  maxWorkers: 4,
  testSequencer: '<rootDir>/spec/support/slow-first-sequencer.js',
  // Builds dist/ when older than src/ (the CLI specs run the built CLI), and names the run's folder
  // where the test images' tags are shared between spec files.
  globalSetup: '<rootDir>/spec/support/global-setup.js',
  globalTeardown: '<rootDir>/spec/support/global-teardown.js',
  reporters: ['default', '<rootDir>/spec/support/plain-summary-reporter.js'],
};
