import { asyncScheduler, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';
import { relativeDeadline } from './deadline.js';

/**
 * Completes silently if the source has not completed `ms` milliseconds after subscription, and
 * unsubscribes the source at that moment.
 *
 * The RxJS spelling of Python's `move_on_after(seconds)`: keep what arrived in time and carry
 * on. Like `takeUntil(timer(ms))`, but validated at creation, with `null` meaning no deadline
 * (the source is returned untouched). A deadline already past at subscription (`moveOnAfter(0)`)
 * completes at once, inside `subscribe`, before the source is subscribed.
 *
 * ```text
 * source:           --a---b---c---
 * moveOnAfter(7):   --a---b|
 * source subs:      ^------!
 * ```
 *
 * @param ms The time budget in ms, a finite number ≥ 0, or `null` for none.
 * @param scheduler The clock (default `asyncScheduler`).
 * @throws RangeError when `ms` is not a finite number ≥ 0; TypeError when `scheduler` is not a
 *   scheduler (both at creation).
 *
 * @example
 * ```ts
 * // Show whatever search results arrive within 300 ms, then stop listening.
 * search$.pipe(moveOnAfter(300), toArray()).subscribe(render);
 * ```
 */
export function moveOnAfter<T>(ms: number | null | undefined, scheduler: SchedulerLike = asyncScheduler): MonoTypeOperatorFunction<T> {
  return relativeDeadline<T>('moveOnAfter', ms, 'moveOn', scheduler);
}
