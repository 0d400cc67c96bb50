import { AsyncSubject, Observable, asapScheduler, asyncScheduler, type ObservableInput, type SchedulerLike, type Subscriber } from 'rxjs';
import { deadlineResolver } from '../resilience/deadline.js';
import { armDeadline, deadlineError, type DeadlineLabel } from '../internal/clock.js';
import { FollowRun, TaskRun, notObservableInputError } from '../internal/lifecycle.js';
import { opt, readOptions } from '../internal/options.js';
import { signalOption, takeUntilAborted } from '../resilience/takeUntilAborted.js';
import { startTask, validateTask } from '../internal/task.js';
import { describe, validateFunction } from '../internal/validate.js';
import type { ClassOf, Task } from '../types.js';
import { EventBus, validateClass, validateObject, type RequestOptions } from './bus.js';
import { ScopeEndedError, StateMissingError } from './errors.js';

/**
 * Options of {@link scope} and `parent.scope(…)`.
 *
 * @example
 * ```ts
 * scope('import', body, { deadline: 30_000, state: [new Config('https://api')] });
 * parent.scope('worker', body, { isolated: true }); // own task group and own bus
 * ```
 */
export interface ScopeOptions {
  /**
   * Own task group and own {@link EventBus} (default `false` for a nested scope; a root scope is
   * always isolated). A non-isolated scope shares its parent's bus and its spawned tasks belong
   * to the nearest isolated scope's group: their failure fails that whole group.
   */
  readonly isolated?: boolean;
  /**
   * State objects for this scope and its children, each found by `scope.state(Type)` under its
   * exact constructor. They override the same types of the parent scopes for this scope only.
   */
  readonly state?: readonly object[];
  /**
   * When the scope fails with a `DeadlineError`: milliseconds after subscription, or a `Date`
   * (compared with `scheduler.now()`). Children inherit the nearest (earliest) deadline. The
   * message names the scope that set it and its budget (`scope "import": not finished within
   * 30000 ms`); a deadline already past at subscription fails the scope before the body runs.
   */
  readonly deadline?: number | Date;
  /**
   * What the scope errors with when work in it fails (default: the parent's mode, else `'first'`):
   * - `'first'`: the first failure (a task's or the body's error, unwrapped) ends the scope at once,
   *   cancelling everything else;
   * - `'all'`: the first failure makes the scope *failing*: it cancels nothing yet, and its
   *   teardown (cancel the body and every task, then error) runs as one action at the end of the
   *   current turn — a microtask (`asapScheduler`), or an action at delay 0 on `options.scheduler`
   *   when one is given (in `TestScheduler.run`, later in the same frame). Every failure reported
   *   before that teardown — in the same synchronous turn, the same frame, or while it runs — is
   *   collected, and the scope errors with an `AggregateError` of them all in the order their
   *   tasks started (the body first), even when there is only one. A deadline that passes
   *   ends the scope at once with its `DeadlineError`, or, while failing, adds it last.
   *
   * anyio's task groups and Python's `ExceptionGroup`.
   */
  readonly errors?: 'first' | 'all';
  /** Scheduler for the deadline and for `scope.request` timeouts (default: the parent's, else `asyncScheduler`). */
  readonly scheduler?: SchedulerLike;
  /**
   * Root scopes only: the bus the scope uses instead of a new one, e.g. one joined to other
   * threads, tabs or processes (`new EventBus({ transport, codec })`). The scope owns it from
   * then on and closes it when the body ends, as it does its own bus, so it serves one run: a
   * second subscription of the same scope finds it closed.
   */
  readonly bus?: EventBus;
  /**
   * An outside cancellation signal (an Express handler's, a test's `AbortController`): when it
   * aborts, the scope is cancelled as if unsubscribed (its body, tasks and `scope.signal` with it)
   * and its Observable errors with `signal.reason`. A signal already aborted fails the scope at
   * subscription, before the body runs. As `takeUntilAborted(signal)` on the scope.
   */
  readonly signal?: AbortSignal;
}

