import type { MonoTypeOperatorFunction, SchedulerLike } from 'rxjs';
import { readMoveOn, relativeDeadline, type MoveOnOptions } from './deadline.js';

/**
 * Completes silently if the source has not completed `ms` milliseconds after subscription, and
 * unsubscribes the source at that moment.
 *
 * The RxJS spelling of Python's `move_on_after(seconds)`: keep what arrived in time and carry
 * on. Like `takeUntil(timer(ms))`, but validated at creation, with `null` meaning no deadline
 * (the source is returned untouched). A deadline already past at subscription (`moveOnAfter(0)`)
 * completes at once, inside `subscribe`, before the source is subscribed. To tell whether the
 * deadline cut the work (anyio's `cancelled_caught`), pass `{ onTimeout }`: it is called once,
 * only then, after the source's teardown and before the output completes.
 *
 * ```text
 * source:           --a---b---c---
 * moveOnAfter(7):   --a---b|        onTimeout called at 7
 * source subs:      ^------!
 *
 * source:           --a|
 * moveOnAfter(7):   --a|            finished in time: onTimeout not called
 * source subs:      ^--!
 * ```
 *
 * @param ms The time budget in ms, a finite number ≥ 0, or `null` for none.
 * @param schedulerOrOptions The clock (default `asyncScheduler`), or {@link MoveOnOptions}
 *   `{ scheduler?, onTimeout? }`. An object with both `now` and `schedule` is taken as a scheduler.
 * @throws RangeError when `ms` is not a finite number ≥ 0; TypeError when the second argument is
 *   neither a scheduler nor an options object, or an option is wrong or unknown (all at creation).
 *
 * @example
 * ```ts
 * // Show whatever search results arrive within 300 ms, then stop listening, and say so.
 * let partial = false;
 * search$.pipe(moveOnAfter(300, { onTimeout: () => (partial = true) }), toArray())
 *   .subscribe((hits) => render(hits, { partial }));
 * ```
 */
export function moveOnAfter<T>(ms: number | null | undefined, schedulerOrOptions?: SchedulerLike | MoveOnOptions): MonoTypeOperatorFunction<T> {
  const { scheduler, onTimeout } = readMoveOn(schedulerOrOptions);
  return relativeDeadline<T>('moveOnAfter', ms, 'moveOn', scheduler, onTimeout);
}
