import { liveLimitName, validateFanoutLimit, type FanoutLimit } from '../internal/pool.js';
import type { Observable, ObservableInput } from 'rxjs';
import { readOptions } from '../internal/options.js';
import * as opt from '../internal/options.js';
import { validateObservableInput } from '../internal/task.js';
import { validateFunction } from '../internal/validate.js';
import type { Settled, TaskContext } from '../types.js';
import { collectInOrder } from './collect.js';

/** Options of {@link executeConcurrently}. */
export interface ExecuteConcurrentlyOptions {
  /** The most handlers running at once: an integer ≥ 1 or `Infinity`, an `Observable<number>` (its latest value) or a `CapacityLimiter` (a token per running one; see {@link FanoutLimit}). Default 2. */
  readonly concurrentTasks?: FanoutLimit;
  /** `true`: report each item's outcome as a `Settled` and never error on a handler's failure. */
  readonly settle?: boolean;
}

/**
 * Runs `handler` for every item of `source`, at most `concurrentTasks` at once, and emits one
 * array of the results in input order, then completes.
 *
 * <span class="informal">haiway's `execute_concurrently`, or p-map, as an Observable.</span>
 *
 * Each handler's last value is its result; a handler that completes without a value is an
 * `EmptyTaskError` naming its index. Without `settle`, the first failure (a handler erroring or
 * throwing, or the source erroring) errors the output and cancels every handler still running
 * (their `ctx.signal`s abort). Iterables and async iterables are read lazily, one item per free
 * slot. An empty source emits `[]`.
 *
 * ```text
 * source:  [a, b, c]            handler: a → --A|  b → ----B|  c → -C|   (concurrentTasks 2)
 * output:  -----([A, B, C]|)
 * ```
 *
 * @example
 * ```ts
 * import { executeConcurrently } from 'rxjs-concurrency';
 *
 * executeConcurrently((url, _i, { signal }) => fetch(url, { signal }).then((r) => r.status), urls, {
 *   concurrentTasks: 4,
 * }).subscribe((statuses) => console.log(statuses));
 * ```
 *
 * @throws {TypeError} `handler` is not a function, `source` is not an `ObservableInput`, or an
 *   option is unknown or has the wrong type.
 * @throws {RangeError} `concurrentTasks` is not an integer ≥ 1 or `Infinity`.
 */
export function executeConcurrently<T, R>(
  handler: (item: T, index: number, ctx: TaskContext) => ObservableInput<R>,
  source: ObservableInput<T>,
  options?: ExecuteConcurrentlyOptions & { readonly settle?: false },
): Observable<R[]>;
export function executeConcurrently<T, R>(
  handler: (item: T, index: number, ctx: TaskContext) => ObservableInput<R>,
  source: ObservableInput<T>,
  options: ExecuteConcurrentlyOptions & { readonly settle: true },
): Observable<Settled<R>[]>;
export function executeConcurrently<T, R>(
  handler: (item: T, index: number, ctx: TaskContext) => ObservableInput<R>,
  source: ObservableInput<T>,
  options: ExecuteConcurrentlyOptions = {},
): Observable<unknown[]> {
  validateFunction('handler', handler);
  validateObservableInput('source', source);
  const { concurrentTasks, settle } = readOptions('options', options, { concurrentTasks: (path, value) => validateFanoutLimit(path, value === undefined ? 2 : value), settle: opt.boolean(false) });
  return collectInOrder(source, handler, concurrentTasks, settle, undefined, liveLimitName('options.concurrentTasks'));
}
