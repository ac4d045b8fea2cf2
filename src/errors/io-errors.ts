import { OpenEnvError, type ErrorContext } from './openenv-error.js';

/** `recordTrajectory` could not open, write or flush its sink, or could not serialise a step. */
export class TrajectoryWriteError extends OpenEnvError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, 'ERR_TRAJECTORY_WRITE', context, options);
  }
}
