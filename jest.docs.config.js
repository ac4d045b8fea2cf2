/**
 * `npm run test:docs`: the doc tests (spec/docs/*.docs-spec.ts): every snippet of README.md,
 * docs/*.md and the public API's `@example`s compiled in one TypeScript program and run in child
 * processes. A step of .ci/run after `npm test`, whose time budget it would exceed.
 */
import base from './jest.config.js';

export default { ...base, testMatch: ['**/*.docs-spec.ts'], testSequencer: undefined, testTimeout: 60_000 };
