import type { Task } from '../types.js';
import { isObservableInput, validateTask } from './task.js';
import { readOptions, type Reader, type ReadOptions } from './options.js';
import { describe } from './validate.js';

/**
 * Argument parsing shared by the combinators (`streamConcurrently`, `gather`, `firstToFinish`,
 * `firstSuccess`). Everything here runs when the combinator is called, never in a subscription.
 */

/** An object that is neither a task nor an ObservableInput: an options bag or a record of tasks. */
export function isPlainBag(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !isObservableInput(value);
}

/**
 * A combinator's options: `undefined` or an object that is not a task, read with `readers` by
 * the one options reader (a misspelt key is a TypeError naming the known ones).
 */
export function readCombinatorOptions<R extends Record<string, Reader<unknown>>>(value: unknown, readers: R): ReadOptions<R> {
  if (value !== undefined && !isPlainBag(value)) throw new TypeError(`Expected \`options\` to be an object, got ${describe(value)}`);
  return readOptions('options', value, readers);
}

/**
 * Splits variadic arguments into tasks and a trailing options object (when the last argument is
 * an object that is not a task), checking each task; `label` names them in messages. Fewer than
 * `min` tasks throw a RangeError. With `acceptsOptions` false, every argument must be a task.
 */
export function splitTasks(
  args: readonly unknown[],
  label: string,
  min: number,
  acceptsOptions: boolean,
): { tasks: Task<unknown>[]; options: Record<string, unknown> | undefined } {
  const last = args[args.length - 1];
  const hasOptions = acceptsOptions && args.length > 0 && isPlainBag(last);
  const raw = hasOptions ? args.slice(0, -1) : args;
  const tasks = raw.map((value, i) => validateTask(`${label}[${i}]`, value, acceptsOptions));
  if (tasks.length < min) {
    throw new RangeError(
      `Expected \`${label}\` to hold at least ${min} task${min === 1 ? '' : 's'}, got ${tasks.length}`,
    );
  }
  return { tasks, options: hasOptions ? (last as Record<string, unknown>) : undefined };
}
