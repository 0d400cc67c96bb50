import { Observable, Scheduler, asyncScheduler, identity, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';
import { armDeadline, deadlineError, type DeadlineLabel } from '../internal/clock.js';
import { EndFirstSubscriber } from '../internal/lifecycle.js';
import { readOptions } from '../internal/options.js';
import * as opt from '../internal/options.js';
import { describe, expected, validateNonNegative, validateScheduler } from '../internal/validate.js';

/** What happens when a deadline trips: error with a `DeadlineError`, or complete silently. */
type DeadlineOutcome = 'fail' | 'moveOn';

/**
 * The one engine behind `failAfter`, `failAt`, `moveOnAfter`, `moveOnAt` and `retryBackoff`'s
 * deadline. `resolve(now)` turns the scheduler's time at subscription into the absolute deadline.
 * When the deadline comes before the source has finished, the source is unsubscribed (its
 * finalizers run), then `onTimeout` is called (`'moveOn'` only), then the output errors with a
 * `DeadlineError` labelled by `label` (`'fail'`) or completes (`'moveOn'`). The rule is
 * `armDeadline`'s: a deadline already past at subscription trips at once, before the source starts.
 * An error thrown by `onTimeout` errors the output with it.
 */
export function tripAt<T>(
  resolve: (now: number) => number,
  outcome: DeadlineOutcome,
  scheduler: SchedulerLike,
  label: DeadlineLabel,
  onTimeout?: () => void,
): MonoTypeOperatorFunction<T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      // The absolute deadline, in the scheduler's milliseconds, fixed at subscription.
      const deadline = resolve(scheduler.now());
      // The source's subscriber, once started: made and added to the output's subscriber before
      // `subscribe`, so a synchronous source stops as soon as the output closes; it unsubscribes
      // itself before the output hears the source's end (the lifecycle's rule), and the deadline
      // unsubscribes it before the output hears of the deadline.
      let inner: EndFirstSubscriber<T> | undefined;
      armDeadline(
        subscriber,
        scheduler,
        deadline,
        () => {
          inner?.unsubscribe();
          if (outcome === 'fail') return subscriber.error(deadlineError(deadline, label));
          if (onTimeout !== undefined) {
            try {
              onTimeout();
            } catch (error) {
              return subscriber.error(error);
            }
          }
          subscriber.complete();
        },
        () => {
          inner = new EndFirstSubscriber<T>({
            value: (value) => subscriber.next(value),
            error: (error) => subscriber.error(error),
            complete: () => subscriber.complete(),
          });
          subscriber.add(inner);
          source.subscribe(inner);
        },
      );
    });
}

/** The options of `moveOnAfter`/`moveOnAt` (their second argument may be a scheduler instead). */
export interface MoveOnOptions {
  /** The clock (default `asyncScheduler`; a `TestScheduler` to test in virtual time). */
  readonly scheduler?: SchedulerLike;
  /**
   * Called once when the deadline cut the work: the source had not finished by the deadline (or
   * the deadline had already passed at subscription) and was unsubscribed. Never called when the
   * source completes or errors first, or when the output is unsubscribed first. It runs after the
   * source's teardown and before the output completes, so a `complete` handler can read what it
   * set. anyio's `cancel_scope.cancelled_caught`. An error it throws errors the output with it.
   */
  readonly onTimeout?: () => void;
}

/** What the second argument of `moveOnAfter`/`moveOnAt` gave. */
interface MoveOnRead {
  readonly scheduler: SchedulerLike;
  readonly onTimeout: (() => void) | undefined;
}

const MOVE_ON_OPTIONS = {
  scheduler: opt.scheduler<SchedulerLike>(asyncScheduler),
  onTimeout: opt.fn<(() => void) | undefined>(undefined),
};

/**
 * The second argument of `moveOnAfter`/`moveOnAt`, read at call time: a scheduler or an options
 * object. A `Scheduler`, or any object with both `now` and `schedule`, is meant as a scheduler and
 * goes through `validateScheduler` (a look-alike is refused as one); another plain object is
 * {@link MoveOnOptions}, read by `readOptions` (an unknown key is refused naming the known ones,
 * so `{ schedule: ts }`, a misspelt `scheduler`, is refused as that);
 * anything else is a TypeError naming both forms.
 */
export function readMoveOn(value: unknown): MoveOnRead {
  if (value === undefined) return { scheduler: asyncScheduler, onTimeout: undefined };
  if (value instanceof Scheduler) return { scheduler: value, onTimeout: undefined };
  const isObject = value !== null && (typeof value === 'object' || typeof value === 'function');
  if (isObject && 'now' in value && 'schedule' in value) return { scheduler: validateScheduler('scheduler', value), onTimeout: undefined };
  if (!isObject || typeof value === 'function' || Array.isArray(value)) {
    throw new TypeError(
      `Expected \`scheduler\` to be a scheduler (such as \`asyncScheduler\`, or an object whose \`now()\` returns a finite number and whose \`schedule()\` returns a Subscription), or \`options\` to be an object \`{ scheduler?, onTimeout? }\`, got ${describe(value)}`,
    );
  }
  return readOptions('options', value, MOVE_ON_OPTIONS);
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
  onTimeout?: () => void,
): MonoTypeOperatorFunction<T> {
  validateScheduler('scheduler', scheduler);
  if (ms === null || ms === undefined) return identity;
  const duration = validateNonNegative('ms', ms);
  return tripAt((now) => now + duration, outcome, scheduler, { origin: `${operator}(${duration})`, within: duration }, onTimeout);
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
  onTimeout?: () => void,
): MonoTypeOperatorFunction<T> {
  validateScheduler('scheduler', scheduler);
  if (date === null || date === undefined) return identity;
  const at = toTime('date', date);
  // A number on a wall clock (`asyncScheduler` outside TestScheduler.run) is an epoch time: shown
  // as a date, like a Date. On a virtual clock it stays a number of ms.
  const onWallClock = Math.abs(scheduler.now() - Date.now()) < DAY && Math.abs(at) <= MAX_DATE;
  const by = date instanceof Date || onWallClock ? new Date(at) : at;
  return tripAt(() => at, outcome, scheduler, { origin: `${operator}(${by instanceof Date ? by.toISOString() : at})`, by }, onTimeout);
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
    throw new TypeError(expected(name, 'be a Date or a number of milliseconds', date));
  }
  if (!Number.isFinite(time)) {
    const shown = date instanceof Date ? '`Invalid Date` (Date)' : describe(date);
    throw new RangeError(`Expected \`${name}\` to be a valid Date or a finite number of milliseconds, got ${shown}`);
  }
  return time;
}

