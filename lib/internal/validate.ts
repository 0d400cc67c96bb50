import { Scheduler, type SchedulerLike } from 'rxjs';

/**
 * Argument checks shared by every primitive. They run when an operator or creation function is
 * called, never inside a subscription, and their messages name the parameter, what was expected
 * and what was received, e.g. "Expected `limit` to be an integer from 1 and up or `Infinity`, got `0` (number)".
 */

/** Renders a received value for an error message: `0` (number), `"8"` (string), `NaN` (number). */
export function describe(value: unknown): string {
  const type = value === null ? 'null' : typeof value;
  let shown: string;
  if (type === 'string') shown = JSON.stringify(value);
  else if (type === 'function') shown = (value as () => void).name ? `function ${(value as () => void).name}` : 'function';
  else if (type === 'bigint') shown = `${value as bigint}n`;
  else if (type === 'object') {
    try {
      shown = JSON.stringify(value) ?? String(value);
    } catch {
      shown = Object.prototype.toString.call(value);
    }
  } else shown = String(value);
  return `\`${shown}\` (${type})`;
}

/**
 * The one shape of a failed check's message, "Expected `name` to `what`, got `value` (type)", e.g.
 * `expected('limit', 'be an integer from 1 and up', 0)`. (One builder: every message says it the same way.)
 */
export function expected(name: string, what: string, value: unknown): string {
  return `Expected \`${name}\` to ${what}, got ${describe(value)}`;
}

/** Whether `value` is an integer ≥ `min` (default 1), or `Infinity` when `allowInfinity` (default true). */
export function isLimit(value: unknown, allowInfinity = true, min = 1): value is number {
  return typeof value === 'number' && ((Number.isInteger(value) && value >= min) || (allowInfinity && value === Infinity));
}

/** An integer ≥ `min` (default 1), or `Infinity` when `allowInfinity` (default true). */
export function validateLimit(name: string, value: unknown, allowInfinity = true, min = 1): number {
  if (!isLimit(value, allowInfinity, min)) {
    throw new RangeError(expected(name, `be an integer from ${min} and up${allowInfinity ? ' or `Infinity`' : ''}`, value));
  }
  return value;
}

/** A finite number ≥ 0 (a delay, a jitter factor, a duration in milliseconds). */
export function validateNonNegative(name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) {
    throw new RangeError(expected(name, 'be a finite number from 0 and up', value));
  }
  return value;
}

/** A finite number > 0 (an interval in milliseconds). */
export function validatePositive(name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new RangeError(expected(name, 'be a finite number above 0', value));
  }
  return value;
}

/** A function (a project, handler, predicate or callback). */
export function validateFunction(name: string, value: unknown): void {
  if (typeof value !== 'function') {
    throw new TypeError(expected(name, 'be a function', value));
  }
}

/**
 * A scheduler, refused where it is written rather than on the first subscription (where a
 * look-alike makes deadlines never fire or teardown throw). RxJS's own schedulers (`Scheduler`
 * instances: `asyncScheduler`, `TestScheduler`, …) pass at once; any other object must have
 * `now()` returning a finite number and `schedule()` returning a Subscription-like (an object with
 * `unsubscribe()`): both are called once, with a no-op unsubscribed at once, to find out.
 */
export function validateScheduler(name: string, scheduler: unknown): SchedulerLike {
  if (scheduler instanceof Scheduler) return scheduler;
  const expected = `Expected \`${name}\` to be a scheduler (such as \`asyncScheduler\`, or an object whose \`now()\` returns a finite number and whose \`schedule()\` returns a Subscription)`;
  const s = scheduler as Partial<SchedulerLike> | null;
  if (s === null || (typeof s !== 'object' && typeof s !== 'function') || typeof s.now !== 'function' || typeof s.schedule !== 'function') {
    throw new TypeError(`${expected}, got ${describe(scheduler)}`);
  }
  let now: unknown;
  let subscription: unknown;
  try {
    now = s.now();
    subscription = s.schedule(() => undefined, 0);
  } catch (error) {
    throw new TypeError(`${expected}, got ${describe(scheduler)}, which threw when probed: ${error instanceof Error ? error.message : String(error)}`);
  }
  const unsubscribe = subscription !== null && typeof subscription === 'object' ? (subscription as { unsubscribe?: unknown }).unsubscribe : undefined;
  if (typeof unsubscribe === 'function') unsubscribe.call(subscription);
  if (typeof now !== 'number' || !Number.isFinite(now)) {
    throw new TypeError(`${expected}, got ${describe(scheduler)}, whose \`now()\` returned ${describe(now)}`);
  }
  if (typeof unsubscribe !== 'function') {
    throw new TypeError(`${expected}, got ${describe(scheduler)}, whose \`schedule()\` returned ${describe(subscription)}`);
  }
  return scheduler as SchedulerLike;
}
