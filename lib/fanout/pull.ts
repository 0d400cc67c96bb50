import type { Observable } from 'rxjs';
import { pullObservable, validatePullable, type Pullable } from '../internal/feed.js';

/**
 * Wraps an `Iterable` or `AsyncIterable` (or a function returning one, called afresh for each
 * subscription) as an Observable that bounded operators read lazily.
 *
 * <span class="informal">`from(iterable)`, except that `boundedMap` and the other bounded
 * primitives take the next item only when a slot is free.</span>
 *
 * Subscribed on its own, it emits every item and completes, like `from`. Directly under
 * `boundedMap` (as `pull(gen).pipe(boundedMap(f, 8))`, with no operator in between) the pool
 * pulls item k + limit only once one of the first items has finished, so a 2,000,000-item
 * generator runs in flat memory where `from(gen).pipe(mergeMap(f, 8))` reads all of it at
 * subscribe. Closing early (unsubscribe, error) calls the iterator's `return()`, so a
 * generator's `finally` blocks run.
 *
 * An iterator can be read once: pass a function (`pull(() => readRows())`) when the Observable
 * may be subscribed more than once (retries, `repeat`).
 *
 * ```text
 * pull([a, b, c]):  (abc|)
 * ```
 *
 * @example
 * ```ts
 * import { boundedMap, pull } from 'rxjs-concurrency';
 *
 * function* ids() { for (let id = 0; id < 2_000_000; id++) yield id; }
 * pull(ids).pipe(boundedMap((id) => lookUp(id), 8)).subscribe(store);
 * ```
 *
 * @throws {TypeError} `source` is neither an (async) iterable nor a function.
 */
export function pull<T>(source: Pullable<T>): Observable<T> {
  validatePullable('source', source);
  return pullObservable(source);
}

export type { Pullable };
