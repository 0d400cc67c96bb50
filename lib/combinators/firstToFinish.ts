import { Observable } from 'rxjs';
import type { Settled, Task, TaskResult } from '../types.js';
import { splitTasks } from '../internal/combinators-args.js';
import { runTasks } from '../internal/combinators-run.js';

/**
 * Runs every task at once; the first to *finish* wins, whether it succeeds or fails: its last value
 * is emitted and the output completes, or its error is re-thrown. All the others are unsubscribed
 * (their `ctx.signal`s aborted) at that moment, before the winner's outcome reaches the consumer.
 *
 * Think asyncio-style `race` or `Promise.race`. RxJS's own `race` picks the first source to
 * *emit* and then mirrors it; `firstToFinish` waits for the first to *finish* and gives its final
 * value, so a task that emits progress early does not win by doing so. A winner that completed
 * without a value errors with an {@link EmptyTaskError} naming its index.
 *
 * Tasks are started in input order on subscription; if one finishes synchronously, later ones are
 * never started. At least one task is required: no tasks throws a `RangeError` at call time.
 *
 * ```text
 * a:                       ----(x|)
 * b:                       -----#
 * c:                       ---------------y|
 * firstToFinish(a, b, c):  ----(x|)             (b and c unsubscribed at 4 ms)
 * d:                       --#
 * firstToFinish(a, d):     --#                  (a unsubscribed at 2 ms)
 * ```
 *
 * @throws RangeError when no task is given; TypeError when an argument is not a task (at call time).
 *
 * @example
 * ```ts
 * // Whichever mirror answers first; the slower requests are aborted.
 * firstToFinish(
 *   (ctx) => fetch('https://eu.example.com/data', { signal: ctx.signal }),
 *   (ctx) => fetch('https://us.example.com/data', { signal: ctx.signal }),
 * ).subscribe(use);
 * ```
 */
export function firstToFinish<A extends readonly Task<unknown>[]>(...tasks: A): Observable<TaskResult<A[number]>>;
export function firstToFinish(...args: unknown[]): Observable<unknown> {
  const { tasks } = splitTasks(args, 'tasks', 1, false);
  return new Observable<unknown>((subscriber) => {
    runTasks(subscriber, tasks, 'last', true, (closeAll) => ({
      next: (settled) => {
        closeAll(); // the others, before the consumer hears of the winner
        const outcome = settled as Settled<unknown>;
        if (outcome.status === 'rejected') return subscriber.error(outcome.reason);
        subscriber.next(outcome.value);
        subscriber.complete();
      },
      error: (error) => subscriber.error(error),
      complete: () => subscriber.complete(),
    }));
  });
}
