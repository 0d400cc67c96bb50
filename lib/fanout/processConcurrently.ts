import { Observable, type ObservableInput } from 'rxjs';
import { openFeed } from '../internal/feed.js';
import { Pool, liveLimitName, validateFanoutLimit, type FanoutLimit } from '../internal/pool.js';
import { readOptions } from '../internal/options.js';
import * as opt from '../internal/options.js';
import { validateObservableInput } from '../internal/task.js';
import { validateFunction } from '../internal/validate.js';
import type { Settled, TaskContext } from '../types.js';

/** Options of {@link processConcurrently}. */
export interface ProcessConcurrentlyOptions<T> {
  /** The most handlers running at once: an integer ≥ 1 or `Infinity`, an `Observable<number>` (its latest value) or a `CapacityLimiter` (a token per running one; see {@link FanoutLimit}). Default 2. */
  readonly concurrentTasks?: FanoutLimit;
  /**
   * `true`: a handler's failure is passed to `onError` and processing goes on. An error of the
   * source itself still errors the output. Default `false`: the first failure errors the output
   * and cancels the handlers still running.
   */
  readonly ignoreErrors?: boolean;
  /** Receives each ignored failure with its item and index. Default: `console.error`. */
  readonly onError?: (error: unknown, item: T, index: number) => void;
}

/**
 * Runs `handler` for every item of `source` for its side effects, at most `concurrentTasks` at
 * once, and completes when every item has been handled.
 *
 * <span class="informal">haiway's `process_concurrently`: a worker pool over a stream.</span>
 *
 * The output emits nothing (`Observable<never>`): it completes when the source has completed
 * and every handler has finished, or errors. Handlers may emit any number of values (they are
 * ignored) and may complete empty. Each gets a {@link TaskContext} whose signal aborts when it
 * is cancelled. Iterables and async iterables are read lazily, one item per free slot; items an
 * Observable source pushes while all slots are busy are queued. If `onError` itself throws, the
 * output errors with that error.
 *
 * ```text
 * source:  --a--b--c--|
 * handler: a → ----|  b → -#  c → --|      (concurrentTasks 2, ignoreErrors: true)
 * output:  -----------|                    onError(#, b, 1) at frame 6
 * ```
 *
 * @example
 * ```ts
 * import { processConcurrently } from 'rxjs-concurrency';
 *
 * processConcurrently(messages$, (msg, _i, { signal }) => save(msg, signal), {
 *   concurrentTasks: 4,
 *   ignoreErrors: true,
 *   onError: (error, msg) => log.warn('could not save', msg.id, error),
 * }).subscribe({ complete: () => log.info('all saved') });
 * ```
 *
 * @throws {TypeError} `source` is not an `ObservableInput`, `handler` or `onError` is not a function,
 *   or an option is unknown or has the wrong type.
 * @throws {RangeError} `concurrentTasks` is not an integer ≥ 1 or `Infinity`.
 */
export function processConcurrently<T>(
  source: ObservableInput<T>,
  handler: (item: T, index: number, ctx: TaskContext) => ObservableInput<unknown>,
  options: ProcessConcurrentlyOptions<T> = {},
): Observable<never> {
  validateObservableInput('source', source);
  validateFunction('handler', handler);
  const { concurrentTasks: limit, ignoreErrors, onError } = readOptions('options', options, {
    concurrentTasks: (path, value) => validateFanoutLimit(path, value === undefined ? 2 : value),
    ignoreErrors: opt.boolean(false),
    onError: opt.fn<(error: unknown, item: T, index: number) => void>((error: unknown) => console.error(error)),
  });
  const config = { project: handler, limit, ordered: false, values: 'none', settle: ignoreErrors, projectName: 'handler', limitName: liveLimitName('options.concurrentTasks') } as const;
  return new Observable<never>((subscriber) => {
    const pool: Pool<T> = new Pool(openFeed(source), config, {
      next: (outcome, index, item) => {
        const settled = outcome as Settled<unknown>;
        if (settled.status === 'fulfilled') return;
        try {
          onError(settled.reason, item, index);
        } catch (error) {
          pool.fail(error);
        }
      },
      error: (error) => subscriber.error(error),
      complete: () => subscriber.complete(),
    });
    pool.run(subscriber);
  });
}
