import { Observable, asyncScheduler, identity, retry, timer, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';
import type { DeadlineLabel } from '../internal/clock.js';
import { readOptions, type Reader } from '../internal/options.js';
import * as opt from '../internal/options.js';
import { describe, expected } from '../internal/validate.js';
import type { TaskContext } from '../types.js';
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
   * Which errors to retry: an error class or an array of them (matched with `instanceof`), or a
   * predicate `(error, attempt) => boolean` where `attempt` is the number of the attempt that just
   * failed (1 = the first subscription). A function counts as a class when it is written with
   * `class` or its prototype is an `Error` (`retryOn: TimeoutError`); any other function is a
   * predicate. Default: every error. A rejected error propagates at once.
   */
  retryOn?: ErrorClass | readonly ErrorClass[] | ((error: unknown, attempt: number) => boolean);
  /**
   * A time budget for the whole operation: a number of ms from subscription, or an absolute
   * `Date` (on the scheduler's clock). A retry whose delay would end at or after it is not made: the last
   * error propagates at once. An attempt still running when it passes is unsubscribed and the
   * output errors with a `DeadlineError` (`retryBackoff: not finished within 10000 ms`). A
   * deadline already past at subscription (`0`, or a `Date` gone by) errors at once, before the
   * first attempt is subscribed. Default: none.
   */
  deadline?: number | Date | null;
  /**
   * The context of the scope task this retry runs in — the `ctx` a task factory given to
   * `scope.spawn` receives, or the `Scope` itself in a scope's body — whose scope deadline
   * then bounds the retries too: a retry whose delay would end at or after that deadline
   * (`delay >= context.remaining()`) is not made, and the last error propagates at once, as with
   * `deadline`. The scope itself ends an attempt still running at its deadline. Read at each
   * retry. Default: none (work outside a scope, or a context without a deadline, is bounded only
   * by `attempts` and `deadline`).
   */
  context?: Pick<TaskContext, 'remaining'>;
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
 * are validated when the operator is created. In a scope's task, `context: ctx` (or the `Scope`
 * in its body) makes it never sleep past the scope's deadline: the retry that would end at or
 * after it is not made and the last error propagates at once (anyio's ambient deadline, passed
 * explicitly: an Observable's subscription is synchronous, so nothing ambient would reach work
 * subscribed later).
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
 *   TypeError when `options` is not an object or has an unknown key, or `retryOn`, `onRetry`,
 *   `random`, `resetOnSuccess`, `context` or `scheduler` has the wrong type. Messages name the
 *   option as `options.attempts`.
 *
 * @example
 * ```ts
 * ajax.getJSON('/api/orders').pipe(
 *   retryBackoff({ attempts: 5, baseDelay: 200, retryOn: [AjaxTimeoutError], deadline: 10_000 }),
 * );
 * // In a scope with a deadline: give up (with the last error) rather than sleep past it.
 * scope('checkout', (s) => s.spawn((ctx) => ajax.getJSON('/api/cart').pipe(retryBackoff({ attempts: 5, context: ctx }))), { deadline: 3_000 });
 * ```
 */
export function retryBackoff<T>(options: RetryBackoffOptions = {}): MonoTypeOperatorFunction<T> {
  const { attempts, baseDelay, maxDelay, jitter, retryOn: shouldRetry, deadline, context, resetOnSuccess, onRetry, random, scheduler } = readOptions(
    'options',
    options,
    RETRY_OPTIONS,
  );
  // One attempt and no deadline: nothing to add.
  if (attempts === 1 && deadline === null) return identity;

  return (source) =>
    new Observable<T>((subscriber) => {
      // The absolute deadline of this subscription, in the scheduler's ms (Infinity: none).
      const at = deadline === null ? Infinity : deadline.resolve(scheduler.now());
      const retried = source.pipe(
        retry<T>({
          count: attempts - 1,
          resetOnSuccess,
          // k counts retries since the start (or the last value, with resetOnSuccess); throwing
          // here errors the output with what was thrown: the last error, or a callback's error.
          delay: (error: unknown, k: number) => {
            if (!shouldRetry(error, k)) throw error;
            const delay = backoffDelay(k, baseDelay, maxDelay, jitter, random);
            // Never sleep past a deadline: this operator's own, or the scope's (`context`).
            if (scheduler.now() + delay >= at || (context !== undefined && delay >= context.remaining())) throw error;
            onRetry?.(error, k, delay);
            return timer(delay, scheduler);
          },
        }),
      );
      return (deadline === null ? retried : retried.pipe(tripAt<T>(() => at, 'fail', scheduler, deadline.label))).subscribe(subscriber);
    });
}

