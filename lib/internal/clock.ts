import type { SchedulerLike, Subscription } from 'rxjs';
import { DeadlineError } from '../errors.js';

/**
 * The one deadline clock. `failAfter`/`failAt`/`moveOnAfter`/`moveOnAt`, scope deadlines,
 * `bus.request`'s timeout and `retryBackoff`'s deadline all arm their deadline here, under one rule:
 *
 * - **A deadline at or before the moment of subscription has already passed: it trips at once,
 *   synchronously inside `subscribe`, before any of the guarded work starts** (as anyio's and
 *   asyncio's `fail_after(0)` do). `start` is not called.
 * - A later deadline is a timer on `scheduler`, armed right after the work's synchronous start
 *   (work that finished synchronously arms none). When the work and the deadline are due at the
 *   same moment, whichever was scheduled first runs first (RxJS's own order).
 *
 * `trip` ends the guarded work (errors with {@link DeadlineError}, or completes); `start` starts
 * it. Everything is added to `subscriber`, so unsubscribing disarms the timer.
 */
export function armDeadline(
  subscriber: Subscription,
  scheduler: SchedulerLike,
  at: number,
  trip: () => void,
  start: () => void,
): void {
  const now = scheduler.now();
  if (at <= now) {
    trip();
    return;
  }
  start();
  if (!subscriber.closed && at !== Infinity) subscriber.add(scheduler.schedule(trip, at - scheduler.now()));
}

/**
 * What a deadline guards and how much time it allowed, for {@link DeadlineError}'s message:
 * `failAfter(200): not finished within 200 ms`, `failAt(2026-12-02T10:00:00.000Z): not finished by
 * 2026-12-02T10:00:00.000Z`. Never a raw scheduler timestamp on its own.
 */
export interface DeadlineLabel {
  /** Where the deadline came from: `failAfter(200)`, `scope "import"`, `bus.request(Pong)`. */
  readonly origin: string;
  /** The budget in ms after subscription (a relative deadline)… */
  readonly within?: number;
  /** …or the absolute time it was given as (a `Date`, or ms on the scheduler's clock). */
  readonly by?: Date | number;
  /** What did not happen in time (default `not finished`). */
  readonly what?: string;
}

/** The message for a deadline that tripped. */
function deadlineMessage(label: DeadlineLabel): string {
  const { origin, within, by, what = 'not finished' } = label;
  const allowed =
    within !== undefined ? `within ${within} ms` : by instanceof Date ? `by ${by.toISOString()}` : by !== undefined ? `by time ${by} ms (scheduler clock)` : '';
  return `${origin}: ${what} ${allowed}`.trimEnd();
}

/** A {@link DeadlineError} for a deadline at `at` (scheduler ms), with its labelled message. */
export function deadlineError(at: number, label: DeadlineLabel): DeadlineError {
  return new DeadlineError(at, deadlineMessage(label), label.origin);
}
