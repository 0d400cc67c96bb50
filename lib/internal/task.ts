import { Observable, type ObservableInput, type Subscriber } from 'rxjs';
import type { Task, TaskContext } from '../types.js';
import { FollowRun, isObservableInput } from './lifecycle.js';
import { describe, expected } from './validate.js';

export { isObservableInput };

/** Calls a task factory with its context, or returns the task itself when it is not a factory. */
export function startTask<T>(task: Task<T>, ctx: TaskContext): ObservableInput<T> {
  return typeof task === 'function' ? task(ctx) : task;
}

/**
 * The pool's project that runs a task (the item is the task): calls its factory with the item's
 * context. A task that is not one, or a factory that returns something RxJS cannot subscribe to,
 * errors naming `tasks[i]` (instead of RxJS's "You provided … where a stream was expected"): the
 * check for tasks read lazily, which cannot be checked at call time.
 */
export function runTask<R>(task: Task<R>, index: number, ctx: TaskContext): ObservableInput<R> {
  validateTask(`tasks[${index}]`, task);
  const input = startTask(task, ctx);
  if (typeof task === 'function' && !isObservableInput(input)) {
    throw new TypeError(`Expected \`tasks[${index}]\` to return an Observable, Promise, array, iterable or async iterable, got ${describe(input)}`);
  }
  return input;
}

/** Checks each task of an array at call time (a lazy iterable's tasks are checked by {@link runTask} as they are read). */
export function validateTaskArray(tasks: unknown): void {
  if (Array.isArray(tasks)) tasks.forEach((task, i) => validateTask(`tasks[${i}]`, task));
}

/** Throws a TypeError unless `value` is an `ObservableInput`; `name` is how the message refers to it. */
export function validateObservableInput(name: string, value: unknown): void {
  if (!isObservableInput(value)) {
    throw new TypeError(expected(name, 'be an Observable, Promise, array, iterable or async iterable', value));
  }
}

/**
 * A {@link Task} as a cold Observable: each subscription calls the factory afresh with its own
 * lazily created `AbortSignal`, which aborts when that subscription is torn down before the task
 * finished (never after a normal completion or error). A factory that throws, or returns
 * something RxJS cannot subscribe to, errors the Observable. One {@link TaskRun} per subscription.
 *
 * `abortReason`, when given, is asked at that moment for the signal's reason (`undefined`: the
 * usual `AbortError`); a limiter that lost a task's lease aborts it with the `LeaseLostError`.
 */
export function taskToObservable<T>(task: Task<T>, abortReason?: () => unknown): Observable<T> {
  return new Observable<T>((subscriber) => {
    const run = new FollowRun((ctx) => startTask(task, ctx), subscriber as Subscriber<unknown>);
    // On the consumer's subscriber before anything runs, so a consumer that closes while a
    // synchronous source is still emitting (`take(1)`) stops that source at once.
    subscriber.add(() => {
      if (run.running) run.cancel(abortReason?.());
    });
    run.start();
  });
}

const TASK = 'a task (an Observable, Promise, array, iterable, async iterable, or a function returning one)';

/** A {@link Task}: an `ObservableInput` or a factory function. */
function isTask(value: unknown): value is Task<unknown> {
  return typeof value === 'function' || isObservableInput(value);
}

/** Throws a TypeError unless `value` is a task; `name` is how the message refers to it. */
export function validateTask(name: string, value: unknown, orOptions = false): Task<unknown> {
  if (!isTask(value)) {
    throw new TypeError(expected(name, `be ${TASK}${orOptions ? ', or (last) an options object' : ''}`, value));
  }
  return value;
}