/** `min(maxDelay, baseDelay * 2^(k-1)) * (1 + random() * jitter)`; `random` is called only when `jitter > 0`. */
export function backoffDelay(k: number, baseDelay: number, maxDelay: number, jitter: number, random: () => number): number {
  // The exponent is capped so that 2^(k-1) stays finite (0 × Infinity would be NaN): past 2^1023
  // every delay is maxDelay anyway.
  const exponential = Math.min(maxDelay, baseDelay * 2 ** Math.min(k - 1, 1023));
  if (jitter === 0) return exponential;
  const r = random();
  if (typeof r !== 'number' || !(r >= 0 && r <= 1)) {
    throw new RangeError(`Expected \`random()\` to return a number from 0 to 1, got ${describe(r)}`);
  }
  return exponential * (1 + r * jitter);
}

/**
 * Whether `fn` is an error class rather than a predicate: a `class`, or a function whose
 * prototype is an `Error`'s (`Error` itself, ES5-style subclasses such as RxJS's `AjaxError`).
 */
function isErrorClass(fn: (...args: never[]) => unknown): boolean {
  const proto = (fn as { prototype?: unknown }).prototype;
  return fn === Error || proto instanceof Error || /^class\b/.test(Function.prototype.toString.call(fn));
}

/** `retryOn` as a predicate, validated: one class, an array of classes, or a predicate. */
function readRetryOn(path: string, retryOn: unknown): (error: unknown, attempt: number) => boolean {
  if (retryOn === undefined) return () => true;
  if (typeof retryOn === 'function') {
    if (!isErrorClass(retryOn as (...args: never[]) => unknown)) return retryOn as (error: unknown, attempt: number) => boolean;
    const only = retryOn as ErrorClass;
    return (error) => error instanceof only;
  }
  if (!Array.isArray(retryOn) || !retryOn.every((c) => typeof c === 'function')) {
    throw new TypeError(expected(path, 'be an error class, an array of error classes or a predicate function', retryOn));
  }
  if (retryOn.length === 0) {
    throw new RangeError(`Expected \`${path}\` to list at least one error class (an empty list would never retry; use \`attempts: 1\` for that), got \`[]\``);
  }
  const classes = [...retryOn] as ErrorClass[];
  return (error) => classes.some((c) => error instanceof c);
}

/** A `deadline` option: when it falls (from the time at subscription) and how its error names it. */
interface RetryDeadline {
  readonly resolve: (now: number) => number;
  readonly label: DeadlineLabel;
}

/** Reads `deadline`: `null`/absent for none, ms after subscription, or a `Date`. */
const readDeadline: Reader<RetryDeadline | null> = (path, value) => {
  if (value === undefined || value === null) return null;
  const resolve = deadlineResolver(path, value as number | Date);
  const label: DeadlineLabel =
    typeof value === 'number' ? { origin: 'retryBackoff', within: value } : { origin: 'retryBackoff', by: new Date(resolve(0)) };
  return { resolve, label };
};

/** Reads `context`: anything with a `remaining()` method (a task's `ctx`, a `Scope`). */
const readContext: Reader<Pick<TaskContext, 'remaining'> | undefined> = (path, value) => {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || typeof (value as Partial<TaskContext>).remaining !== 'function') {
    throw new TypeError(expected(path, `be a task context (the \`ctx\` of a scope's task) or a scope, with a \`remaining()\` method`, value));
  }
  return value as Pick<TaskContext, 'remaining'>;
};

/** The options `retryBackoff` knows and how each is read; any other key is a misspelling and fails at creation. */
const RETRY_OPTIONS = {
  attempts: opt.limit(3),
  baseDelay: opt.nonNegative(100),
  maxDelay: opt.nonNegative(2000),
  jitter: opt.nonNegative(0.1),
  retryOn: readRetryOn,
  deadline: readDeadline,
  context: readContext,
  resetOnSuccess: opt.boolean(false),
  onRetry: opt.fn<((error: unknown, attempt: number, delay: number) => void) | undefined>(undefined),
  random: opt.fn<() => number>(Math.random),
  scheduler: opt.scheduler<SchedulerLike>(asyncScheduler),
};