/**
 * The body of a scope: receives the {@link Scope} handle; the last value it emits is the scope's result.
 *
 * @example
 * ```ts
 * const body: ScopeBody<number> = (s) => s.spawn(() => fetchCount(s.signal));
 * ```
 */
export type ScopeBody<R> = (scope: Scope) => ObservableInput<R>;

/**
 * The handle a scope body receives. It lives for one subscription of the scope's Observable:
 * spawn tasks into it, read its state, talk on its bus, open child scopes, or cancel it.
 *
 * @example
 * ```ts
 * scope('app', (s) => {
 *   const user = s.spawn((ctx) => fetch('/me', { signal: ctx.signal }).then((r) => r.json()));
 *   s.spawnBackground(heartbeat$);                       // not waited for, may outlive the scope
 *   return s.scope('render', (child) => {
 *     log(child.path);                                   // "app/render"
 *     return user.pipe(map((u) => render(u, child.state(Theme))));
 *   });
 * }, { state: [new Theme('dark')] });
 * ```
 */
export interface Scope {
  /** The scope's own name. */
  readonly name: string;
  /** Names from the root, joined by `/`, e.g. `app/import/batch`: for logging. */
  readonly path: string;
  /** The enclosing scope, `undefined` for a root scope. */
  readonly parent: Scope | undefined;
  /** Whether the scope has its own task group and event bus. */
  readonly isolated: boolean;
  /** The deadline in effect (own or inherited), in `scheduler.now()` milliseconds, if any. */
  readonly deadline: number | undefined;
  /**
   * The milliseconds left before {@link deadline}, now (never below 0), or `Infinity` when there
   * is none; each spawned task's `ctx.remaining()` reads it too. `retryBackoff({ context: scope })`
   * (or `{ context: ctx }` in a task) stops retrying instead of sleeping past it.
   */
  remaining(): number;
  /** The bus of the nearest isolated scope (its own when isolated). */
  readonly bus: EventBus;
  /**
   * Aborts when the scope is cancelled: unsubscribed, `cancel()`ed, failed (body or task error,
   * deadline). Not aborted by a normal completion. Created lazily, on first read.
   */
  readonly signal: AbortSignal;
  /**
   * Starts `task` now as part of this scope: the scope does not complete before it settles, is
   * cancelled with the scope, and fails (cancelling everything else) if the task fails. Returns
   * the task's {@link TaskHandle}: its result, an Observable that emits the task's last value
   * when it completes (shared: subscribing does not start it again; unsubscribing does not stop
   * it), with `cancel()` to cancel that task alone. A cancelled task's result completes without a
   * value and its handle's `cancelled` is `true`. Throws {@link ScopeEndedError} once the scope
   * has ended, and a `TypeError` when `task` is neither a factory nor an `ObservableInput`.
   *
   * ```text
   * task:    ---a--b|
   * result:  -------(b|)   the last value, once; replayed to late subscribers
   * task:    ---a--b|      handle.cancel() at 4
   * result:  ----|         unsubscribed at 4, completes empty; the scope goes on
   * ```
   */
  spawn<T>(task: Task<T>): TaskHandle<T>;
  /**
   * Starts `task` now, detached from the scope's group: it may outlive the scope, its failure
   * does not fail the scope (it only reaches subscribers of the returned result), and only
   * {@link shutdownBackground}, its handle's `cancel()` or its own end stops it. Returns its
   * {@link TaskHandle} like {@link spawn}.
   */
  spawnBackground<T>(task: Task<T>): TaskHandle<T>;
  /**
   * The nearest state object whose constructor is exactly `Type`, looking in this scope, then its
   * parents. With none, `new Type()` is created once and cached in this scope; if that throws,
   * {@link StateMissingError}.
   */
  state<T extends object>(Type: ClassOf<T>): T;
  /** A nested scope: `parent.scope(name, body, options)` (not isolated unless asked). */
  scope<R>(name: string, body: ScopeBody<R>, options?: ScopeOptions): Observable<R>;
  /** `bus.send(event)` on this scope's bus. */
  send(event: object): void;
  /** `bus.on(Type)` on this scope's bus. */
  on<T extends object>(Type: ClassOf<T>): Observable<T>;
  /** `bus.request(…)` on this scope's bus; the timeout uses the scope's scheduler by default. */
  request<Res extends object>(
    request: object,
    ResponseType: ClassOf<Res>,
    match: (response: Res) => boolean,
    options?: RequestOptions,
  ): Observable<Res>;
  /**
   * Cancels the scope from inside, as unsubscribing does from outside: the body and every task
   * are unsubscribed, the signal aborts, and the scope's Observable completes without a value.
   */
  cancel(): void;
}

