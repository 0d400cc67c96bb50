import { Observable, type MonoTypeOperatorFunction } from 'rxjs';
import { describe } from '../internal/validate.js';
import { readRateRequest, subscribeWithRate, RateLimiter, type RateRequestOptions } from './rateLimiter.js';

/**
 * Subscribes to the source only once `limiter` grants `cost` (default 1): each subscription waits
 * its turn (FIFO, or by `priority`) for the sliding window to allow it, then subscribes straight away.
 *
 * The operator form of {@link RateLimiter}: every stream piped through the same limiter shares
 * its `limit` per `interval`. A subscriber that unsubscribes while waiting leaves the queue at
 * once (the source is never subscribed). Values, errors and completion pass through untouched;
 * the grant is not given back when the source ends (a rate limits starts, not running work).
 * A request shed by `maxWaiting` errors with a `RateLimitExceededError`.
 *
 * Together with {@link withCapacity}, the operator written **last** in the pipe waits first. Put
 * `withRate` first, `withCapacity` last: `source.pipe(withRate(rate), withCapacity(cap))` takes a
 * token, then waits for the grant, and subscribes at the grant, so both limits hold on the
 * moments the source really starts. The other order spends the grant first and may then wait
 * for a token: the starts drift after their grants and can bunch above the rate.
 *
 * ```text
 * limiter = new RateLimiter({ limit: 2, interval: 4 }); each of a..e is cold('x|').pipe(withRate(limiter))
 * subscribed:  (abcde)
 * a, b subs:   ^!            (granted at 0)
 * c, d subs:   ----^!        (at 4: a and b left the window)
 * e subs:      --------^!    (at 8)
 * ```
 *
 * With `priority`, a subscription goes ahead of every waiter of a lower priority (FIFO within a
 * priority); with `timeout`, one still waiting after that many ms leaves the queue and errors with
 * a `DeadlineError` ("withRate: no grant within 500 ms"), its source never subscribed.
 *
 * @param limiter The shared {@link RateLimiter}.
 * @param options `cost`: the weight of each subscription (an integer from 1 to `limit`; default 1);
 *   `priority` (a finite number, default 0); `timeout` (ms in the queue, a finite number ≥ 0).
 * @throws TypeError when `limiter` is not a RateLimiter or an option is unknown; RangeError when
 *   `cost` is not an integer from 1 to `limit` (at creation; a subscription made after `limit`
 *   shrank below `cost` errors with it), or for a bad `priority` or `timeout`.
 *
 * @example
 * ```ts
 * const api = new RateLimiter({ limit: 100, interval: 60_000 }); // 100 calls per minute
 * const users$ = ids$.pipe(mergeMap((id) => ajax.getJSON(`/users/${id}`).pipe(withRate(api))));
 * const report$ = ajax.getJSON('/report').pipe(withRate(api, { cost: 10 }));
 * ```
 */
export function withRate<T>(limiter: RateLimiter, options?: RateRequestOptions): MonoTypeOperatorFunction<T> {
  if (!(limiter instanceof RateLimiter)) {
    throw new TypeError(`Expected \`limiter\` to be a RateLimiter, got ${describe(limiter)}`);
  }
  const request = readRateRequest(limiter, options);
  return (source) => new Observable<T>((subscriber) => subscribeWithRate(limiter, request, 'withRate', source, subscriber));
}
