import type { Observable, OperatorFunction } from 'rxjs';
import type { Task, TaskResult } from '../types.js';
import { readCombinatorOptions, splitTasks } from '../internal/combinators-args.js';
import { STREAM_OPTIONS, mergeUntilDone, type StreamConcurrentlyOptions } from './streamConcurrently.js';

/**
 * The operator form of {@link streamConcurrently}: merges the source with `others`, emitting each
 * value as it arrives, and by default completes as soon as any of them (the source included)
 * completes, unsubscribing the rest.
 *
 * `source.pipe(streamConcurrentlyWith(b, c, options))` is `streamConcurrently(source, b, c, options)`.
 * With no others it mirrors the source. Arguments are checked when the operator is created.
 *
 * ```text
 * source:                         --1-----3-----5--|
 * other:                          ----2-----4|
 * streamConcurrentlyWith(other):  --1-2---3-4|          (source unsubscribed when other completes)
 * streamConcurrentlyWith(other, { exhaustive: true }):
 *                                 --1-2---3-4---5--|
 * ```
 *
 * @example
 * ```ts
 * // Progress events of an upload, until the upload itself is done.
 * progress$.pipe(streamConcurrentlyWith(upload$.pipe(map(() => 100))))
 *   .subscribe(setPercent);
 * ```
 *
 * @throws TypeError when an argument is not a source or `exhaustive` is not a boolean (at call time).
 * @param others The other sources, optionally followed by a {@link StreamConcurrentlyOptions} object.
 */
export function streamConcurrentlyWith<T, A extends readonly Task<unknown>[]>(
  ...others: A
): OperatorFunction<T, T | TaskResult<A[number]>>;
/** `streamConcurrentlyWith(b, c, { exhaustive })`: see the first overload. */
export function streamConcurrentlyWith<T, A extends readonly Task<unknown>[]>(
  ...args: [...others: A, options: StreamConcurrentlyOptions]
): OperatorFunction<T, T | TaskResult<A[number]>>;
export function streamConcurrentlyWith(...args: unknown[]): OperatorFunction<unknown, unknown> {
  const { tasks, options } = splitTasks(args, 'others', 0, true);
  const { exhaustive } = readCombinatorOptions(options, STREAM_OPTIONS);
  return (source: Observable<unknown>) => mergeUntilDone([source, ...tasks], exhaustive);
}
