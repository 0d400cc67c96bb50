import { asyncScheduler, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';
import { absoluteDeadline } from './deadline.js';

/**
 * Completes silently if the source has not completed by the moment `date`, and unsubscribes the
 * source at that moment.
 *
 * The absolute form of {@link moveOnAfter}, like Python's `move_on_at(deadline)`. `date` is a
 * `Date` or a number of ms on the scheduler's clock; a deadline already past at subscription
 * completes at once, before the source is subscribed; `null` means no deadline (the source is
 * untouched).
 *
 * ```text
 * source:                --a---b---c---
 * moveOnAt(new Date(5)): --a--|
 * source subs:           ^----!
 * ```
 *
 * @param date The deadline: a valid `Date`, a finite number of ms, or `null` for none.
 * @param scheduler The clock (default `asyncScheduler`).
 * @throws RangeError/TypeError when `date` is an invalid Date or not a finite number;
 *   TypeError when `scheduler` is not a scheduler (both at creation).
 *
 * @example
 * ```ts
 * // Collect progress events until the end of the business day, then stop quietly.
 * progress$.pipe(moveOnAt(endOfDay)).subscribe(log);
 * ```
 */
export function moveOnAt<T>(date: Date | number | null | undefined, scheduler: SchedulerLike = asyncScheduler): MonoTypeOperatorFunction<T> {
  return absoluteDeadline<T>('moveOnAt', date, 'moveOn', scheduler);
}
