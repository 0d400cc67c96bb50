import { Observable, asyncScheduler, identity, retry, timer, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';
import {
  describe,
  validateBoolean,
  validateFunction,
  validateLimit,
  validateNonNegative,
  validateOptions,
  validateScheduler,
} from '../internal/validate.js';
import { deadlineResolver, tripAt } from './deadline.js';

/** An error class for `retryOn`, matched with `instanceof` (abstract classes are fine). */
export type ErrorClass = abstract new (...args: any[]) => unknown;

/** Options of {@link retryBackoff}. Times are milliseconds on the scheduler's clock. */
export interface RetryBackoffOptions {
  /** Total subscriptions to the source, the first included: an integer ≥ 1 or `Infinity`. Default 3. */
  attempts?: number;
  /** The delay before the first retry, ≥ 0. Default 100. */
  baseDelay?: number;
  /** The cap on the exponential part of a delay, ≥ 0. Default 2000. */
  maxDelay?: number;
  /** How much random extra to add, as a fraction of the delay, ≥ 0 (0.1 = up to +10 %). Default 0.1. */
  jitter?: number;
  /**
   * Which errors to retry: error classes (matched with `instanceof`) or a predicate
   * `(error, attempt) => boolean` where `attempt` is the number of the attempt that just failed
   * (1 = the first subscription). Default: every error. A rejected error propagates at once.
   */
  retryOn?: readonly ErrorClass[] | ((error: unknown, attempt: number) => boolean);
  /**
   * A time budget for the whole operation: a number of ms from subscription, or an absolute
   * `Date` (on the scheduler's clock). A retry whose delay would end at or after it is not made: the last
   * error propagates at once. An attempt still running when it passes is unsubscribed and the
   * output errors with a `DeadlineError`. Default: none.
   */
  deadline?: number | Date | null;
  /** Whether a value emitted resets the attempt count (a long-lived stream that reconnects). Default false. */
  resetOnSuccess?: boolean;
  /** Called before each retry's wait with the error, the retry's number k (1, 2, …) and its delay. */
  onRetry?: (error: unknown, attempt: number, delay: number) => void;
  /** The random source for jitter, returning a number in [0, 1). Default `Math.random`. */
  random?: () => number;
  /** The clock for delays and the deadline. Default `asyncScheduler`. */
  scheduler?: SchedulerLike;
}

/**
 * Resubscribes to the source when it errors, waiting longer each time (exponential backoff
 * with jitter), up to `attempts` subscriptions in all and within an optional `deadline`.
 *
 * The RxJS spelling of lionherd's `retry(fn, attempts=3, base_delay=0.1, max_delay=2.0,
 * jitter=0.1, retry_on=…)`, in milliseconds. The delay before retry k (k = 1, 2, …) is
 * `min(maxDelay, baseDelay * 2^(k-1)) * (1 + random() * jitter)`. An error `retryOn` rejects
 * propagates at once; when the attempts are used up the last error propagates unchanged. An
 * error thrown by `retryOn`, `onRetry` or `random` errors the output with that error. Options
 * are validated when the operator is created.
 *
 * ```text
 * source:   --#            (each subscription fails 2 ms after it starts)
 * retryBackoff({ attempts: 3, baseDelay: 10, jitter: 0 })
 * output:   36ms #         (the third error, unchanged)
 * subs:     ^-!
 *           12ms ^-!       (10 ms after the first error)
 *           34ms ^-!       (20 ms after the second)
 * ```
 *
 * @throws RangeError when `attempts` is not an integer ≥ 1 (or `Infinity`), a delay or `jitter`
 *   is not a finite number ≥ 0, or `deadline` is not a finite number ≥ 0 or a valid Date;
 *   TypeError when `options` is not an object, or `retryOn`, `onRetry`, `random`, `resetOnSuccess`
 *   or `scheduler` has the wrong type.
 *
 * @example
 * ```ts
 * ajax.getJSON('/api/orders').pipe(
 *   retryBackoff({ attempts: 5, baseDelay: 200, retryOn: [AjaxTimeoutError], deadline: 10_000 }),
 * );
 * ```
 */
/** The options `retryBackoff` knows; any other key is a misspelling and fails at creation. */
const RETRY_OPTIONS = [
  'attempts',
  'baseDelay',
  'maxDelay',
  'jitter',
  'retryOn',
  'deadline',
  'resetOnSuccess',
  'onRetry',
  'random',
  'scheduler',
] as const;

export function retryBackoff<T>(options: RetryBackoffOptions = {}): MonoTypeOperatorFunction<T> {
  validateOptions('options', options, RETRY_OPTIONS);
  const {
    attempts = 3,
    baseDelay = 100,
    maxDelay = 2000,
    jitter = 0.1,
    retryOn,
    deadline = null,
    resetOnSuccess = false,
    onRetry,
    random = Math.random,
    scheduler = asyncScheduler,
  } = options;
  validateLimit('attempts', attempts);
  validateNonNegative('baseDelay', baseDelay);
  validateNonNegative('maxDelay', maxDelay);
  validateNonNegative('jitter', jitter);
  validateBoolean('resetOnSuccess', resetOnSuccess);
  validateFunction('random', random);
  if (onRetry !== undefined) validateFunction('onRetry', onRetry);
  validateScheduler('scheduler', scheduler);
  const shouldRetry = toPredicate(retryOn);
  // The deadline as a function of the scheduler's time at subscription, or null for none.
  const resolveDeadline = deadline === null || deadline === undefined ? null : deadlineResolver('deadline', deadline);

  // One attempt and no deadline: nothing to add.
  if (attempts === 1 && resolveDeadline === null) return identity;

  return (source) =>
    new Observable<T>((subscriber) => {
      // The absolute deadline of this subscription, in the scheduler's ms (Infinity: none).
      const at = resolveDeadline === null ? Infinity : resolveDeadline(scheduler.now());
      const retried = source.pipe(
        retry<T>({
          count: attempts - 1,
          resetOnSuccess,
          // k counts retries since the start (or the last value, with resetOnSuccess); throwing
          // here errors the output with what was thrown: the last error, or a callback's error.
          delay: (error: unknown, k: number) => {
            if (!shouldRetry(error, k)) throw error;
            const delay = backoffDelay(k, baseDelay, maxDelay, jitter, random);
            if (scheduler.now() + delay >= at) throw error;
            onRetry?.(error, k, delay);
            return timer(delay, scheduler);
          },
        }),
      );
      return (at === Infinity ? retried : retried.pipe(tripAt<T>(() => at, 'fail', scheduler))).subscribe(subscriber);
    });
}

/** `min(maxDelay, baseDelay * 2^(k-1)) * (1 + random() * jitter)`; `random` is called only when `jitter > 0`. */
export function backoffDelay(k: number, baseDelay: number, maxDelay: number, jitter: number, random: () => number): number {
  const exponential = Math.min(maxDelay, baseDelay * 2 ** (k - 1));
  if (jitter === 0) return exponential;
  const r = random();
  if (typeof r !== 'number' || !(r >= 0 && r <= 1)) {
    throw new RangeError(`Expected \`random()\` to return a number from 0 to 1, got ${describe(r)}`);
  }
  return exponential * (1 + r * jitter);
}

/** `retryOn` as a predicate, validated. */
function toPredicate(retryOn: RetryBackoffOptions['retryOn']): (error: unknown, attempt: number) => boolean {
  if (retryOn === undefined) return () => true;
  if (typeof retryOn === 'function') return retryOn;
  if (!Array.isArray(retryOn) || !retryOn.every((c) => typeof c === 'function')) {
    throw new TypeError(`Expected \`retryOn\` to be an array of error classes or a predicate function, got ${describe(retryOn)}`);
  }
  if (retryOn.length === 0) {
    throw new RangeError('Expected `retryOn` to list at least one error class (an empty list would never retry; use `attempts: 1` for that), got `[]`');
  }
  const classes = [...retryOn];
  return (error) => classes.some((c) => error instanceof c);
}
