import { Observable, type MonoTypeOperatorFunction } from 'rxjs';
import { describe } from '../internal/validate.js';
import { CapacityLimiter, readCapacityRequest, subscribeWithCapacity, type CapacityRequestOptions } from './capacityLimiter.js';

/**
 * Runs each subscription to the source under a token of `limiter`: it waits its turn (FIFO, or by `priority`),
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
 * With `priority`, a request goes ahead of every waiter of a lower priority (FIFO within a
 * priority); with `timeout`, a request still waiting after that many ms leaves the queue and
 * errors with a `DeadlineError` ("withCapacity: no token within 500 ms"), its source never
 * subscribed. The time comes from the limiter's `scheduler`.
 *
 * ```text
 * limiter = new CapacityLimiter(1); a holds the token until 4; b, c, d ask at 0
 * b (priority 0):             --------^-!
 * c (priority 5):             ----^-!
 * d (priority 5, timeout 3):  ---#          (DeadlineError at 3: still waiting)
 * ```
 *
 * @param limiter The shared {@link CapacityLimiter}.
 * @param options `priority` (a finite number, default 0) and `timeout` (ms, a finite number ≥ 0;
 *   default: no limit), per subscription.
 * @throws TypeError when `limiter` is not a {@link CapacityLimiter} instance (a look-alike object
 *   with an `acquire` method is refused too) or an option is unknown; RangeError for a bad
 *   `priority` or `timeout` (at creation).
 *
 * @example
 * ```ts
 * const db = new CapacityLimiter(5);
 * const rows$ = ids$.pipe(mergeMap((id) => query(id).pipe(withCapacity(db))));
 * const login$ = query(loginSql).pipe(withCapacity(db, { priority: 10, timeout: 2000 }));
 * ```
 */
export function withCapacity<T>(limiter: CapacityLimiter, options?: CapacityRequestOptions): MonoTypeOperatorFunction<T> {
  if (!(limiter instanceof CapacityLimiter)) {
    throw new TypeError(`Expected \`limiter\` to be a CapacityLimiter, got ${describe(limiter)}`);
  }
  const request = readCapacityRequest(options);
  return (source) => new Observable<T>((subscriber) => subscribeWithCapacity(limiter, source, subscriber, request, 'withCapacity'));
}
