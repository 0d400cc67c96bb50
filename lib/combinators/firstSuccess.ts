import { Observable } from 'rxjs';
import type { Settled, Task, TaskResult } from '../types.js';
import { splitTasks } from '../internal/combinators-args.js';
import { runTasks } from '../internal/combinators-run.js';

/**
 * Runs every task at once; the first to succeed wins: its last value is emitted, the output
 * completes, and the others are unsubscribed (their `ctx.signal`s aborted) just before the value
 * reaches the consumer. Failures are ignored until every task has failed; then the output errors
 * with an `AggregateError` whose `errors` hold each task's error in input order.
 *
 * Think `Promise.any`: "any of these will do, I only care that one works", such as fallbacks and
 * mirrors. A task that completes without a value counts as a failure, with an
 * {@link EmptyTaskError} naming its index in the `AggregateError`.
 *
 * Tasks are started in input order on subscription; if one succeeds synchronously, later ones are
 * never started. At least one task is required: no tasks throws a `RangeError` at call time.
 *
 * ```text
 * a:                       -#
 * b:                       -----(x|)
 * c:                       -----------y|
 * firstSuccess(a, b, c):   -----(x|)          (c unsubscribed at 5 ms)
 * d:                       ---#
 * firstSuccess(a, d):      ---#               AggregateError [error of a, error of d]
 * ```
 *
 * @throws RangeError when no task is given; TypeError when an argument is not a task (at call time).
 *
 * @example
 * ```ts
 * // The cache if it has the value, else the network; the network request is aborted on a cache hit.
 * firstSuccess(cache.get$(key), (ctx) => fetch(url, { signal: ctx.signal }).then((r) => r.json()))
 *   .subscribe(show);
 * ```
 */
export function firstSuccess<A extends readonly Task<unknown>[]>(...tasks: A): Observable<TaskResult<A[number]>>;
export function firstSuccess(...args: unknown[]): Observable<unknown> {
  const { tasks } = splitTasks(args, 'tasks', 1, false);
  return new Observable<unknown>((subscriber) => {
    const errors: unknown[] = new Array<unknown>(tasks.length);
    runTasks(subscriber, tasks, 'last', true, (closeAll) => ({
      next: (settled, i) => {
        const outcome = settled as Settled<unknown>;
        if (outcome.status === 'rejected') {
          errors[i] = outcome.reason;
          return;
        }
        closeAll(); // the others, before the consumer hears of the winner
        subscriber.next(outcome.value);
        subscriber.complete();
      },
      error: (error) => subscriber.error(error),
      // Every task settled and none succeeded.
      complete: () => subscriber.error(new AggregateError(errors, tasks.length === 1 ? 'The only task failed' : `All ${tasks.length} tasks failed`)),
    }));
  });
}
