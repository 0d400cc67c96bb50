import type { ObservableInput } from 'rxjs';

/**
 * What every project, handler and task factory receives besides its item.
 *
 * `signal` aborts when that piece of work is cancelled (its subscription is torn down before it
 * finished), so promise work such as `fetch(url, { signal })` really stops. The `AbortController`
 * behind it is created lazily, on the first read of `signal`: work that never reads it pays nothing.
 */
export interface TaskContext {
  readonly signal: AbortSignal;
}

/**
 * A unit of work: anything RxJS can subscribe to (Observable, Promise, array, iterable, async
 * iterable), or a factory that makes one when it is started and receives a {@link TaskContext}.
 *
 * A factory is called only when the task is started (for example when a concurrency slot is
 * free). A bare `Promise` is already running when you hand it over: only a factory can be
 * deferred or handed an `AbortSignal`.
 */
export type Task<T> = ObservableInput<T> | ((ctx: TaskContext) => ObservableInput<T>);

/** The outcome of one task, as `Promise.allSettled` reports it. */
export type Settled<T> = { status: 'fulfilled'; value: T } | { status: 'rejected'; reason: unknown };

/** The result type of a {@link Task}. */
export type TaskResult<X> = X extends (ctx: TaskContext) => infer O
  ? O extends ObservableInput<infer R>
    ? R
    : never
  : X extends ObservableInput<infer R>
    ? R
    : never;
