import { Observable, Subscriber, from, isObservable, observable, type ObservableInput } from 'rxjs';
import type { Task, TaskContext } from '../types.js';
import { LazyContext } from './context.js';
import { describe } from './validate.js';

/** Calls a task factory with its context, or returns the task itself when it is not a factory. */
export function startTask<T>(task: Task<T>, ctx: TaskContext): ObservableInput<T> {
  return typeof task === 'function' ? task(ctx) : task;
}

/**
 * A {@link Task} as a cold Observable: each subscription calls the factory afresh with its own
 * lazily created `AbortSignal`, which aborts when that subscription is torn down before the task
 * finished (never after a normal completion or error). A factory that throws, or returns
 * something RxJS cannot subscribe to, errors the Observable.
 *
 * `abortReason`, when given, is asked at that moment for the signal's reason (`undefined`: the
 * usual `AbortError`); a limiter that lost a task's lease aborts it with the `LeaseLostError`.
 */
export function taskToObservable<T>(task: Task<T>, abortReason?: () => unknown): Observable<T> {
  return new Observable<T>((subscriber) => {
    const ctx = new LazyContext();
    // The forwarder is on the consumer's subscriber before anything runs, so a consumer that
    // closes while a synchronous source is still emitting (`take(1)`) stops that source at once.
    const forwarder = new TaskSubscriber(subscriber, ctx, abortReason);
    subscriber.add(forwarder);
    let source: Observable<T>;
    try {
      source = from(startTask(task, ctx));
    } catch (error) {
      // It finished (badly); it was not cancelled, so its signal stays as it is.
      forwarder.finished = true;
      subscriber.error(error);
      return;
    }
    source.subscribe(forwarder);
  });
}

/** Forwards a task's notifications; aborts its signal when unsubscribed before it finished. */
class TaskSubscriber<T> extends Subscriber<T> {
  /** The task completed or errored on its own. */
  finished = false;

  constructor(
    private readonly out: Subscriber<T>,
    private readonly ctx: LazyContext,
    private readonly abortReason: (() => unknown) | undefined,
  ) {
    super();
  }

  protected override _next(value: T): void {
    this.out.next(value);
  }

  protected override _error(error: unknown): void {
    this.finished = true;
    this.unsubscribe();
    this.out.error(error);
  }

  protected override _complete(): void {
    this.finished = true;
    this.unsubscribe();
    this.out.complete();
  }

  override unsubscribe(): void {
    if (!this.closed && !this.finished) this.ctx.abort(this.abortReason?.());
    super.unsubscribe();
  }
}

const TASK = 'a task (an Observable, Promise, array, iterable, async iterable, or a function returning one)';

/** Whether `from()` accepts `value`: the same checks, in the same spirit, as RxJS's `innerFrom`. */
export function isObservableInput(value: unknown): value is ObservableInput<unknown> {
  if (value === null || value === undefined) return false;
  if (typeof value === 'string') return true;
  if (typeof value !== 'object' && typeof value !== 'function') return false;
  const v = value as Record<PropertyKey, unknown>;
  return (
    isObservable(value) ||
    typeof v[observable as PropertyKey] === 'function' ||
    (typeof v['length'] === 'number' && typeof value !== 'function') ||
    typeof v['then'] === 'function' ||
    typeof v[Symbol.asyncIterator] === 'function' ||
    typeof v[Symbol.iterator] === 'function' ||
    typeof v['getReader'] === 'function'
  );
}

/** A {@link Task}: an `ObservableInput` or a factory function. */
export function isTask(value: unknown): value is Task<unknown> {
  return typeof value === 'function' || isObservableInput(value);
}

/** Throws a TypeError unless `value` is a task; `name` is how the message refers to it. */
export function validateTask(name: string, value: unknown, orOptions = false): Task<unknown> {
  if (!isTask(value)) {
    const expected = orOptions ? `${TASK}, or (last) an options object` : TASK;
    throw new TypeError(`Expected \`${name}\` to be ${expected}, got ${describe(value)}`);
  }
  return value;
}