/**
 * What `scope.spawn` and `scope.spawnBackground` return: the task's shared result (an Observable
 * of its last value, replayed to late subscribers) that can also cancel that one task.
 *
 * `cancel()` unsubscribes the task and aborts its `ctx.signal`; the scope does not fail and goes
 * on (it no longer waits for the task), and the other tasks are untouched. The result then
 * completes without a value, as it does for a task that completed empty: `cancelled` tells the
 * two apart. It is also `true` for a task cancelled by its scope ending (failed, cancelled,
 * unsubscribed) or by {@link shutdownBackground}. Once the task has ended, `cancel()` does nothing.
 * anyio's `CancelScope.cancel()` / `cancelled_caught` for one task; haiway's task handles.
 *
 * ```text
 * task:     ---a--b|     handle.cancel() at 4
 * result:   ----|        completes empty at 4; cancelled === true
 * ```
 *
 * @example
 * ```ts
 * scope('search', (s) => {
 *   const slow = s.spawn((ctx) => fetch('/slow', { signal: ctx.signal }));
 *   const fast = s.spawn((ctx) => fetch('/fast', { signal: ctx.signal }));
 *   return fast.pipe(tap(() => slow.cancel()));        // the scope completes without waiting for slow
 * });
 * ```
 */
export interface TaskHandle<T> extends Observable<T> {
  /** Cancels this task alone (if it still runs): unsubscribes it and aborts its signal; its result completes empty. */
  cancel(): void;
  /** Whether the task was cancelled (by `cancel()`, its scope ending or `shutdownBackground`) before it ended on its own. */
  readonly cancelled: boolean;
}

/** A {@link TaskHandle}: subscribing subscribes to the task's shared result. */
class Handle<T> extends Observable<T> implements TaskHandle<T> {
  constructor(private readonly run: SharedTask<T>) {
    super((subscriber) => run.result.subscribe(subscriber));
  }
  get cancelled(): boolean {
    return this.run.cancelled;
  }
  cancel(): void {
    this.run.cancel();
  }
}

/** What `scope(…)` validated at call time; shared by every subscription. */
interface ScopeConfig<R> {
  readonly name: string;
  readonly body: ScopeBody<R>;
  readonly isolated: boolean;
  readonly state: ReadonlyMap<unknown, object> | undefined;
  /** The own deadline, validated, as a function of the time at subscription. */
  readonly deadline: ((now: number) => number) | undefined;
  /** How a `DeadlineError` of the own deadline describes it, less the scope's path. */
  readonly deadlineBudget: Omit<DeadlineLabel, 'origin'> | undefined;
  readonly scheduler: SchedulerLike | undefined;
  /** `options.errors`, if given (else the parent's mode). */
  readonly errors: 'first' | 'all' | undefined;
  /** The bus given with `options.bus` (root scopes only). */
  readonly bus: EventBus | undefined;
}

