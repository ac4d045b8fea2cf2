import { OpenEnvError, type ErrorContext } from './openenv-error.js';

/** The user's policy threw, rejected or completed without an action. `cause` holds what it threw. */
export class PolicyError extends OpenEnvError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, 'ERR_POLICY', context, options);
  }
}

/** The session was used wrongly: a step before any reset, a call after it closed. */
export class SessionStateError extends OpenEnvError {
  constructor(message: string, context: ErrorContext = {}) {
    super(message, 'ERR_SESSION_STATE', context);
  }
}
