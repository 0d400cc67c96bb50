import { Observable } from 'rxjs';
import type { Task, TaskResult } from '../types.js';
import { readCombinatorOptions, splitTasks } from '../internal/combinators-args.js';
import * as opt from '../internal/options.js';
import { runTasks } from '../internal/combinators-run.js';

/** Options of {@link streamConcurrently} and {@link streamConcurrentlyWith}. */
export interface StreamConcurrentlyOptions {
  /**
   * `false` (default): complete as soon as any source completes, unsubscribing the others.
   * `true`: complete when every source has completed.
   */
  readonly exhaustive?: boolean;
}

/**
 * Merges sources and emits each value as it arrives; by default the merged stream ends as soon as
 * any one source ends, and the others are unsubscribed.
 *
 * Think "listen to all of these until one of them is over": an event stream plus a heartbeat, a
 * stream plus a stop signal. Unlike `merge`, a source that completes ends the whole stream (no
 * error from that) and cancels the rest; with `{ exhaustive: true }` it behaves like `merge` and
 * completes when all sources have. An error from any source errors the output and unsubscribes
 * the rest; values already emitted stay emitted. The value type is the union of the sources'.
 *
 * Sources are any {@link Task}: an `ObservableInput`, or a factory `(ctx) => ObservableInput`
 * called on subscription, whose `ctx.signal` aborts when that source is cancelled. Sources are
 * subscribed in argument order; if one completes synchronously, later ones are never started.
 * At least one source is required (`RangeError` otherwise); the last argument may be the options.
 *
 * ```text
 * a:                                    --1-----3--|
 * b:                                    ----2-----------4--|
 * streamConcurrently(a, b):             --1-2---3--|          (b unsubscribed when a completes)
 * streamConcurrently(a, b, { exhaustive: true }):
 *                                       --1-2---3-------4--|
 * ```
 *
 * @example
 * ```ts
 * // Forward server events until the user leaves the page.
 * streamConcurrently(serverEvents$, leave$.pipe(take(1), ignoreElements()))
 *   .subscribe(render);
 * ```
 *
 * @throws RangeError when no source is given; TypeError when an argument is not a source or
 *   `exhaustive` is not a boolean (at call time).
 * @param sources The sources, optionally followed by a {@link StreamConcurrentlyOptions} object.
 */
export function streamConcurrently<A extends readonly Task<unknown>[]>(...sources: A): Observable<TaskResult<A[number]>>;
/** `streamConcurrently(a, b, { exhaustive })`: see the first overload. */
export function streamConcurrently<A extends readonly Task<unknown>[]>(
  ...args: [...sources: A, options: StreamConcurrentlyOptions]
): Observable<TaskResult<A[number]>>;
export function streamConcurrently(...args: unknown[]): Observable<unknown> {
  const { tasks, options } = splitTasks(args, 'sources', 1, true);
  return mergeUntilDone(tasks, readCombinatorOptions(options, STREAM_OPTIONS).exhaustive);
}

/** What the options object of `streamConcurrently(With)` may hold. */
export const STREAM_OPTIONS = { exhaustive: opt.boolean(false) };

/** @internal The body of {@link streamConcurrently}, for arguments already checked. */
export function mergeUntilDone(sources: readonly Task<unknown>[], exhaustive: boolean): Observable<unknown> {
  return new Observable<unknown>((subscriber) => {
    runTasks(subscriber, sources, 'each', false, (closeAll) => ({
      next: (value) => subscriber.next(value),
      done: () => {
        if (exhaustive) return;
        closeAll(); // the rest, before the consumer hears of the end
        subscriber.complete();
      },
      // The pool has unsubscribed the rest before this.
      error: (error) => subscriber.error(error),
      complete: () => subscriber.complete(),
    }));
  });
}
