import { Observable, type MonoTypeOperatorFunction } from 'rxjs';
import { readOptions, type Reader } from '../internal/options.js';
import * as opt from '../internal/options.js';
import { expected } from '../internal/validate.js';

/**
 * An `AbortSignal` (of any realm: checked by shape, as `fetch` does). It lives here rather than
 * among the shared checks so that only the users of outside signals bundle it.
 */
function validateAbortSignal(name: string, value: unknown): AbortSignal {
  const s = value as Partial<AbortSignal> | null;
  if (
    s === null ||
    typeof s !== 'object' ||
    typeof s.aborted !== 'boolean' ||
    typeof s.addEventListener !== 'function' ||
    typeof s.removeEventListener !== 'function'
  ) {
    throw new TypeError(expected(name, 'be an AbortSignal', value));
  }
  return value as AbortSignal;
}

/** The options reader of a `signal` option (`scope()`, `runFlow`): an AbortSignal or `undefined`. */
export const signalOption: Reader<AbortSignal | undefined> = (path, value) => (value === undefined ? undefined : validateAbortSignal(path, value));

/** Options of {@link takeUntilAborted}. */
export interface TakeUntilAbortedOptions {
  /** `'error'` (default): error with the signal's `reason`; `'complete'`: complete silently. */
  mode?: 'error' | 'complete';
}

/**
 * Ends the stream when `signal` aborts: unsubscribes the source and errors with
 * `signal.reason` (or completes, with `mode: 'complete'`). A signal already aborted at
 * subscription ends the stream at once, inside `subscribe`, without subscribing to the source.
 *
 * `takeUntil` for the `AbortController` that promise-based code already has (an Express
 * handler's, a test's, `AbortSignal.timeout(ms)`, `AbortSignal.any([...])`). Each subscription
 * adds one `abort` listener to the signal and removes it when it ends, however it ends, so a
 * long-lived signal shared by many short streams does not pile up listeners.
 *
 * ```text
 * source:                    --a--b--c--
 * controller.abort(reason):  ------^
 * takeUntilAborted(signal):  --a--b#        (error: reason)
 * { mode: 'complete' }:      --a--b|
 * source subs:               ^-----!
 * ```
 *
 * @param signal The `AbortSignal` to follow.
 * @param options `{ mode?: 'error' | 'complete' }`.
 * @throws TypeError when `signal` is not an AbortSignal, or for a misspelt option or a `mode`
 *   other than `'error'` or `'complete'` (at creation).
 *
 * @example
 * ```ts
 * import { interval } from 'rxjs';
 * import { takeUntilAborted } from 'rxjs-concurrency';
 *
 * const controller = new AbortController();
 * interval(1000).pipe(takeUntilAborted(controller.signal)).subscribe({ error: (reason) => console.log('stopped:', reason) });
 * setTimeout(() => controller.abort(new Error('user left')), 5_000);
 * ```
 */
export function takeUntilAborted<T>(signal: AbortSignal, options?: TakeUntilAbortedOptions): MonoTypeOperatorFunction<T> {
  validateAbortSignal('signal', signal);
  const { mode } = readOptions('options', options, { mode: opt.oneOf(['error', 'complete'] as const, 'error') });
  return (source) =>
    new Observable<T>((subscriber) => {
      const end = (): void => (mode === 'error' ? subscriber.error(signal.reason) : subscriber.complete());
      if (signal.aborted) {
        end();
        return;
      }
      // The listener is in place before the source starts, so a source that aborts the signal
      // while it subscribes is cut off too; it leaves with the subscription, however that ends
      // (an abort ends it too, so no `once` is needed).
      signal.addEventListener('abort', end);
      subscriber.add(() => signal.removeEventListener('abort', end));
      source.subscribe(subscriber);
    });
}
