import { liveLimitName, validateFanoutLimit, type FanoutLimit } from '../internal/pool.js';
import type { Observable } from 'rxjs';
import { isAsyncIterable, isIterable } from '../internal/feed.js';
import { readOptions } from '../internal/options.js';
import * as opt from '../internal/options.js';
import { runTask, validateTaskArray } from '../internal/task.js';
import type { GatherResults, GatherSettled } from '../combinators/gather.js';
import { describe } from '../internal/validate.js';
import type { Settled, Task } from '../types.js';
import { collectInOrder } from './collect.js';

/** Options of {@link concurrently}. */
export interface ConcurrentlyOptions {
  /** The most tasks running at once: an integer ≥ 1 or `Infinity`, an `Observable<number>` (its latest value) or a `CapacityLimiter` (a token per running one; see {@link FanoutLimit}). Default 2. */
  readonly concurrentTasks?: FanoutLimit;
  /** `true`: report each task's outcome as a `Settled` and never error on a task's failure. */
  readonly settle?: boolean;
}

/**
 * Runs tasks, at most `concurrentTasks` at once, and emits one array of their results in input
 * order, then completes.
 *
 * <span class="informal">haiway's `concurrently`: a list of coroutines with a limit.</span>
 *
 * A task is an `ObservableInput` or a factory `(ctx) => ObservableInput`. Factories are called
 * only when a slot is free, with a {@link TaskContext} whose signal aborts if the task is
 * cancelled. A bare Promise is already running when you pass it: wrap it in a factory
 * (`() => fetch(url)`) to defer it and to honour the limit. Each task's last value is its
 * result; a task with no value is an `EmptyTaskError` naming its index. Without `settle`, the
 * first failure errors the output and cancels the running tasks. The tasks may be an array (the
 * results are then typed per position, like `gather`'s), any iterable or an async iterable (a
 * generator of tasks, say); it is read lazily, one task per free slot.
 *
 * ```text
 * tasks:   [--A|, ----B|, -C|]      (concurrentTasks 2)
 * output:  -----([A, B, C]|)
 * ```
 *
 * @example
 * ```ts
 * import { concurrently } from 'rxjs-concurrency';
 *
 * concurrently([() => loadUser(id), () => loadOrders(id), () => loadPrefs(id)], { concurrentTasks: 2 })
 *   .subscribe(([user, orders, prefs]) => render(user, orders, prefs));
 * ```
 *
 * @throws {TypeError} `tasks` is not iterable, an element of an array of tasks is not a task, or an
 *   option is unknown or has the wrong type. (The tasks of a lazy iterable are checked as they are
 *   read: a bad one errors the output, naming `tasks[i]`.)
 * @throws {RangeError} `concurrentTasks` is not an integer ≥ 1 or `Infinity`.
 */
export function concurrently<A extends readonly Task<unknown>[]>(
  tasks: readonly [...A],
  options?: ConcurrentlyOptions & { readonly settle?: false },
): Observable<GatherResults<A>>;
/** A list of tasks with `{ settle: true }`: one {@link Settled} per position. See the first overload. */
export function concurrently<A extends readonly Task<unknown>[]>(
  tasks: readonly [...A],
  options: ConcurrentlyOptions & { readonly settle: true },
): Observable<GatherSettled<A>>;
/** Any iterable or async iterable of tasks (read lazily): an array of results. See the first overload. */
export function concurrently<R>(
  tasks: Iterable<Task<R>> | AsyncIterable<Task<R>>,
  options?: ConcurrentlyOptions & { readonly settle?: false },
): Observable<R[]>;
/** Any iterable or async iterable of tasks with `{ settle: true }`. See the first overload. */
export function concurrently<R>(
  tasks: Iterable<Task<R>> | AsyncIterable<Task<R>>,
  options: ConcurrentlyOptions & { readonly settle: true },
): Observable<Settled<R>[]>;
export function concurrently(tasks: Iterable<Task<unknown>> | AsyncIterable<Task<unknown>>, options: ConcurrentlyOptions = {}): Observable<unknown> {
  if (!isIterable(tasks) && !isAsyncIterable(tasks)) {
    throw new TypeError(`Expected \`tasks\` to be an Iterable or AsyncIterable of tasks, got ${describe(tasks)}`);
  }
  validateTaskArray(tasks);
  const { concurrentTasks, settle } = readOptions('options', options, { concurrentTasks: (path, value) => validateFanoutLimit(path, value === undefined ? 2 : value), settle: opt.boolean(false) });
  return collectInOrder(tasks as Iterable<Task<unknown>>, runTask, concurrentTasks, settle, undefined, liveLimitName('options.concurrentTasks'));
}
