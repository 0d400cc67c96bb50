import { from, isObservable, type Subscription } from 'rxjs';
import { LazyContext } from '../internal/context.js';
import type { FlowContext } from './types.js';

/** A handler's context: the vertex's name and a signal created on first read. */
export class FlowVertexContext extends LazyContext implements FlowContext {
  constructor(readonly vertex: string) {
    super();
  }
}

const observableKey: PropertyKey = (typeof Symbol === 'function' && (Symbol as { observable?: symbol }).observable) || '@@observable';

/**
 * Whether `value` is something RxJS's `from` accepts (Observable, interop observable, Promise or
 * thenable, array or iterable, async iterable, ReadableStream) rather than a record of outputs.
 * Any other object, class instances included, is taken as outputs. Unlike the task check in
 * lib/internal/task.ts, array-likes do not count: an outputs record may well have a `length`.
 */
export function isObservableInput(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (isObservable(value)) return true;
  const v = value as Record<PropertyKey, unknown>;
  return (
    typeof v['then'] === 'function' ||
    typeof v[Symbol.iterator] === 'function' ||
    typeof v[Symbol.asyncIterator] === 'function' ||
    typeof v[observableKey] === 'function' ||
    typeof v['getReader'] === 'function'
  );
}

/**
 * Calls `call` and follows what it returns to completion: a plain value goes to `next` at once
 * (no Observable made), anything else is subscribed with `from` and its last value (or
 * `undefined`) goes to `next` when it completes. A throw or error goes to `fail`. Returns the
 * subscription while the work is still running, `undefined` once it already finished.
 */
export function follow(call: () => unknown, next: (last: unknown) => void, fail: (error: unknown) => void): Subscription | undefined {
  let result: unknown;
  try {
    result = call();
  } catch (error) {
    fail(error);
    return undefined;
  }
  if (!isObservableInput(result)) {
    next(result);
    return undefined;
  }
  return subscribeLast(result, next, fail);
}

/** Subscribes to an ObservableInput and hands its last value (or `undefined`) to `next` on completion. */
export function subscribeLast(input: unknown, next: (last: unknown) => void, fail: (error: unknown) => void): Subscription | undefined {
  let source;
  try {
    source = from(input as Parameters<typeof from>[0]);
  } catch (error) {
    fail(error);
    return undefined;
  }
  let last: unknown = undefined;
  let finished = false;
  const subscription = source.subscribe({
    next: (value) => (last = value),
    error: (error) => {
      finished = true;
      fail(error);
    },
    complete: () => {
      finished = true;
      next(last);
    },
  });
  return finished ? undefined : subscription;
}
