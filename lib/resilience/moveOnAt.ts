import type { MonoTypeOperatorFunction, SchedulerLike } from 'rxjs';
import { absoluteDeadline, readMoveOn, type MoveOnOptions } from './deadline.js';

/**
 * Completes silently if the source has not completed by the moment `date`, and unsubscribes the
 * source at that moment.
 *
 * The absolute form of {@link moveOnAfter}, like Python's `move_on_at(deadline)`. `date` is a
 * `Date` or a number of ms on the scheduler's clock; a deadline already past at subscription
 * completes at once, before the source is subscribed; `null` means no deadline (the source is
 * untouched). `{ onTimeout }` is called once when the deadline cut the work (a deadline already
 * past at subscription included), never when the source finished first or the output was
 * unsubscribed first: anyio's `cancelled_caught`.
 *
 * ```text
 * source:                --a---b---c---
 * moveOnAt(new Date(5)): --a--|          onTimeout called at 5
 * source subs:           ^----!
 * ```
 *
 * @param date The deadline: a valid `Date`, a finite number of ms, or `null` for none.
 * @param schedulerOrOptions The clock (default `asyncScheduler`), or {@link MoveOnOptions}
 *   `{ scheduler?, onTimeout? }`. An object with both `now` and `schedule` is taken as a scheduler.
 * @throws RangeError/TypeError when `date` is an invalid Date or not a finite number;
 *   TypeError when the second argument is neither a scheduler nor an options object, or an
 *   option is wrong or unknown (all at creation).
 *
 * @example
 * ```ts
 * // Collect progress events until the end of the business day, then stop quietly.
 * progress$.pipe(moveOnAt(endOfDay, { onTimeout: () => log('stopped at the end of the day') })).subscribe(log);
 * ```
 */
export function moveOnAt<T>(date: Date | number | null | undefined, schedulerOrOptions?: SchedulerLike | MoveOnOptions): MonoTypeOperatorFunction<T> {
  const { scheduler, onTimeout } = readMoveOn(schedulerOrOptions);
  return absoluteDeadline<T>('moveOnAt', date, 'moveOn', scheduler, onTimeout);
}
