/**
 * Deep equality for marble assertions, without jest: the test scheduler of
 * `rxjs-concurrency/testing` compares emitted values with it.
 */
import { readOptions } from '../internal/options.js';
import * as opt from '../internal/options.js';

/** How {@link deepEqual} compares objects. */
export interface EqualityOptions {
  /**
   * `true` (the default): like jest's `toStrictEqual` — a property set to `undefined` differs from
   * a missing one, array holes differ from `undefined`, and objects must share a prototype
   * (a `Point` instance is not equal to an object literal with the same fields).
   * `false`: like jest's `toEqual` — `undefined` properties and holes count as missing and
   * prototypes are ignored.
   */
  readonly strict?: boolean;
}

/**
 * Structural equality of two values, the way marble tests need it.
 *
 * Primitives compare with `Object.is` (so `NaN` equals `NaN`, and `0` differs from `-0`);
 * functions and symbols by identity; arrays, plain objects and class instances by their own
 * enumerable keys (symbols included), recursively; `Date` by time (two invalid dates are equal);
 * `RegExp` by source and flags; `Map` by entries and `Set` by members (keys and members matched
 * deeply when not found by identity); typed arrays and `DataView` by their bytes; `Error`s by
 * name, message and own enumerable properties. Cycles are handled.
 *
 * @example
 * deepEqual({ at: new Date(0), tags: new Set(['a']) }, { at: new Date(0), tags: new Set(['a']) }); // true
 * deepEqual({ a: undefined }, {});                    // false
 * deepEqual({ a: undefined }, {}, { strict: false }); // true
 */
export function deepEqual(a: unknown, b: unknown, options?: EqualityOptions): boolean {
  const { strict } = readOptions('options', options, EQUALITY_OPTIONS);
  return equal(a, b, strict, new Map());
}

/** What {@link deepEqual}'s options may hold. */
const EQUALITY_OPTIONS = { strict: opt.boolean(true) };

type Seen = Map<object, Set<object>>;

function equal(a: unknown, b: unknown, strict: boolean, seen: Seen): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;

  // Assume equal while comparing a pair already under comparison (cycles).
  let partners = seen.get(a);
  if (partners?.has(b)) return true;
  if (!partners) seen.set(a, (partners = new Set()));
  partners.add(b);

  if (Object.prototype.toString.call(a) !== Object.prototype.toString.call(b)) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (strict && Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;

  if (a instanceof Date || b instanceof Date) {
    if (!(a instanceof Date && b instanceof Date)) return false;
    return Object.is(a.getTime(), b.getTime()) && sameKeys(a, b, strict, seen);
  }
  if (a instanceof RegExp || b instanceof RegExp) {
    return a instanceof RegExp && b instanceof RegExp && String(a) === String(b);
  }
  if (a instanceof Number || a instanceof String || a instanceof Boolean) {
    return Object.is(a.valueOf(), (b as { valueOf(): unknown }).valueOf());
  }
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (!(ArrayBuffer.isView(a) && ArrayBuffer.isView(b))) return false;
    const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    return true;
  }
  if (a instanceof Map || b instanceof Map) {
    if (!(a instanceof Map && b instanceof Map) || a.size !== b.size) return false;
    for (const [key, value] of a) {
      if (b.has(key)) {
        if (!equal(value, b.get(key), strict, seen)) return false;
        continue;
      }
      let found = false;
      for (const [otherKey, otherValue] of b) {
        if (!a.has(otherKey) && equal(key, otherKey, strict, seen) && equal(value, otherValue, strict, seen)) {
          found = true;
          break;
        }
      }
      if (!found) return false;
    }
    return true;
  }
  if (a instanceof Set || b instanceof Set) {
    if (!(a instanceof Set && b instanceof Set) || a.size !== b.size) return false;
    for (const member of a) {
      if (b.has(member)) continue;
      let found = false;
      for (const other of b) {
        if (!a.has(other) && equal(member, other, strict, seen)) {
          found = true;
          break;
        }
      }
      if (!found) return false;
    }
    return true;
  }
  if (a instanceof Error || b instanceof Error) {
    if (!(a instanceof Error && b instanceof Error)) return false;
    if (a.name !== b.name || a.message !== b.message) return false;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length !== b.length) return false;
  return sameKeys(a, b, strict, seen);
}

/** Internal: an object's own enumerable keys, symbols included. */
export function ownKeys(o: object): PropertyKey[] {
  return Reflect.ownKeys(o).filter((k) => Object.prototype.propertyIsEnumerable.call(o, k));
}

function sameKeys(a: object, b: object, strict: boolean, seen: Seen): boolean {
  const x = a as Record<PropertyKey, unknown>;
  const y = b as Record<PropertyKey, unknown>;
  const keysA = ownKeys(a);
  const keysB = ownKeys(b);
  if (strict) {
    if (keysA.length !== keysB.length) return false;
    for (const key of keysA) {
      if (!Object.prototype.propertyIsEnumerable.call(b, key)) return false;
      if (!equal(x[key], y[key], strict, seen)) return false;
    }
    return true;
  }
  // Loose: a key holding `undefined` counts as missing.
  for (const key of new Set([...keysA, ...keysB])) {
    if (!equal(x[key], y[key], strict, seen)) return false;
  }
  return true;
}
