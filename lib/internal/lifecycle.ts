import { Observable, Subscriber, from, isObservable, observable, type ObservableInput } from 'rxjs';
import type { TaskContext } from '../types.js';
import { cancelReason } from './context.js';
import { expected } from './validate.js';

/**
 * THE task lifecycle: how every primitive runs one piece of work and follows it to its end — a
 * fan-out item (the pool's `Slot`), a combinator's task (the pool again), `scope.spawn`'s task,
 * a flow vertex's handler or hook, and `taskToObservable` (the capacity limiter's tasks).
 *
 * 1. **Start.** `start()` calls {@link TaskRun.call} (the factory, `project` or handler) with the run
 *    itself as its {@link TaskContext}; the `AbortSignal` is created only if the work reads it. A
 *    throw is the task failing.
 * 2. **Follow.** A promise (a thenable that is not an Observable) is followed with two callbacks and
 *    no Subscriber; anything else RxJS takes goes through `from()` into one {@link EndFirstSubscriber},
 *    made before `subscribe` is called, so a synchronous inner (`of(x)`) that completes inside
 *    `subscribe` finds it in place. Flow handlers and hooks start with {@link isPlainResult}: a
 *    returned value that is not an object RxJS can subscribe to is the result at once.
 * 3. **Last value.** The run keeps the last value (`last`, `hasValue`); {@link TaskRun.onValue} may
 *    also forward each one. **An empty task is one that completed without a value: it has no
 *    result.** The run reports it as completed with `hasValue === false`; primitives that promise
 *    one result per task (the pool in `'last'` mode: `boundedMap` with `settle`, `concurrently`,
 *    `completionStream`, `executeConcurrently`, `gather`, `firstToFinish`, `firstSuccess`) turn it
 *    into an `EmptyTaskError`; `scope.spawn`'s result then completes without a value, and a flow
 *    vertex produces no outputs.
 * 4. **End.** On completion or error the run's own subscription is torn down (the inner's finalizers
 *    run) *before* the owner hears of it through {@link TaskRun.onComplete} / {@link TaskRun.onError}:
 *    whatever the task's form, the consumer never hears an outcome while the task that decided it
 *    still holds resources. A run that ended on its own never has its signal aborted.
 * 5. **Cancel.** {@link TaskRun.cancel} unsubscribes a running task and then aborts its signal;
 *    it reports nothing, and later notifications of the task (a promise settling) are ignored.
 */
/**
 * RxJS's `Observable`, read once: CommonJS builds read an imported name as a property of rxjs's
 * exports object, which is a getter, and `start` checks every task's return value against it.
 */
const ObservableClass = Observable;

export abstract class TaskRun implements TaskContext, EndFirstTarget<unknown> {
  /**
   * The signal's controller, created on the first read of `signal`: creating one costs
   * microseconds, far more than a fast pool spends on an item, so work that never reads the
   * signal must not pay for one. (A run is its work's context.) Before that first read, an
   * `abort()` leaves its reason here instead (`{ reason }`; `undefined`: an `AbortError`), so a
   * late reader gets an aborted signal. One field for the three states keeps every run small.
   */
  private controller: AbortController | { reason: unknown } | undefined = undefined;
  /** Started and not yet completed, failed or cancelled. */
  running = false;
  /** The last value seen, once `hasValue`. */
  last: unknown = undefined;
  hasValue = false;
  /** The Observable inner's subscriber while it runs (promises and plain values need none). */
  private inner: EndFirstSubscriber<unknown> | undefined = undefined;

  /** Aborts when the run is cancelled; created on first read. */
  get signal(): AbortSignal {
    const controller = this.controller;
    if (controller instanceof AbortController) return controller.signal;
    const created = (this.controller = new AbortController());
    if (controller !== undefined) created.abort(controller.reason ?? cancelReason());
    return created.signal;
  }

  /** No deadline by default: only a scope's task (`scope.spawn`) runs under one. */
  remaining(): number {
    return Infinity;
  }

  /** Aborts the signal (cancellation), with `reason` or else an `AbortError`. Cheap when the signal was never read. */
  abort(reason?: unknown): void {
    const controller = this.controller;
    if (!(controller instanceof AbortController)) this.controller = { reason: controller?.reason ?? reason };
    else if (!controller.signal.aborted) controller.abort(reason ?? cancelReason());
  }

