// Moved to internal/ so that operators (rollouts) share it; kept here for fleet imports.
export { episodeFailure, outcomeUnknown, sessionSpoiled } from '../internal/step-failure.js';
