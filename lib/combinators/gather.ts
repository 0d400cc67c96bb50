import { Observable, Subscription, asapScheduler, map } from 'rxjs';
import type { Settled, Task, TaskResult } from '../types.js';
import { isPlainBag, readCombinatorOptions, splitTasks } from '../internal/combinators-args.js';
import { openFeed } from '../internal/feed.js';
import * as opt from '../internal/options.js';
import { runPool } from '../internal/pool.js';
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
  /**
   * Without `settle`, what the output errors with when tasks fail:
   * - `'first'` (default): the first failure, unwrapped, at once;
   * - `'all'`: the first failure cancels nothing yet; the other tasks are cancelled at the end of
   *   the current turn (an `asapScheduler` action: a microtask; in `TestScheduler.run`, later in
   *   the same frame), and the output errors with an `AggregateError` of every failure reported
   *   until then, in input order — even when there is only one. Tasks failing in the same
   *   synchronous turn or the same virtual frame are all in it. Trio's / anyio's `ExceptionGroup`.
   *
   * Ignored with `settle: true`, which never errors.
   */
  readonly errors?: 'first' | 'all';
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
 * index or key. No tasks: emits `[]` (or `{}`) and completes. With `{ errors: 'all' }`, tasks
 * that fail together (in the same turn) are reported together, in one `AggregateError`.
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
 * f:                          ---#
 * gather(a, e, f, { errors: 'all' }):
 *                             ---#              AggregateError [error of e, error of f]; a unsubscribed at 3
 * ```
 *
 * @throws TypeError when an argument is not a task, `options` is not an object, `settle` is not
 *   a boolean or `errors` is neither `'first'` nor `'all'` (at call time).
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
    const { settle, errors } = readCombinatorOptions(args[1], GATHER_OPTIONS);
    const shape = (values: unknown[]): unknown => Object.fromEntries(keys.map((key, i) => [key, values[i]]));
    return collect(tasks, settle, errors, (i) => keys[i]!, shape);
  }
  const { tasks, options } = splitTasks(args, 'tasks', 0, true);
  const { settle, errors } = readCombinatorOptions(options, GATHER_OPTIONS);
  return collect(tasks, settle, errors, (i) => i, (values) => values);
}

/** What `gather`'s options object may hold. */
const GATHER_OPTIONS = { settle: opt.boolean(false), errors: opt.oneOf(['first', 'all'] as const, 'first') };

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
  errors: 'first' | 'all',
  keyOf: (index: number) => number | string,
  shape: (results: unknown[]) => unknown,
): Observable<unknown> {
  if (errors === 'all' && !settle) return collectAll(tasks, keyOf, shape);
  return collectInOrder(tasks, runTask, Infinity, settle, keyOf).pipe(map(shape));
}

/**
 * `errors: 'all'`: the pool in settle mode (it never errors), whose first rejection starts the
 * failing: an `asapScheduler` action then closes the pool and errors with every failure so far.
 */
function collectAll(
  tasks: readonly Task<unknown>[],
  keyOf: (index: number) => number | string,
  shape: (results: unknown[]) => unknown,
): Observable<unknown> {
  const config = { project: runTask, limit: Infinity, ordered: false, values: 'last', settle: true, key: keyOf } as const;
  return new Observable<unknown>((subscriber) => {
    // Results land at their task's index as tasks finish.
    const results: unknown[] = [];
    // The failures so far, at their task's index (sparse); set once failing.
    let failures: unknown[] | undefined;
    // The pool's own subscription, closed by the teardown while the output is still open.
    const pool = new Subscription();
    subscriber.add(pool);
    const fail = (): void => {
      pool.unsubscribe();
      const all = failures!.filter(() => true);
      subscriber.error(new AggregateError(all, all.length === 1 ? '1 task failed' : `${all.length} tasks failed`));
    };
    runPool(pool, openFeed(tasks), config, {
      next: (value, index) => {
        const settled = value as Settled<unknown>;
        if (settled.status === 'fulfilled') return void (results[index] = settled.value);
        if (failures === undefined) subscriber.add(asapScheduler.schedule(fail));
        (failures ??= [])[index] = settled.reason;
      },
      error: (error) => subscriber.error(error),
      // Every task has ended: nothing left to cancel, so a failing gather errors now.
      complete: () => {
        if (failures !== undefined) return fail();
        subscriber.next(shape(results));
        subscriber.complete();
      },
    });
  });
}