  /** Calls the work with this run as its context and returns what it returned. */
  protected abstract call(): unknown;
  /** The task completed (its subscription already torn down); `last`/`hasValue` say what it gave. */
  protected abstract onComplete(): void;
  /** The task failed: `call` threw, it errored or rejected, or RxJS could not subscribe to it. */
  protected abstract onError(error: unknown): void;
  /** Each value, as it comes; by default only the last is kept. */
  protected onValue(value: unknown): void {
    this.last = value;
    this.hasValue = true;
  }

  /**
   * Starts the work and follows it. `isResult` (flow's {@link isPlainResult}) picks the returned
   * values that are the result at once instead of being followed; a predicate rather than a flag,
   * so that only the entry points that pass it bundle the ObservableInput check.
   */
  start(isResult?: (value: unknown) => boolean): void {
    this.running = true;
    let input: unknown;
    try {
      input = this.call();
      // Cancelled from inside its own call (a scope body that cancels its scope): not followed.
      if (!this.running) return;
      let source: Observable<unknown>;
      if (input instanceof ObservableClass) source = input;
      else {
        if (typeof (input as PromiseLike<unknown> | null | undefined)?.then === 'function') {
          followPromise(this, input as PromiseLike<unknown>);
          return;
        }
        if (isResult !== undefined && isResult(input)) {
          this.value(input);
          this.complete();
          return;
        }
        try {
          source = from(input as ObservableInput<unknown>);
        } catch (error) {
          // RxJS refused what the work returned: only this failure path pays for a message that
          // names the work instead of RxJS's "You provided…".
          this.error(this.notObservableInput?.(input) ?? error);
          return;
        }
      }
      const subscriber = new EndFirstSubscriber<unknown>(this);
      this.inner = subscriber;
      source.subscribe(subscriber);
    } catch (error) {
      // `call` threw (or subscribing did).
      this.error(error);
    }
  }

  /**
   * The error for work that returned `input`, which RxJS refused (not an `ObservableInput`). Runs
   * that know what the work is called name it (see {@link notObservableInputError}); without this
   * hook the error is RxJS's own.
   */
  protected notObservableInput?(input: unknown): unknown;

  /**
   * Cancels the task if it is running: unsubscribes it, then aborts its signal (with `reason`,
   * else an `AbortError`). Returns whether it was running.
   */
  cancel(reason?: unknown): boolean {
    if (!this.running) return false;
    this.running = false;
    const inner = this.inner;
    this.inner = undefined;
    inner?.unsubscribe();
    this.abort(reason);
    return true;
  }

  /** @internal A promise fulfilled: its one value, then completion, in one step. */
  resolve(value: unknown): void {
    if (this.running) this.onResolve(value);
  }

  /**
   * The task gave its one value and completed (a promise): by default {@link onValue}, then,
   * unless that cancelled it, {@link onComplete}. The pool's slots take both in one step.
   */
  protected onResolve(value: unknown): void {
    this.onValue(value);
    if (!this.running) return;
    this.running = false;
    this.onComplete();
  }

  /** @internal A value from the task. */
  value(value: unknown): void {
    if (this.running) this.onValue(value);
  }

  /** @internal The task completed; its subscriber has already unsubscribed. */
  complete(): void {
    if (!this.running) return;
    this.running = false;
    this.inner = undefined;
    this.onComplete();
  }

  /** @internal The task failed; its subscriber has already unsubscribed. */
  error(error: unknown): void {
    if (!this.running) return;
    this.running = false;
    this.inner = undefined;
    this.onError(error);
  }
}

/**
 * "Expected `project` to return an Observable, Promise, array, iterable or async iterable, got
 * `42` (number) at index 3": the error for work named `name` (a parameter) that returned `value`,
 * for the item at `index` when there is one.
 */
export function notObservableInputError(name: string, value: unknown, index?: number): TypeError {
  const at = index === undefined ? '' : ` at index ${index}`;
  return new TypeError(expected(name, 'return an Observable, Promise, array, iterable or async iterable', value) + at);
}

