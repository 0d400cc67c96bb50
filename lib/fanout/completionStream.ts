import { Observable, type ObservableInput } from 'rxjs';
import { openFeed } from '../internal/feed.js';
import { liveLimitName, runPool, validateFanoutLimit, type FanoutLimit } from '../internal/pool.js';
import { readOptions } from '../internal/options.js';
import * as opt from '../internal/options.js';
import type { Settled, Task } from '../types.js';
import { runTask, validateObservableInput, validateTaskArray } from '../internal/task.js';

/** Options of {@link completionStream}. */
export interface CompletionStreamOptions {
  /** The most tasks running at once: an integer ≥ 1 or `Infinity`, an `Observable<number>` (its latest value) or a `CapacityLimiter` (a token per running one; see {@link FanoutLimit}). Default: all at once. */
  readonly limit?: FanoutLimit;
  /** `true`: emit each task's outcome as a `Settled` and never error on a task's failure. */
  readonly settle?: boolean;
}

/** One finished task: its index among the tasks and its last value. */
export interface Completion<R> {
  readonly index: number;
  readonly value: R;
}

/** One finished task's outcome, with `settle: true`. */
export type SettledCompletion<R> = { readonly index: number } & Settled<R>;

/**
 * Runs tasks (at most `limit` at once) and emits each one's result as it finishes, with its
 * index, in completion order.
 *
 * <span class="informal">lionherd's `CompletionStream`, or asyncio's `as_completed`, that
 * cancels what is left when you stop listening.</span>
 *
 * Unsubscribing early (for example with `take(1)` to keep the fastest) cancels every pending
 * task and aborts their `ctx.signal`s. Without `settle`, the first failure errors the stream and
 * cancels the rest; with it, every task yields one `{ index, status, value | reason }`. Tasks
 * may be given as an array, an iterable or async iterable (read lazily, one per free slot) or
 * an Observable of tasks; factories are called only when a slot is free.
 *
 * ```text
 * tasks:   [----A|, -B|, --C|]
 * output:  --bc-(a|)        b = { index: 1, value: B }, c = { index: 2, value: C }, a = { index: 0, value: A }
 * ```
 *
 * @example
 * ```ts
 * import { take } from 'rxjs';
 * import { completionStream } from 'rxjs-concurrency';
 *
 * // The first mirror to answer wins; the others are cancelled.
 * completionStream(mirrors.map((url) => ({ signal }) => fetch(url, { signal })))
 *   .pipe(take(1))
 *   .subscribe(({ index, value }) => console.log(`mirror ${index} answered`, value.status));
 * ```
 *
 * @throws {TypeError} `tasks` is not an `ObservableInput`, an element of an array of tasks is not a
 *   task, or an option is unknown or has the wrong type. (Tasks read lazily are checked as they
 *   arrive: a bad one errors the output, naming `tasks[i]`.)
 * @throws {RangeError} `limit` is not an integer ≥ 1 or `Infinity`.
 */
export function completionStream<R>(
  tasks: ObservableInput<Task<R>>,
  options?: CompletionStreamOptions & { readonly settle?: false },
): Observable<Completion<R>>;
export function completionStream<R>(
  tasks: ObservableInput<Task<R>>,
  options: CompletionStreamOptions & { readonly settle: true },
): Observable<SettledCompletion<R>>;
export function completionStream<R>(
  tasks: ObservableInput<Task<R>>,
  options: CompletionStreamOptions = {},
): Observable<Completion<R> | SettledCompletion<R>> {
  validateObservableInput('tasks', tasks);
  validateTaskArray(tasks);
  const { limit, settle } = readOptions('options', options, { limit: (path, value) => validateFanoutLimit(path, value === undefined ? Infinity : value), settle: opt.boolean(false) });
  const config = { project: runTask, limit, ordered: false, values: 'last', settle, limitName: liveLimitName('options.limit') } as const;
  return new Observable((subscriber) =>
    runPool(subscriber, openFeed(tasks), config, {
      next: (value, index) =>
        subscriber.next(settle ? { index, ...(value as Settled<R>) } : { index, value: value as R }),
      error: (error) => subscriber.error(error),
      complete: () => subscriber.complete(),
    }),
  );
}
