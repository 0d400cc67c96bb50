import { Observable, from, type ObservableInput } from 'rxjs';
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
    let input: ObservableInput<T>;
    try {
      input = startTask(task, ctx);
    } catch (error) {
      subscriber.error(error);
      return;
    }
    const inner = from(input).subscribe({
      next: (value) => subscriber.next(value),
      error: (error) => {
        finished = true;
        subscriber.error(error);
      },
      complete: () => {
        finished = true;
        subscriber.complete();
      },
    });
    return () => {
      inner.unsubscribe();
      if (!finished) ctx.abort();
    };
  });
}