/** What a {@link FollowRun} reports: each value (when asked), then how the task ended. */
interface RunObserver {
  next?(value: unknown): void;
  /** The task completed; `run.last` and `run.hasValue` say what it gave. */
  complete(run: TaskRun): void;
  error(error: unknown): void;
}

/**
 * A task run for one-off work: calls `work(ctx)` (the run is the context) and reports to
 * `observer`. Serves `taskToObservable` (the observer is the subscriber), a scope's body and flow steps.
 */
export class FollowRun extends TaskRun {
  constructor(
    private readonly work: (ctx: FollowRun) => unknown,
    private readonly observer: RunObserver,
  ) {
    super();
  }
  protected call(): unknown {
    return this.work(this);
  }
  protected override onValue(value: unknown): void {
    this.last = value;
    this.hasValue = true;
    this.observer.next?.(value);
  }
  protected onComplete(): void {
    this.observer.complete(this);
  }
  protected onError(error: unknown): void {
    this.observer.error(error);
  }
}

/**
 * Follows a promise: its value, then completion (one step); or its rejection. The callbacks are
 * the run's own methods, bound (cheaper to make and to call than two arrow functions and the
 * scope they would share).
 */
function followPromise(run: TaskRun, promise: PromiseLike<unknown>): void {
  promise.then(run.resolve.bind(run), run.error.bind(run));
}

/**
 * Flow's rule for a handler's return value (see {@link TaskRun.start}): anything but an object RxJS
 * can subscribe to is the result itself; array-likes are results too (an outputs record may have a `length`).
 */
export function isPlainResult(value: unknown): boolean {
  return typeof value !== 'object' || value === null || !isObservableInput(value, false);
}

/** Where an {@link EndFirstSubscriber} routes what it receives. */
export interface EndFirstTarget<T> {
  value(value: T): void;
  error(error: unknown): void;
  complete(): void;
}

/**
 * The subscriber of the lifecycle: routes an Observable's notifications to a target (a task's run,
 * the pool for its pushed source) and, on error or completion, unsubscribes itself — running the
 * source's finalizers — *before* the target hears of the end. It exists before `subscribe` is
 * called, so a synchronous source that ends inside `subscribe` finds it in place.
 */
export class EndFirstSubscriber<T> extends Subscriber<T> {
  /** One instance kept so that the shape outlives every task (see below the class). */
  static shape: EndFirstSubscriber<unknown>;
  constructor(private readonly target: EndFirstTarget<T>) {
    super();
  }
  protected override _next(value: T): void {
    this.target.value(value);
  }
  protected override _error(error: unknown): void {
    this.unsubscribe();
    this.target.error(error);
  }
  protected override _complete(): void {
    this.unsubscribe();
    this.target.complete();
  }
}

// One never-subscribed subscriber, held by the class, keeps its shape alive between tasks (see
// `Pool.shapes` in pool.ts: optimized code is thrown away when a full GC frees the shapes it checks).
EndFirstSubscriber.shape = new EndFirstSubscriber<unknown>({} as EndFirstTarget<unknown>);

/**
 * Whether `from()` accepts `value`: the same checks, in the same spirit, as RxJS's `innerFrom`
 * (Observable, interop Observable, array or array-like, Promise or thenable, async iterable,
 * iterable, ReadableStream, string). The one such check: tasks, combinator arguments and flow
 * handlers' results all go through it. `arrayLikes: false` leaves out objects that are only
 * array-like (a `length` and nothing else RxJS takes), for flow, whose outputs records may have a `length`.
 */
export function isObservableInput(value: unknown, arrayLikes = true): value is ObservableInput<unknown> {
  if (value === null || value === undefined) return false;
  if (typeof value === 'string') return true;
  if (typeof value !== 'object' && typeof value !== 'function') return false;
  const v = value as Record<PropertyKey, unknown>;
  return (
    isObservable(value) ||
    typeof v[observable as PropertyKey] === 'function' ||
    (arrayLikes && typeof v['length'] === 'number' && typeof value !== 'function') ||
    typeof v['then'] === 'function' ||
    typeof v[Symbol.asyncIterator] === 'function' ||
    typeof v[Symbol.iterator] === 'function' ||
    typeof v['getReader'] === 'function'
  );
}
