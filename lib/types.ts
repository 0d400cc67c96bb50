import type { ObservableInput } from 'rxjs';

/**
 * What every project, handler and task factory receives besides its item.
 *
 * `signal` aborts when that piece of work is cancelled (its subscription is torn down before it
 * finished), so promise work such as `fetch(url, { signal })` really stops. The `AbortController`
 * behind it is created lazily, on the first read of `signal`: work that never reads it pays nothing.
 * `remaining()` is the time left before the deadline of the scope a spawned task runs in.
 */
export interface TaskContext {
  readonly signal: AbortSignal;
  /**
   * The milliseconds left, now, before the deadline of the scope the work runs in (its own or one
   * it inherited), on that scope's clock; `Infinity` when there is none: a scope without a
   * deadline, a background task, and work that is not a scope's task (a fan-out item, a flow
   * vertex, a limiter's task). `retryBackoff({ context: ctx })` reads it so that it never sleeps
   * past the scope's deadline. Read at each call, never cached.
   */
  remaining(): number;
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

/**
 * A class whose instances are events or state objects. Routing and lookup use the exact
 * constructor, so any class works, whatever its constructor's parameters.
 *
 * @example
 * ```ts
 * class Saved { constructor(readonly id: string) {} }
 * const Type: ClassOf<Saved> = Saved; // bus.on(Type), scope.state(Type)
 * ```
 */
export type ClassOf<T> = new (...args: never[]) => T;
