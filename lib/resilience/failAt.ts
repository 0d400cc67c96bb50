import { asyncScheduler, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';
import { absoluteDeadline } from './deadline.js';

/**
 * Errors with a {@link DeadlineError} if the source has not completed by the moment `date`, and
 * unsubscribes the source at that moment.
 *
 * The absolute form of {@link failAfter}, like Python's `fail_at(deadline)`: handy when several
 * steps share one deadline computed up front. `date` is a `Date` or a number of ms on the
 * scheduler's clock (epoch ms for `asyncScheduler`, frames under `TestScheduler`). A deadline
 * already past at subscription trips at once, inside `subscribe`, before the source is subscribed.
 * `null` means no deadline (the source is untouched). The error's message names the deadline
 * (`failAt(2026-12-02T10:00:00.000Z): not finished by 2026-12-02T10:00:00.000Z`); its `deadline`
 * is `date` in ms.
 *
 * ```text
 * source:              --a---b---c---|
 * failAt(new Date(5)): --a--#
 * source subs:         ^----!
 * ```
 *
 * @param date The deadline: a valid `Date`, a finite number of ms, or `null` for none.
 * @param scheduler The clock (default `asyncScheduler`).
 * @throws RangeError/TypeError when `date` is an invalid Date or not a finite number;
 *   TypeError when `scheduler` is not a scheduler (both at creation).
 *
 * @example
 * ```ts
 * const deadline = new Date(Date.now() + 10_000);
 * upload$.pipe(failAt(deadline)).subscribe();
 * verify$.pipe(failAt(deadline)).subscribe(); // the same 10 s budget for both steps
 * ```
 */
export function failAt<T>(date: Date | number | null | undefined, scheduler: SchedulerLike = asyncScheduler): MonoTypeOperatorFunction<T> {
  return absoluteDeadline<T>('failAt', date, 'fail', scheduler);
}
