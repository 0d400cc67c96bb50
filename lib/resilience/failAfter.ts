import { asyncScheduler, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';
import { relativeDeadline } from './deadline.js';

/**
 * Errors with a {@link DeadlineError} if the source has not completed `ms` milliseconds after
 * subscription, and unsubscribes the source at that moment.
 *
 * The RxJS spelling of Python's `fail_after(seconds)` (lionherd, anyio): a hard time budget for
 * the whole stream, not for the gap between values (that is rxjs `timeout({ each })`). `null`
 * means no deadline: the source is returned untouched. A deadline already past at subscription
 * (`failAfter(0)`) trips at once, inside `subscribe`, before the source is subscribed. The
 * error's message names the budget (`failAfter(200): not finished within 200 ms`); its
 * `deadline` is the moment it guarded: the scheduler time at subscription plus `ms`.
 *
 * ```text
 * source:          --a---b---c---|
 * failAfter(7):    --a---b#
 * source subs:     ^------!
 * ```
 *
 * @param ms The time budget in ms, a finite number ≥ 0, or `null` for none.
 * @param scheduler The clock (default `asyncScheduler`; pass a `TestScheduler` to test in virtual time).
 * @throws RangeError when `ms` is not a finite number ≥ 0; TypeError when `scheduler` is not a
 *   scheduler (both at creation, not at subscription).
 *
 * @example
 * ```ts
 * http.get('/report').pipe(failAfter(5_000)).subscribe({
 *   error: (e) => { if (e instanceof DeadlineError) showSlowNotice(); },
 * });
 * ```
 */
export function failAfter<T>(ms: number | null | undefined, scheduler: SchedulerLike = asyncScheduler): MonoTypeOperatorFunction<T> {
  return relativeDeadline<T>('failAfter', ms, 'fail', scheduler);
}
