import type { Observable, ObservableInput } from 'rxjs';
import { opt, readOptions } from '../internal/options.js';
import { isObservableInput, startTask, validateTask } from '../internal/task.js';
import { describe } from '../internal/validate.js';
import type { Settled, Task, TaskContext } from '../types.js';
import { collectInOrder } from './collect.js';

/** Options of {@link concurrently}. */
export interface ConcurrentlyOptions {
  /** The most tasks running at once: an integer ≥ 1 or `Infinity`. Default 2. */
  readonly concurrentTasks?: number;
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
 * first failure errors the output and cancels the running tasks. The iterable of tasks is read
 * lazily, one task per free slot.
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
export function concurrently<R>(
  tasks: Iterable<Task<R>>,
  options?: ConcurrentlyOptions & { readonly settle?: false },
): Observable<R[]>;
export function concurrently<R>(tasks: Iterable<Task<R>>, options: ConcurrentlyOptions & { readonly settle: true }): Observable<Settled<R>[]>;
export function concurrently<R>(tasks: Iterable<Task<R>>, options: ConcurrentlyOptions = {}): Observable<unknown[]> {
  if (tasks == null || typeof (tasks as Iterable<Task<R>>)[Symbol.iterator] !== 'function') {
    throw new TypeError(`Expected \`tasks\` to be an Iterable of tasks, got ${describe(tasks)}`);
  }
  validateTaskArray(tasks);
  const { concurrentTasks, settle } = readOptions('options', options, { concurrentTasks: opt.limit(2), settle: opt.boolean(false) });
  return collectInOrder(tasks, runTask, concurrentTasks, settle);
}

/** Checks each task of an array at call time (a lazy iterable's tasks are checked by {@link runTask} as they are read). */
export function validateTaskArray(tasks: unknown): void {
  if (Array.isArray(tasks)) tasks.forEach((task, i) => validateTask(`tasks[${i}]`, task));
}

/**
 * The handler that runs a task: calls its factory with the item's context. A task that is not
 * one, or a factory that returns something RxJS cannot subscribe to, errors naming `tasks[i]`
 * (instead of RxJS's "You provided … where a stream was expected").
 */
export function runTask<R>(task: Task<R>, index: number, ctx: TaskContext): ObservableInput<R> {
  validateTask(`tasks[${index}]`, task);
  const input = startTask(task, ctx);
  if (typeof task === 'function' && !isObservableInput(input)) {
    throw new TypeError(`Expected \`tasks[${index}]\` to return an Observable, Promise, array, iterable or async iterable, got ${describe(input)}`);
  }
  return input;
}
