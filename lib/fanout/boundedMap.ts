import { Observable, type ObservableInput, type ObservedValueOf, type OperatorFunction } from 'rxjs';
import { observableFeed } from '../internal/feed.js';
import { orderedWindow, runPool, validateFanoutLimit, type FanoutLimit } from '../internal/pool.js';
import { readOptions } from '../internal/options.js';
import * as opt from '../internal/options.js';
import { validateFunction, validateLimit } from '../internal/validate.js';
import type { Settled, TaskContext } from '../types.js';

/** Options of {@link boundedMap}. */
export interface BoundedMapOptions {
  /**
   * `true` (default): results leave in input order, each as soon as it and everything before it
   * is out (concatMapEager). `false`: in completion order (mergeMap).
   */
  readonly ordered?: boolean;
  /**
   * `true`: each inner's outcome becomes one `Settled` (its last value, or its error) and an
   * inner's failure never errors the output. An inner that completes with no value settles as
   * rejected with an `EmptyTaskError`.
   */
  readonly settle?: boolean;
  /**
   * Ordered mode: how many items may be started and not yet emitted (default `2 × limit`, at
   * least `limit`, or `Infinity`). A slow item at the head holds back everything after it; once
   * `window` items wait behind it no new inner starts. A wider window keeps the other slots busy
   * behind a slow head, at the cost of buffering up to `window` results. Ignored when unordered.
   */
  readonly window?: number;
}

/**
 * Projects each source value to an inner Observable, Promise or iterable, running at most
 * `limit` of them at once, and emits their values in input order (or completion order).
 *
 * <span class="informal">`mergeMap` with a limit and, by default, the order of `concatMap`:
 * like asyncio's `bounded_map`, or p-map as an operator.</span>
 *
 * Each call of `project(value, index, ctx)` gets a {@link TaskContext}; its `signal` aborts when
 * that inner is cancelled (the output is unsubscribed or errors), so promise work such as
 * `fetch(url, { signal })` really stops. The signal is created only if `project` reads it.
 *
 * **Ordered mode** (default) emits every value of the inner at the head of the input order as
 * it arrives; the values of inners further ahead wait in a buffer until everything before them
 * is out. So that this buffer cannot grow without bound behind one slow item, at most
 * `window` items (default `2 × limit`) are started and not yet emitted: past that no new inner
 * starts until the head finishes (memory O(window) in items; multi-value inners buffer their
 * values). A slow head therefore stalls the output *and* the other slots; widen `window` to keep
 * them busy (`{ window: 64 }`, or `Infinity` for concatMapEager's unbounded buffer).
 *
 * **Lazy sources**: when the source is `pull(iterable)` (directly, with no operator in between),
 * the next item is read only when a slot is free, so a huge or infinite generator runs in
 * O(limit) memory. Other sources push, and items that arrive while all slots are busy are queued.
 *
 * **Errors**: without `settle`, the first error from an inner, from `project` (also when it
 * throws synchronously) or from the source errors the output, unwrapped, and unsubscribes every
 * running inner and the source (an iterator's `return()` is called).
 *
 * ```text
 * source:    -a-b-c-|
 * project:   a → ------A|   b → -B|   c → ----C|      (limit 2)
 * ordered:   -------ABC|      B waits for A; c starts when b frees a slot
 * unordered: ----B--A-C|
 * ```
 *
 * @example
 * ```ts
 * import { boundedMap, pull } from 'rxjs-concurrency';
 *
 * // Fetch 10,000 users, 8 at a time, in input order; unsubscribing aborts the fetches in flight.
 * pull(userIds).pipe(
 *   boundedMap((id, _i, { signal }) => fetch(`/api/users/${id}`, { signal }).then((r) => r.json()), 8),
 * ).subscribe(render);
 * ```
 *
 * @param project Maps a value, its index and a {@link TaskContext} to an `ObservableInput`.
 * @param limit The most inners running at once: an integer ≥ 1 or `Infinity`; or an
 * `Observable<number>` whose latest value is the limit (nothing starts before its first value;
 * lowering it lets running inners finish; a bad value, or its error, errors the output; its
 * completion keeps the last value); or a `CapacityLimiter`, whose tokens each inner holds while it runs.
 * @param options See {@link BoundedMapOptions}.
 * @throws {TypeError} `project` is not a function, or an option has the wrong type.
 * @throws {RangeError} `limit` is not an integer ≥ 1, `Infinity`, an Observable or a `CapacityLimiter`.
 */
export function boundedMap<T, O extends ObservableInput<unknown>>(
  project: (value: T, index: number, ctx: TaskContext) => O,
  limit: FanoutLimit,
  options?: BoundedMapOptions & { readonly settle?: false },
): OperatorFunction<T, ObservedValueOf<O>>;
export function boundedMap<T, O extends ObservableInput<unknown>>(
  project: (value: T, index: number, ctx: TaskContext) => O,
  limit: FanoutLimit,
  options: BoundedMapOptions & { readonly settle: true },
): OperatorFunction<T, Settled<ObservedValueOf<O>>>;
export function boundedMap<T, O extends ObservableInput<unknown>>(
  project: (value: T, index: number, ctx: TaskContext) => O,
  limit: FanoutLimit,
  options?: BoundedMapOptions,
): OperatorFunction<T, ObservedValueOf<O> | Settled<ObservedValueOf<O>>>;
export function boundedMap<T, R>(
  project: (value: T, index: number, ctx: TaskContext) => ObservableInput<R>,
  limit: FanoutLimit,
  options: BoundedMapOptions = {},
): OperatorFunction<T, unknown> {
  validateFunction('project', project);
  validateFanoutLimit('limit', limit);
  // A live limit's default window follows the limit (the pool recomputes it); a fixed one is checked against a number limit.
  const fixed = typeof limit === 'number';
  const { ordered, settle, window } = readOptions('options', options, {
    ordered: opt.boolean(true),
    settle: opt.boolean(false),
    // At least `limit` (a smaller window would leave slots idle); default `orderedWindow(limit)`.
    window: (path, value) =>
      value === undefined ? (fixed ? orderedWindow(limit) : undefined) : validateLimit(path, value, true, fixed ? limit : 1),
  });
  const config = {
    project,
    limit,
    ordered,
    values: settle ? ('last' as const) : ('each' as const),
    settle,
    window,
  };
  // The subscriber is the sink: the pool's reports go straight to it (no forwarding call per value).
  return (source) => new Observable<unknown>((subscriber) => runPool(subscriber, observableFeed(source), config, subscriber));
}