/**
 * Runs `body` inside a new root scope: structured concurrency for Observables.
 *
 * Each subscription runs the body afresh with a new {@link Scope} handle. The Observable:
 * - completes only after the body has completed **and** every task spawned with `scope.spawn`
 *   has settled (it waits, it does not cancel healthy tasks), emitting the body's last value;
 * - errors with the body's error, cancelling every spawned task;
 * - errors with a spawned task's error (unwrapped) when one fails, cancelling the other tasks and
 *   the body; with `errors: 'all'`, at the end of that turn, with an `AggregateError` of every
 *   failure of the turn ({@link ScopeOptions.errors});
 * - fails with a `DeadlineError` when `options.deadline` passes;
 * - when unsubscribed, cancels the body and all tasks and aborts `scope.signal`.
 *
 * The scope's event bus is closed when the body ends, before the scope waits for its tasks, so
 * subscriber loops (`scope.on(Type)`) complete instead of keeping the scope open.
 *
 * ```text
 * body:     -x|
 * spawned:  -----a|
 * scope:    ------(x|)   waits for the task, emits the body's last value
 *
 * task A:   --#          fails at 2
 * task B:   ----------b| cancelled at 2
 * scope:    --#          errors with A's error
 * ```
 *
 * @example
 * ```ts
 * scope('import', (s) => {
 *   s.spawn(() => s.on(Row).pipe(tap(save)));         // a subscriber loop, ends with the body
 *   for (const file of files) s.spawn((ctx) => upload(file, ctx.signal));
 *   return readRows(files).pipe(tap((row) => s.send(row)), count());
 * }, { deadline: 60_000 }).subscribe((rows) => console.log(`${rows} rows`));
 * ```
 */
export function scope<R>(name: string, body: ScopeBody<R>, options?: ScopeOptions): Observable<R> {
  return makeScope(undefined, name, body, options);
}

/** The tasks started with `spawnBackground` that are still running, in any scope. */
const background = new Set<SharedTask<unknown>>();

/**
 * Cancels every background task (started with `scope.spawnBackground`) that is still running,
 * anywhere. Their results complete without a value. Call it on application shutdown.
 *
 * @example
 * ```ts
 * window.addEventListener('pagehide', () => shutdownBackground());
 * ```
 */
export function shutdownBackground(): void {
  const running = [...background];
  background.clear();
  for (const task of running) task.cancel();
}

function makeScope<R>(
  parent: ScopeRun<unknown> | undefined,
  name: string,
  body: ScopeBody<R>,
  options: ScopeOptions | undefined,
): Observable<R> {
  if (typeof name !== 'string' || name === '') {
    throw new TypeError(`Expected \`name\` to be a non-empty string, got ${describe(name)}`);
  }
  validateFunction('body', body);
  const read = readOptions('options', options, {
    isolated: opt.boolean(false),
    state: opt.any<unknown>(),
    deadline: opt.any<number | Date>(),
    scheduler: opt.scheduler(undefined),
    // Absent: the parent's mode (so no fallback here); `null` is refused like any other value.
    errors: (path: string, value: unknown) => (value === undefined ? undefined : opt.oneOf(['first', 'all'] as const, 'first')(path, value)),
    bus: opt.any<unknown>(),
    signal: signalOption,
  });
  const deadline = read.deadline === undefined ? undefined : deadlineResolver('options.deadline', read.deadline);
  const config: ScopeConfig<R> = {
    name,
    body,
    isolated: parent === undefined || read.isolated,
    state: stateMap(read.state),
    deadline,
    deadlineBudget: read.deadline === undefined ? undefined : typeof read.deadline === 'number' ? { within: read.deadline } : { by: read.deadline },
    scheduler: read.scheduler,
    errors: read.errors,
    bus: givenBus(parent, read.bus),
  };
  const scoped = new Observable<R>((subscriber) => {
    const run = new ScopeRun(parent, config, subscriber);
    run.start();
    return () => run.teardown();
  });
  return read.signal === undefined ? scoped : scoped.pipe(takeUntilAborted<R>(read.signal));
}

