import { Observable, type MonoTypeOperatorFunction } from 'rxjs';
import { describe } from '../internal/validate.js';
import type { CapacityLimiter } from './capacityLimiter.js';

/**
 * Runs each subscription to the source under a token of `limiter`: it waits its turn (FIFO),
 * subscribes to the source once it has a token, and gives the token back when the source
 * completes, errors or is unsubscribed.
 *
 * Python's `async with limiter:` as an operator. A subscriber that unsubscribes while it still
 * waits leaves the queue at once and never gets a token (the source is never subscribed). Every
 * stream piped through the same limiter shares its `total` tokens. Errors and values pass through
 * untouched; a token is freed after the downstream has seen the completion or error.
 *
 * ```text
 * limiter = new CapacityLimiter(1)
 * a$ = cold('--a|').pipe(withCapacity(limiter))
 * b$ = cold('--b|').pipe(withCapacity(limiter))
 * merge(a$, b$):  --a--b|
 * a subs:         ^--!
 * b subs:         ---^--!
 * ```
 *
 * @param limiter The shared {@link CapacityLimiter}.
 * @throws TypeError when `limiter` is not a CapacityLimiter (at creation).
 *
 * @example
 * ```ts
 * const db = new CapacityLimiter(5);
 * const rows$ = ids$.pipe(mergeMap((id) => query(id).pipe(withCapacity(db))));
 * ```
 */
export function withCapacity<T>(limiter: CapacityLimiter): MonoTypeOperatorFunction<T> {
  if (limiter === null || typeof limiter !== 'object' || typeof (limiter as { acquire?: unknown }).acquire !== 'function') {
    throw new TypeError(`Expected \`limiter\` to be a CapacityLimiter, got ${describe(limiter)}`);
  }
  return (source) =>
    new Observable<T>((subscriber) => {
      // Our request: a place in the queue, then the token. When it is granted the source emits
      // straight into the subscriber, so the source's teardown joins the subscriber's and a
      // synchronous source stops as soon as the subscriber closes. The token is freed by a
      // finalizer added after the source's, so the source is gone before a waiter gets it.
      const lease = limiter.acquire((granted) => {
        source.subscribe(subscriber);
        subscriber.add(() => granted.release());
      });
      // Unsubscribed before its turn: leave the queue (a held token is the finalizer's job).
      return () => {
        if (lease.state === 'waiting') lease.release();
      };
    });
}
