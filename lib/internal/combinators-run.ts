import { Observable, from, type Subscriber, type Subscription } from 'rxjs';
import { EmptyTaskError } from '../errors.js';
import type { Settled, Task } from '../types.js';
import { taskToObservable } from './task.js';

/**
 * The engine shared by the combinators: start every task at once, each subscription owned by the
 * output subscriber, so that closing the output (completion, error, or the consumer
 * unsubscribing) unsubscribes every task still running and aborts its `ctx.signal`.
 */

/**
 * Unsubscribes every task started so far (aborting the signals of those still running). A
 * combinator calls it the moment its outcome is decided, *before* telling the consumer: the
 * consumer then never sees a loser still running, and a loser cannot emit re-entrantly (say, a
 * Subject the consumer pushes to from `next`) and produce a second outcome. Idempotent.
 */
export type CloseAll = () => void;

/** What a combinator does with the events of task `index`. */
export interface SlotObserver<T> {
  next?(index: number, value: T): void;
  error(index: number, error: unknown, closeAll: CloseAll): void;
  complete(index: number, closeAll: CloseAll): void;
}

/**
 * Subscribes to each task in input order and routes its events to `slot`. Stops starting tasks as
 * soon as `output` is closed, so a task that decides the outcome synchronously (`of(x)`, an array)
 * means later factories are never called.
 *
 * Each task's subscriber is owned by `output` *before* the task is subscribed: a synchronous task
 * (an array, a generator) that keeps emitting after the output closed sees its own subscriber
 * closed and stops, even though `subscribe()` has not returned yet. Plain inputs go through
 * `from()` (no context to give them); factories through `taskToObservable`, which creates their
 * lazy `ctx.signal` and aborts it when they are torn down before finishing.
 */
export function subscribeAll<T>(output: Subscriber<unknown>, tasks: readonly Task<T>[], slot: SlotObserver<T>): void {
  // One finalizer for all children rather than `output.add(child)` each: a child that finishes
  // removes itself from its parent's finalizer array (indexOf + splice), quadratic over many tasks.
  let children: Subscription[] = [];
  const closeAll: CloseAll = () => {
    // Swap first: a child's teardown (an abort listener, say) may re-enter and close again.
    const started = children;
    children = [];
    for (const child of started) child.unsubscribe();
  };
  output.add(closeAll);
  for (let i = 0; i < tasks.length && !output.closed; i++) {
    const task = tasks[i]!;
    const source = typeof task === 'function' ? taskToObservable(task) : from(task);
    new Observable<T>((child) => {
      children.push(child);
      source.subscribe(child);
    }).subscribe({
      next: (value) => slot.next?.(i, value),
      error: (error) => slot.error(i, error, closeAll),
      complete: () => slot.complete(i, closeAll),
    });
  }
}

/**
 * Like {@link subscribeAll}, for combinators that want one outcome per task: the task's last value
 * (fulfilled), its error (rejected), or, when it completed without a value, a rejection with
 * {@link EmptyTaskError} naming `keyOf(index)`.
 */
export function settleAll<T>(
  output: Subscriber<unknown>,
  tasks: readonly Task<T>[],
  keyOf: (index: number) => number | string,
  onSettled: (index: number, outcome: Settled<T>, closeAll: CloseAll) => void,
): void {
  const last: (T | undefined)[] = new Array<T | undefined>(tasks.length);
  const has: boolean[] = new Array<boolean>(tasks.length).fill(false);
  subscribeAll(output, tasks, {
    next: (i, value) => {
      last[i] = value;
      has[i] = true;
    },
    error: (i, reason, closeAll) => onSettled(i, { status: 'rejected', reason }, closeAll),
    complete: (i, closeAll) =>
      onSettled(
        i,
        has[i] ? { status: 'fulfilled', value: last[i] as T } : { status: 'rejected', reason: new EmptyTaskError(keyOf(i)) },
        closeAll,
      ),
  });
}
