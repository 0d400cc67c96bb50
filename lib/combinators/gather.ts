import { map, type Observable } from 'rxjs';
import type { Settled, Task, TaskResult } from '../types.js';
import { isPlainBag, readCombinatorOptions, splitTasks } from '../internal/combinators-args.js';
import { opt } from '../internal/options.js';
import { runTask, validateTask } from '../internal/task.js';
import { describe } from '../internal/validate.js';
import { collectInOrder } from '../fanout/collect.js';

/** Options of {@link gather}. */
export interface GatherOptions {
  /**
   * `false` (default): the first failure errors the output and cancels the other tasks.
   * `true`: never error on a task's failure; emit a {@link Settled} per task instead.
   */
  readonly settle?: boolean;
}

/** The result of {@link gather}: each task's last value, per position (tuple) or per key (object). */
export type GatherResults<A> = { -readonly [K in keyof A]: TaskResult<A[K]> };

/** The result of {@link gather} with `{ settle: true }`: a {@link Settled} per position or key. */
export type GatherSettled<A> = { -readonly [K in keyof A]: Settled<TaskResult<A[K]>> };

type TaskRecord = Readonly<Record<string, Task<unknown>>>;
type TaskList = readonly Task<unknown>[];

/**
 * Runs every task at once and emits one tuple (or object) of their last values, in input order
 * (or under their keys), then completes: `forkJoin` with cancellation, factories and `settle`.
 *
 * Think `asyncio.gather` / `Promise.all`: wait for all of them, get the results in the order you
 * asked for them, whatever order they finished in. The first failure errors the output with that
 * very error (unwrapped) and unsubscribes every task still running, aborting its `ctx.signal`. With
 * `{ settle: true }` nothing errors: each slot holds a {@link Settled} (`Promise.allSettled`).
 * A task that completes without a value is a failure with an {@link EmptyTaskError} naming its
 * index or key. No tasks: emits `[]` (or `{}`) and completes.
 *
 * Tasks are started in input order on subscription; factories `(ctx) => ObservableInput` are called
 * then (a bare Promise is already running). If a task fails synchronously, later ones never start.
 * The result is typed per position or key, like `forkJoin`. Unlike `forkJoin([a, b])`, an array
 * argument is one task (an array is an `ObservableInput` whose items are its values): spread a
 * list of tasks, `gather(...tasks)`.
 *
 * ```text
 * a:                          ----1--2|
 * b:                          -x|
 * c:                          -------y|
 * gather(a, b, c):            --------(r|)      r = [2, 'x', 'y']
 * e:                          ---#
 * gather(a, e):               ---#              (a unsubscribed at the error)
 * gather(a, e, { settle: true }):
 *                             --------(s|)      s = [{ status: 'fulfilled', value: 2 }, { status: 'rejected', reason }]
 * ```
 *
 * @throws TypeError when an argument is not a task, `options` is not an object or `settle` is not
 *   a boolean (at call time).
 *
 * @example
 * ```ts
 * gather(http.get<User>(`/users/${id}`), (ctx) => fetch(`/prefs/${id}`, { signal: ctx.signal }).then((r) => r.json()))
 *   .subscribe(([user, prefs]) => render(user, prefs));
 *
 * gather({ user: user$, orders: orders$ }, { settle: true })
 *   .subscribe(({ user, orders }) => { if (orders.status === 'rejected') showRetry(); });
 * ```
 */
export function gather<R extends TaskRecord>(tasks: R, options: GatherOptions & { readonly settle: true }): Observable<GatherSettled<R>>;
/** `gather({ a, b })`: one object of the tasks' last values under the same keys. See the first overload. */
export function gather<R extends TaskRecord>(tasks: R, options?: GatherOptions & { readonly settle?: false }): Observable<GatherResults<R>>;
/** `gather({ a, b }, options)` with a `settle` known only at run time. See the first overload. */
export function gather<R extends TaskRecord>(tasks: R, options: GatherOptions): Observable<GatherResults<R> | GatherSettled<R>>;
/** `gather(a, b)`: one tuple of the tasks' last values, in input order. See the first overload. */
export function gather<A extends TaskList>(...tasks: A): Observable<GatherResults<A>>;
/** `gather(a, b, { settle: true })`: one tuple of {@link Settled}, in input order. See the first overload. */
export function gather<A extends TaskList>(
  ...args: [...tasks: A, options: GatherOptions & { readonly settle: true }]
): Observable<GatherSettled<A>>;
/** `gather(a, b, { settle: false })`: one tuple of last values, in input order. See the first overload. */
export function gather<A extends TaskList>(
  ...args: [...tasks: A, options: GatherOptions & { readonly settle?: false }]
): Observable<GatherResults<A>>;
/** `gather(a, b, options)` with a `settle` known only at run time. See the first overload. */
export function gather<A extends TaskList>(
  ...args: [...tasks: A, options: GatherOptions]
): Observable<GatherResults<A> | GatherSettled<A>>;
export function gather(...args: unknown[]): Observable<unknown> {
  const first = args[0];
  if (isPlainBag(first)) {
    const proto: unknown = Object.getPrototypeOf(first);
    if (proto !== Object.prototype && proto !== null) {
      throw new TypeError(
        `Expected \`tasks\` to be tasks, or a plain object of tasks such as { a: task, b: task }, got ${describe(first)} (a ${(first as object).constructor?.name ?? 'class instance'})`,
      );
    }
    if (args.length > 2) {
      throw new TypeError(`Expected \`tasks\` (an object of tasks) to be followed by at most an options object: gather({ ...tasks }, options?) takes at most 2 arguments, got ${args.length}`);
    }
    const keys = Object.keys(first);
    const tasks = keys.map((key) => validateTask(`tasks${propertyPath(key)}`, first[key]));
    const { settle } = readCombinatorOptions(args[1], GATHER_OPTIONS);
    return collect(tasks, settle, (i) => keys[i]!, (values) => Object.fromEntries(keys.map((key, i) => [key, values[i]])));
  }
  const { tasks, options } = splitTasks(args, 'tasks', 0, true);
  return collect(tasks, readCombinatorOptions(options, GATHER_OPTIONS).settle, (i) => i, (values) => values);
}

/** What `gather`'s options object may hold. */
const GATHER_OPTIONS = { settle: opt.boolean(false) };

/** `.name` for identifiers, `["odd key"]` otherwise. */
function propertyPath(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

/**
 * Runs the tasks (a pool with no limit, one result per task) and emits `shape(results)` once
 * every task has its result; `keyOf` names a task in an `EmptyTaskError`.
 */
function collect(
  tasks: readonly Task<unknown>[],
  settle: boolean,
  keyOf: (index: number) => number | string,
  shape: (results: unknown[]) => unknown,
): Observable<unknown> {
  return collectInOrder(tasks, runTask, Infinity, settle, keyOf).pipe(map(shape));
}