/** `options.bus`: an {@link EventBus}, given to a root scope. */
function givenBus(parent: ScopeRun<unknown> | undefined, bus: unknown): EventBus | undefined {
  if (bus === undefined) return undefined;
  if (!(bus instanceof EventBus)) throw new TypeError(`Expected \`options.bus\` to be an EventBus, got ${describe(bus)}`);
  if (parent !== undefined) {
    throw new TypeError('`options.bus` is for root scopes: a nested scope uses its parent\'s bus, or a new one with `isolated: true`');
  }
  return bus;
}

/** Validates `options.state` and keys its objects by their exact constructor. */
function stateMap(state: unknown): ReadonlyMap<unknown, object> | undefined {
  if (state === undefined) return undefined;
  if (!Array.isArray(state)) throw new TypeError(`Expected \`options.state\` to be an array of objects, got ${describe(state)}`);
  const map = new Map<unknown, object>();
  for (const [index, item] of (state as unknown[]).entries()) {
    validateObject(`options.state[${index}]`, item);
    map.set(item.constructor, item);
  }
  return map;
}

/** Start order of bodies and spawned tasks, across scopes. */
let started = 0;
function nextOrder(): number {
  return started++;
}

/** How a spawned task ended. */
type TaskEnd = 'completed' | 'failed' | 'cancelled';

/**
 * One spawned task, run by the one task lifecycle ({@link TaskRun}), with a shared result: an
 * `AsyncSubject` that gets the task's last value when it completes (nothing when it was empty),
 * its error when it fails, and only `complete` when it is cancelled.
 */
class SharedTask<T> extends TaskRun {
  readonly result = new AsyncSubject<T>();
  /** Cancelled while running (by its handle, its scope or `shutdownBackground`). */
  cancelled = false;
  /** When it started among all runs of every scope: orders the failures of `errors: 'all'`. */
  readonly order = nextOrder();

  constructor(
    private readonly task: Task<T>,
    /**
     * Told once when the task ends: completed, failed (with `error`) or cancelled. Every owner
     * must hear of a cancellation too, or a scope that did not cancel it would wait for it forever.
     */
    private readonly onEnded: (task: SharedTask<T>, end: TaskEnd, error: unknown) => void,
    /** The scope whose deadline ends the task (the one it was spawned in), none for a background task. */
    private readonly under: ScopeRun<unknown> | undefined,
  ) {
    super();
  }

  protected call(): unknown {
    return startTask(this.task, this);
  }

  protected override notObservableInput(input: unknown): unknown {
    return notObservableInputError('task', input);
  }

  /** The time left before the deadline of the scope the task was spawned in (`ctx.remaining()`). */
  override remaining(): number {
    return this.under === undefined ? Infinity : this.under.remaining();
  }

  protected onComplete(): void {
    if (this.hasValue) this.result.next(this.last as T);
    this.result.complete();
    this.onEnded(this, 'completed', undefined);
  }

  protected onError(error: unknown): void {
    this.onEnded(this, 'failed', error);
    this.result.error(error);
  }

  override cancel(): boolean {
    if (!super.cancel()) return false;
    this.cancelled = true;
    this.result.complete();
    this.onEnded(this, 'cancelled', undefined);
    return true;
  }
}

/** How a scope run ends: the one argument of `ScopeRun.end`. */
type ScopeEnd =
  /** The body completed and no spawned task is left: emit the body's last value, complete. */
  | { readonly how: 'completed' }
  /** The body, a task or the deadline failed: cancel everything, then error. */
  | { readonly how: 'failed'; readonly error: unknown }
  /** `scope.cancel()`, or the group ended under a child that still runs: cancel everything, then complete without a value. */
  | { readonly how: 'cancelled' }
  /** Unsubscribed from outside: cancel everything, tell nobody. */
  | { readonly how: 'unsubscribed' };

