import { Observable, from, tap, type ObservableInput } from 'rxjs';
import type { Task, TaskContext } from '../types.js';
import { LazyContext } from './context.js';

/** Calls a task factory with its context, or returns the task itself when it is not a factory. */
export function startTask<T>(task: Task<T>, ctx: TaskContext): ObservableInput<T> {
  return typeof task === 'function' ? task(ctx) : task;
}

/**
 * A {@link Task} as a cold Observable: each subscription calls the factory afresh with its own
 * lazily created `AbortSignal`, which aborts when that subscription is torn down before the task
 * finished (never after a normal completion or error). A factory that throws errors the Observable.
 */
export function taskToObservable<T>(task: Task<T>): Observable<T> {
  return new Observable<T>((subscriber) => {
    const ctx = new LazyContext();
    // Whether the task finished on its own; teardown after that must not abort the signal.
    let finished = false;
    subscriber.add(() => {
      if (!finished) ctx.abort();
    });
    let source: Observable<T>;
    try {
      // A factory that throws, or returns something RxJS cannot subscribe to, fails the task:
      // it finished (badly), it was not cancelled, so its signal stays as it is.
      source = from(startTask(task, ctx));
    } catch (error) {
      finished = true;
      subscriber.error(error);
      return;
    }
    // Subscribing with `subscriber` itself (not a wrapping observer) lets a synchronous source
    // see the consumer close (`take(1)`) and stop reading at once.
    source
      .pipe(
        tap({
          error: () => (finished = true),
          complete: () => (finished = true),
        }),
      )
      .subscribe(subscriber);
  });
}
