import type { SchedulerLike } from 'rxjs';
import { describe, expected, validateFunction, validateLimit, validateNonNegative, validatePositive, validateScheduler } from './validate.js';

/**
 * The one options reader. Every entry point that takes an options object reads it here, once,
 * when the operator or object is created:
 *
 * - `undefined` is an empty object; anything that is not a plain object is a `TypeError`;
 * - a key that no reader knows is a `TypeError` that names it and lists the known ones;
 * - each value goes through its reader, which names it the one way messages name options:
 *   `options.settle` (or `<name>.<key>` for another parameter name).
 *
 * The readers below are imported as one namespace beside `readOptions` (`import * as opt` from
 * this module; bundlers still keep only the readers used):
 *
 * ```ts
 * const { ordered, settle } = readOptions('options', options, {
 *   ordered: opt.boolean(true),
 *   settle: opt.boolean(false),
 * });
 * ```
 */
export type Reader<T> = (path: string, value: unknown) => T;

/** The values a set of readers returns, key by key. */
export type ReadOptions<R extends Record<string, Reader<unknown>>> = { [K in keyof R]: ReturnType<R[K]> };

/** Reads `options` (named `name` in messages) with one reader per known key; see {@link Reader}. */
export function readOptions<R extends Record<string, Reader<unknown>>>(name: string, options: unknown, readers: R): ReadOptions<R> {
  const keys = Object.keys(readers);
  const given = checkOptionsObject(name, options, keys);
  const out = {} as Record<string, unknown>;
  for (const key of keys) out[key] = readers[key]!(`${name}.${key}`, given?.[key]);
  return out as ReadOptions<R>;
}

/**
 * `options` as a record, or `undefined`: a plain object (or a class instance meant as one, such
 * as an object literal's prototype-less copy) whose own keys are all in `known`.
 */
function checkOptionsObject(name: string, options: unknown, known: readonly string[]): Record<string, unknown> | undefined {
  if (options === undefined) return undefined;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(expected(name, 'be an object', options));
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      const list = known.length === 0 ? 'no options' : `one of ${known.map((k) => `\`${k}\``).join(', ')}`;
      throw new TypeError(`Unknown option \`${name}.${key}\`; expected ${list}`);
    }
  }
  return options as Record<string, unknown>;
}

// The readers shared by every entry point. Each is a plain function, not a method of one shared
// object, so that a bundle keeps only the readers its entry points use (an app importing only
// `boundedMap` carries `boolean`, not the scheduler check). Each returns `fallback` for an absent
// (`undefined`) value.

/** `true` or `false`. */
export function boolean<F extends boolean | undefined>(fallback: F): Reader<boolean | F> {
  return (path, value) => {
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') throw new TypeError(expected(path, 'be a boolean', value));
    return value;
  };
}

/** An integer ≥ `min` (default 1), or `Infinity` unless `allowInfinity` is false. */
export function limit<F extends number | undefined>(fallback: F, allowInfinity = true, min = 1): Reader<number | F> {
  return (path, value) => value === undefined ? fallback : validateLimit(path, value, allowInfinity, min);
}

/** A finite number ≥ 0 (a duration in ms, a factor). */
export function nonNegative<F extends number | undefined>(fallback: F): Reader<number | F> {
  return (path, value) => value === undefined ? fallback : validateNonNegative(path, value);
}

/** Any finite number (a priority: negative ones too). */
export function finite(fallback: number): Reader<number> {
  return (path, value) => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new RangeError(expected(path, 'be a finite number', value));
    return value;
  };
}

/** An integer from `min` to `max` (both included). */
export function integer(fallback: number, min: number, max: number): Reader<number> {
  return (path, value) => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new RangeError(expected(path, `be an integer from ${min} to ${max}`, value));
    }
    return value;
  };
}

/** A finite number > 0 (an interval, a window, a period: zero would mean nothing). */
export function positive<F extends number | undefined>(fallback: F): Reader<number | F> {
  return (path, value) => value === undefined ? fallback : validatePositive(path, value);
}

/** `reader`'s value; an absent (`undefined`) value is an error naming the key and `what` (what was expected). */
export function required<T>(reader: Reader<T>, what: string): Reader<T> {
  return (path, value) => {
    if (value === undefined) throw new TypeError(`Expected \`${path}\` (required) to be ${what}, got ${describe(value)}`);
    return reader(path, value);
  };
}

/** A function, or `fallback` (often `undefined`: the callback is optional). */
export function fn<F extends ((...args: never[]) => unknown) | undefined>(fallback: F): Reader<F> {
  return (path, value) => {
    if (value === undefined) return fallback;
    validateFunction(path, value);
    return value as F;
  };
}

/** A scheduler (see `validateScheduler`), or `fallback`. */
export function scheduler<F extends SchedulerLike | undefined>(fallback: F): Reader<SchedulerLike | F> {
  return (path, value) => value === undefined ? fallback : validateScheduler(path, value);
}

/** One of `values` (compared with `===`). */
export function oneOf<V extends string | number | boolean, F extends V | undefined>(values: readonly V[], fallback: F): Reader<V | F> {
  return (path, value) => {
    if (value === undefined) return fallback;
    if (!values.includes(value as V)) {
      throw new TypeError(expected(path, `be one of ${values.map((v) => `\`${JSON.stringify(v)}\``).join(', ')}`, value));
    }
    return value as V;
  };
}

/** A plain object (a record of handlers, data, hooks), or `{}` when absent; `what` says what it holds. */
export function record(what: string): Reader<Record<string, unknown>> {
  return (path, value) => {
    if (value === undefined) return {};
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new TypeError(expected(path, `be ${what}`, value));
    }
    return value as Record<string, unknown>;
  };
}

/** Anything, unchecked (for values checked elsewhere with more context). */
export function any<T>(): Reader<T | undefined> {
  return (_path, value) => value as T | undefined;
}

/** A fraction in (0, 1]: above 0, at most 1 (a failure ratio). */
export function fraction<F extends number | undefined>(fallback: F): Reader<number | F> {
  return (path, value) => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !(value > 0 && value <= 1)) {
      throw new RangeError(expected(path, 'be a number above 0 and at most 1', value));
    }
    return value;
  };
}

/** A string (a name for messages). */
export function string<F extends string | undefined>(fallback: F): Reader<string | F> {
  return (path, value) => {
    if (value === undefined) return fallback;
    if (typeof value !== 'string') throw new TypeError(expected(path, 'be a string', value));
    return value;
  };
}

/** `reader`'s value, or `undefined` when the value is `undefined` or `null` ("none"). */
export function optional<T>(reader: Reader<T>): Reader<T | undefined> {
  return (path, value) => value === undefined || value === null ? undefined : reader(path, value);
}
