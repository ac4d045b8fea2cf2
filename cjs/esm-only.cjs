'use strict';
// What `require('openenv-rx')` loads (the "require" export condition): openenv-rx is published as
// ES modules only (its dependency got is ESM-only), so say so instead of a resolution error.
const error = new Error(
  "openenv-rx is an ES module package and cannot be loaded with require(). Use `import { defineEnv } from 'openenv-rx'` " +
    "(an .mjs file, or \"type\": \"module\" in package.json), or `const { defineEnv } = await import('openenv-rx')` from CommonJS.",
);
error.code = 'ERR_REQUIRE_ESM';
throw error;
