import { EMPTY, concatMap, defer, map, takeWhile, type Observable } from 'rxjs';
import { assertInteger } from '../internal/assert-option.js';
import type { StepResult, StepsOptions } from './types.js';

/**
 * `steps(action$)` of every session: each action through `concatMap` to `step`, so one step is on
 * the wire at a time and results come in order; completes right after a result with `done: true`
 * (included) or after `maxSteps` results (the last marked `truncated` unless `done`), which
 * unsubscribes `action$`; otherwise when `action$` completed and its last step answered.
 *
 * @example
 * runSteps((a) => env.step(a), action$, { maxSteps: 100 }).subscribe((r) => console.log(r.done, r.truncated));
 */
export function runSteps<A, O>(
  step: (action: A) => Observable<StepResult<O>>,
  action$: Observable<A>,
  options: StepsOptions = {},
): Observable<StepResult<O>> {
  return defer(() => {
    const { maxSteps } = options;
    assertInteger('maxSteps', maxSteps, 0);
    if (maxSteps === 0) return EMPTY;
    const results$ = action$.pipe(concatMap(step));
    const marked$ =
      maxSteps === undefined ? results$ : results$.pipe(map((r, i) => (!r.done && i + 1 >= maxSteps ? { ...r, truncated: true } : r)));
    // Inclusive: the ending result is emitted, then the chain (concatMap, action$) is unsubscribed.
    return marked$.pipe(takeWhile((r) => !r.done && !r.truncated, true));
  });
}