/** One subscription of a scope: the {@link Scope} handle and the machinery behind it. */
class ScopeRun<R> implements Scope {
  readonly name: string;
  readonly path: string;
  readonly isolated: boolean;
  readonly bus: EventBus;
  readonly deadline: number | undefined;
  readonly scheduler: SchedulerLike;
  /** How a `DeadlineError` describes the deadline in effect (own or inherited). */
  private readonly deadlineLabel: DeadlineLabel | undefined;
  /** The nearest isolated scope (this one when isolated): the task group spawned tasks belong to. */
  private readonly group: ScopeRun<unknown>;
  /** The body, run by the task lifecycle; its context's signal is the scope's. */
  private readonly body: FollowRun;
  /** State objects created lazily by `state(Type)` in this scope. */
  private created: Map<unknown, object> | undefined = undefined;
  /** Spawned tasks still running that this scope waits for. */
  private readonly tasks = new Set<SharedTask<unknown>>();
  /** The body has completed. */
  private bodyDone = false;
  /** Set by {@link end} only: nothing more happens. */
  private ended = false;
  /** `options.errors`, or the parent's. */
  private readonly errors: 'first' | 'all';
  /** Start order of the body, for `errors: 'all'`. */
  private readonly order = nextOrder();
  /**
   * `errors: 'all'` once failing: every failure so far with its start order; the teardown is
   * scheduled. Set, the scope neither completes nor fails another way until that teardown.
   */
  private failures: { readonly order: number; readonly error: unknown }[] | undefined = undefined;
  /**
   * `errors: 'all'`, a non-isolated child whose task failure its group collected too: the group's
   * teardown ends this run with it, as `'first'` mode ends both at once (else the child's error
   * would reach the group a second time, through the group's body).
   */
  private joinedTo: ScopeRun<unknown> | undefined = undefined;
  /** `errors: 'all'`, a group: the children its teardown ends with it (see {@link joinedTo}). */
  private joined: ScopeRun<unknown>[] | undefined = undefined;

  constructor(
    readonly parent: ScopeRun<unknown> | undefined,
    private readonly config: ScopeConfig<R>,
    private readonly subscriber: Subscriber<R>,
  ) {
    this.name = config.name;
    this.path = parent === undefined ? config.name : `${parent.path}/${config.name}`;
    this.isolated = config.isolated;
    this.bus = config.isolated || parent === undefined ? (config.bus ?? new EventBus()) : parent.bus;
    this.group = config.isolated || parent === undefined ? (this as ScopeRun<unknown>) : parent.group;
    this.scheduler = config.scheduler ?? parent?.scheduler ?? asyncScheduler;
    this.errors = config.errors ?? parent?.errors ?? 'first';
    const own = config.deadline?.(this.scheduler.now());
    // The parent's deadline is on the parent's clock; a child with a scheduler of its own gets
    // the time that is left, moved onto its clock.
    const inherited =
      parent?.deadline === undefined || parent.scheduler === this.scheduler
        ? parent?.deadline
        : this.scheduler.now() + (parent.deadline - parent.scheduler.now());
    this.deadline = own === undefined ? inherited : inherited === undefined ? own : Math.min(own, inherited);
    this.deadlineLabel =
      this.deadline === undefined ? undefined : this.deadline === own ? { origin: `scope "${this.path}"`, ...config.deadlineBudget } : parent!.deadlineLabel;
    this.body = new FollowRun(() => config.body(this), {
      complete: () => this.bodyCompleted(),
      error: (error) => this.fail(error, this.order),
    });
  }

  get signal(): AbortSignal {
    return this.body.signal;
  }

  remaining(): number {
    return this.deadline === undefined ? Infinity : Math.max(0, this.deadline - this.scheduler.now());
  }

  /** Runs the body, under the deadline when there is one (the one deadline clock's rule). */
  start(): void {
    const deadline = this.deadline;
    if (deadline === undefined) return this.body.start();
    const label = this.deadlineLabel!;
    armDeadline(
      this.subscriber,
      this.scheduler,
      deadline,
      () => this.timedOut(deadlineError(deadline, label)),
      () => this.body.start(),
    );
  }

