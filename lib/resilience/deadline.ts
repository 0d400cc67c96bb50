import { Observable, identity, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';
import { armDeadline, deadlineError, type DeadlineLabel } from '../internal/clock.js';
import { describe, validateNonNegative, validateScheduler } from '../internal/validate.js';

/** What happens when a deadline trips: error with a `DeadlineError`, or complete silently. */
type DeadlineOutcome = 'fail' | 'moveOn';

/**
 * The one engine behind `failAfter`, `failAt`, `moveOnAfter`, `moveOnAt` and `retryBackoff`'s
 * deadline. `resolve(now)` turns the scheduler's time at subscription into the absolute deadline.
 * When the deadline comes before the source has finished, the source is unsubscribed and the
 * output errors with a `DeadlineError` labelled by `label` (`'fail'`) or completes (`'moveOn'`).
 * The rule is `armDeadline`'s: a deadline already past at subscription trips at once, before the
 * source starts.
 */
export function tripAt<T>(
  resolve: (now: number) => number,
  outcome: DeadlineOutcome,
  scheduler: SchedulerLike,
  label: DeadlineLabel,
): MonoTypeOperatorFunction<T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      // The absolute deadline, in the scheduler's milliseconds, fixed at subscription.
      const deadline = resolve(scheduler.now());
      // The source emits straight into the subscriber: its teardown joins the subscriber's, so
      // erroring or completing the subscriber at the deadline unsubscribes the source too, and a
      // synchronous source stops as soon as the subscriber closes.
      armDeadline(
        subscriber,
        scheduler,
        deadline,
        () => (outcome === 'fail' ? subscriber.error(deadlineError(deadline, label)) : subscriber.complete()),
        () => source.subscribe(subscriber),
      );
    });
}

/**
 * A relative deadline from `failAfter`/`moveOnAfter` (`operator` names it in messages): a
 * duration in ms, or `null`/`undefined` for none.
 */
export function relativeDeadline<T>(
  operator: string,
  ms: number | null | undefined,
  outcome: DeadlineOutcome,
  scheduler: SchedulerLike,
): MonoTypeOperatorFunction<T> {
  validateScheduler('scheduler', scheduler);
  if (ms === null || ms === undefined) return identity;
  const duration = validateNonNegative('ms', ms);
  return tripAt((now) => now + duration, outcome, scheduler, { origin: `${operator}(${duration})`, within: duration });
}

const DAY = 86_400_000;
/** The largest time a `Date` can hold. */
const MAX_DATE = 8.64e15;

/**
 * An absolute deadline from `failAt`/`moveOnAt` (`operator` names it in messages): a `Date` or a
 * time in ms, or `null`/`undefined` for none.
 */
export function absoluteDeadline<T>(
  operator: string,
  date: Date | number | null | undefined,
  outcome: DeadlineOutcome,
  scheduler: SchedulerLike,
): MonoTypeOperatorFunction<T> {
  validateScheduler('scheduler', scheduler);
  if (date === null || date === undefined) return identity;
  const at = toTime('date', date);
  // A number on a wall clock (`asyncScheduler` outside TestScheduler.run) is an epoch time: shown
  // as a date, like a Date. On a virtual clock it stays a number of ms.
  const onWallClock = Math.abs(scheduler.now() - Date.now()) < DAY && Math.abs(at) <= MAX_DATE;
  const by = date instanceof Date || onWallClock ? new Date(at) : at;
  return tripAt(() => at, outcome, scheduler, { origin: `${operator}(${by instanceof Date ? by.toISOString() : at})`, by });
}

/**
 * A `deadline` option as a function of the time at subscription, validated now: a number is that
 * many ms after subscription, a `Date` (or its time) is absolute. Shared by `retryBackoff` and
 * scopes; callers decide what an absent deadline means.
 */
export function deadlineResolver(name: string, deadline: number | Date): (now: number) => number {
  if (typeof deadline === 'number') {
    const ms = validateNonNegative(name, deadline);
    return (now) => now + ms;
  }
  const at = toTime(name, deadline);
  return () => at;
}

/**
 * A `Date` or a number of ms (both on the scheduler's clock: epoch ms for `asyncScheduler`,
 * frames for `TestScheduler`) as a finite number; anything else is a `RangeError`/`TypeError`
 * naming the option.
 */
function toTime(name: string, date: unknown): number {
  const time = date instanceof Date ? date.getTime() : date;
  if (typeof time !== 'number') {
    throw new TypeError(`Expected \`${name}\` to be a Date or a number of milliseconds, got ${describe(date)}`);
  }
  if (!Number.isFinite(time)) {
    const shown = date instanceof Date ? '`Invalid Date` (Date)' : describe(date);
    throw new RangeError(`Expected \`${name}\` to be a valid Date or a finite number of milliseconds, got ${shown}`);
  }
  return time;
}

