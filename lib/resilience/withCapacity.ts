import { Observable, type MonoTypeOperatorFunction } from 'rxjs';
import { describe } from '../internal/validate.js';
import { CapacityLimiter, subscribeWithCapacity } from './capacityLimiter.js';

/**
 * Runs each subscription to the source under a token of `limiter`: it waits its turn (FIFO),
 * subscribes to the source once it has a token, and gives the token back when the source
 * completes, errors or is unsubscribed.
 *
 * Python's `async with limiter:` as an operator. A subscriber that unsubscribes while it still
 * waits leaves the queue at once and never gets a token (the source is never subscribed). Every
 * stream piped through the same limiter shares its `total` tokens. Errors and values pass through
 * untouched; a token is freed after the downstream has seen the completion or error. A request
 * shed by `maxWaiting` errors with a `CapacityExceededError`; with a shared store, a store that
 * cannot answer errors the waiter with a `StoreUnavailableError`, and a lost lease unsubscribes
 * the source and errors with a `LeaseLostError`.
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
 * @throws TypeError when `limiter` is not a {@link CapacityLimiter} instance (at creation; a look-alike
 *   object with an `acquire` method is refused too).
 *
 * @example
 * ```ts
 * const db = new CapacityLimiter(5);
 * const rows$ = ids$.pipe(mergeMap((id) => query(id).pipe(withCapacity(db))));
 * ```
 */
export function withCapacity<T>(limiter: CapacityLimiter): MonoTypeOperatorFunction<T> {
  if (!(limiter instanceof CapacityLimiter)) {
    throw new TypeError(`Expected \`limiter\` to be a CapacityLimiter, got ${describe(limiter)}`);
  }
  return (source) => new Observable<T>((subscriber) => subscribeWithCapacity(limiter, source, subscriber));
}
