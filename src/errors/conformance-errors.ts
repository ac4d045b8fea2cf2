import { OpenEnvError, type ErrorContext } from './openenv-error.js';

/**
 * A conformance check (`runConformance`, `openenv-rx validate`) found the server's answer
 * breaking the OpenEnv protocol: a wrong status, a body of the wrong shape, a missing error frame.
 * The message says what was expected and what came.
 *
 * @example
 * const results = await runConformance('http://127.0.0.1:8000');
 * for (const r of results) if (r.code === 'ERR_CONFORMANCE') console.log(`${r.id}: ${r.error}`);
 */
export class ConformanceError extends OpenEnvError {
  constructor(message: string, context: ErrorContext = {}) {
    super(message, 'ERR_CONFORMANCE', context);
  }
}