  /** The body completed with `last` (if `hasValue`): the bus closes, the scope waits for its tasks. */
  private bodyCompleted(): void {
    this.bodyDone = true;
    if (this.isolated) this.bus.close();
    this.completeIfDone();
  }

  /** Completes the scope once the body is done and no spawned task is running. */
  private completeIfDone(): void {
    if (!this.ended && this.failures === undefined && this.bodyDone && this.tasks.size === 0) this.end({ how: 'completed' });
  }

  /**
   * Work in `runs` failed with `error` (`order`: when the failing body or task started). Runs in
   * `'first'` mode end with it at once, together (see {@link end}); a run in `'all'` mode
   * collects it, and on its first failure schedules its teardown at the end of the turn.
   */
  private fail(error: unknown, order: number, runs: readonly ScopeRun<unknown>[] = [this as ScopeRun<unknown>]): void {
    const live = runs.filter((run) => !run.ended);
    for (const run of live) {
      if (run.errors === 'first') continue;
      const group = run.group;
      if (group !== run && group.errors === 'all' && live.includes(group) && run.joinedTo === undefined) {
        run.joinedTo = group;
        (group.joined ??= []).push(run);
      }
      if (run.failures !== undefined) {
        run.failures.push({ order, error });
        continue;
      }
      run.failures = [{ order, error }];
      const on = run.scheduler === asyncScheduler ? asapScheduler : run.scheduler;
      run.subscriber.add(on.schedule(() => run.tearDownFailing()));
    }
    const first = live.filter((run) => run.errors === 'first');
    if (first.length > 0) this.end({ how: 'failed', error }, first);
  }

  /**
   * `errors: 'all'`: the end of the turn in which this run started failing. Ends it and the
   * children joined to it together (children first, as {@link end} does), each with its own
   * failures; a run joined to its group waits for the group's teardown instead.
   */
  private tearDownFailing(): void {
    if (this.joinedTo !== undefined) return;
    const ending = [...(this.joined ?? []), this as ScopeRun<unknown>].filter((run) => !run.ended);
    for (const run of ending) run.ended = true;
    for (const run of ending) run.finish({ how: 'failed', error: run.aggregate() });
  }

  /** The deadline passed: it ends the scope at once, with its error alone or after the failures collected so far. */
  private timedOut(error: unknown): void {
    if (this.failures === undefined) return this.end({ how: 'failed', error });
    this.failures.push({ order: Infinity, error });
    this.end({ how: 'failed', error: this.aggregate() });
  }

  /** `errors: 'all'`: the failures collected, in start order, as one `AggregateError`. */
  private aggregate(): AggregateError {
    const errors = [...this.failures!].sort((a, b) => a.order - b.order).map((f) => f.error);
    return new AggregateError(errors, `scope "${this.path}": ${errors.length === 1 ? '1 failure' : `${errors.length} failures`}`);
  }

  /**
   * THE way a scope run ends. Every run in `runs` (this one; also its group when a task of both
   * fails) is marked ended first, so that the cancellations below, which tell every owner of a
   * task, cannot end one of them some other way in between. Then each one, unless it completed,
   * cancels the body (first, so it does not react to its tasks' ends), every task, its signal and
   * its bus; and only then tells its subscriber (which disarms the deadline timer).
   */
  private end(end: ScopeEnd, runs: readonly ScopeRun<unknown>[] = [this as ScopeRun<unknown>]): void {
    const ending = runs.filter((run) => !run.ended);
    for (const run of ending) run.ended = true;
    for (const run of ending) run.finish(end);
  }

  private finish(end: ScopeEnd): void {
    if (end.how === 'completed') {
      if (this.body.hasValue) this.subscriber.next(this.body.last as R);
      return this.subscriber.complete();
    }
    this.body.cancel();
    const tasks = [...this.tasks];
    this.tasks.clear();
    for (const task of tasks) task.cancel();
    this.body.abort();
    if (this.isolated) this.bus.close();
    if (end.how === 'failed') this.subscriber.error(end.error);
    else if (end.how === 'cancelled') this.subscriber.complete();
  }

  /** Unsubscription from outside. */
  teardown(): void {
    this.end({ how: 'unsubscribed' });
  }

  cancel(): void {
    // Failing (`errors: 'all'`): the failures are not dropped; the teardown comes now.
    if (this.failures !== undefined && this.joinedTo === undefined) return this.tearDownFailing();
    this.end({ how: 'cancelled' });
  }

  spawn<T>(task: Task<T>): TaskHandle<T> {
    if (this.ended) throw new ScopeEndedError(this.path);
    if (this.group.ended) throw new ScopeEndedError(this.group.path);
    validateTask('task', task);
    // The task belongs to this scope (which waits for it and cancels it when it ends) and, when
    // this scope is not isolated, also to the nearest isolated scope's group, which waits for it,
    // cancels it with the group, and fails as a whole when it fails.
    // A task cancelled by one owner (a non-isolated child unsubscribed or cancelled, or the group
    // failing) leaves the other owner too, which then completes if it was only waiting for it.
    const group = this.group;
    const shared = new SharedTask<T>(task, (ended, end, error) => {
      this.tasks.delete(ended as SharedTask<unknown>);
      group.tasks.delete(ended as SharedTask<unknown>);
      if (end === 'failed') {
        // Both owners fail with the error (see `end`: both are marked ended before either cancels).
        this.fail(error, (ended as SharedTask<unknown>).order, group === this ? [this] : [this, group]);
      } else if (end === 'cancelled' && this !== group && group.ended) {
        // The group ended (failed, cancelled, past its deadline) and took the task with it: a
        // child still running (subscribed outside the group's body) cannot finish its work either.
        this.cancel();
      } else {
        this.completeIfDone();
        group.completeIfDone();
      }
    }, this as ScopeRun<unknown>);
    this.tasks.add(shared as SharedTask<unknown>);
    group.tasks.add(shared as SharedTask<unknown>);
    shared.start();
    return new Handle(shared);
  }

  spawnBackground<T>(task: Task<T>): TaskHandle<T> {
    validateTask('task', task);
    // Detached from the scope, so from its deadline too: `ctx.remaining()` is Infinity.
    const shared = new SharedTask<T>(task, (ended) => background.delete(ended as SharedTask<unknown>), undefined);
    background.add(shared as SharedTask<unknown>);
    shared.start();
    return new Handle(shared);
  }

  state<T extends object>(Type: ClassOf<T>): T {
    validateClass('Type', Type);
    for (let s: ScopeRun<unknown> | undefined = this; s !== undefined; s = s.parent) {
      const found = s.config.state?.get(Type) ?? s.created?.get(Type);
      if (found !== undefined) return found as T;
    }
    let made: T;
    try {
      made = new Type();
    } catch (error) {
      throw new StateMissingError(Type, error);
    }
    (this.created ??= new Map()).set(Type, made);
    return made;
  }

  scope<S>(name: string, body: ScopeBody<S>, options?: ScopeOptions): Observable<S> {
    return makeScope(this as ScopeRun<unknown>, name, body, options);
  }

  send(event: object): void {
    this.bus.send(event);
  }

  on<T extends object>(Type: ClassOf<T>): Observable<T> {
    return this.bus.on(Type);
  }

  request<Res extends object>(
    request: object,
    ResponseType: ClassOf<Res>,
    match: (response: Res) => boolean,
    options: RequestOptions = {},
  ): Observable<Res> {
    // The scope's scheduler unless the call names one; a bad `options` goes through for the bus to report.
    const withScheduler =
      typeof options === 'object' && options !== null ? { ...options, scheduler: options.scheduler ?? this.scheduler } : options;
    return this.bus.request(request, ResponseType, match, withScheduler);
  }
}
