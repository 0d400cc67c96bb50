import { isObservable, type Observable, type ObservableInput, type Subscription } from 'rxjs';
import { EmptyTaskError } from '../errors.js';
import type { CapacityLimiter } from '../resilience/capacityLimiter.js';
import { isTokenSource, TOKEN_SOURCE, type GateOwner, type TokenGate } from './tokenSource.js';
import type { Settled, TaskContext } from '../types.js';
import type { Feed, IteratorReader, ReaderSink } from './feed.js';
import { EndFirstSubscriber, TaskRun, notObservableInputError, type EndFirstTarget } from './lifecycle.js';
import { Queue } from './queue.js';
import { describe, expected, isLimit, validateLimit } from './validate.js';

/**
 * The engine behind every fan-out primitive (`boundedMap`, `processConcurrently`,
 * `executeConcurrently`, `concurrently`, `completionStream`) and every combinator (`gather`,
 * `firstToFinish`, `firstSuccess`, `streamConcurrently`: a pool with no limit over the tasks).
 *
 * A pool takes items from a {@link Feed}, starts `project(item, index, ctx)` for each while
 * fewer than `limit` are running, each one a {@link TaskRun} (the one task lifecycle, see
 * lifecycle.ts), and reports what the inners produce to a {@link PoolSink}. Pulled sources are
 * read through the one {@link IteratorReader}, only when a slot is free, so they cost O(limit)
 * memory.
 *
 * Live items are kept in an intrusive doubly linked list in index order (O(1) append and unlink,
 * no hashing). In ordered mode the list holds running items and finished items waiting for the
 * head; values leave from the head, so output order is input order. In unordered mode it holds
 * running items only. Cancelling walks the list.
 *
 * Re-entrancy: inners may complete synchronously inside `subscribe` (`of(x)`), sinks may
 * unsubscribe synchronously, sources may push from inside a sink. `drain` and `flushHead` are
 * guarded by flags so nested calls fall through to the loop already running instead of recursing
 * (no stack growth with a million synchronous inners), and every step re-checks `closed`.
 *
 * Live limits ({@link FanoutLimit}): an `Observable<number>` limit is subscribed before the
 * source; until its first value nothing starts, each value replaces the limit (raising it starts
 * more at once, lowering it starts nothing new until fewer run), a value that is not an integer
 * ≥ 1 or `Infinity` fails the pool naming it, its error fails the pool, and its completion keeps
 * the last value (completing without one fails the pool: nothing could ever start). A
 * `CapacityLimiter` limit: each inner holds one of its tokens while it runs, through a
 * {@link TokenGate} the limiter makes (one token asked for at a time, only when there is an item
 * to start; each given back when its inner ends); a limiter error (shedding, a store failure, a
 * lost lease) fails the pool.
 */

/**
 * How many inners of a fan-out run at once: a number (an integer ≥ 1, or `Infinity`), an
 * `Observable<number>` whose latest value is the limit, or a `CapacityLimiter` whose tokens the
 * inners share with other work.
 */
export type FanoutLimit = number | Observable<number> | CapacityLimiter;

/**
 * Checks a fan-out limit at call time: a number goes through `validateLimit` (RangeError), an
 * Observable or a `CapacityLimiter` is taken as it is, anything else is a RangeError naming it
 * (as a bad number always was).
 */
export function validateFanoutLimit(name: string, value: unknown): FanoutLimit {
  if (typeof value === 'number') return validateLimit(name, value);
  if (isObservable(value)) return value as Observable<number>;
  if (isTokenSource(value)) return value as unknown as CapacityLimiter;
  throw new RangeError(expected(name, 'be an integer from 1 and up or `Infinity`, an Observable of such numbers, or a CapacityLimiter', value));
}

/**
 * How the pool's messages name a live limit given as `name` (its {@link PoolConfig.limitName}):
 * `options.limit` → "`options.limit` (an Observable)". (A parameter `limit` is "`limit$`", the
 * default, so that `boundedMap`'s bundle needs no such function.)
 */
export function liveLimitName(name: string): string {
  return `\`${name}\` (an Observable)`;
}

/** What each inner contributes. */
export type PoolValues =
  /** Every value of every inner (mergeMap / concatMapEager). */
  | 'each'
  /** One result per inner: its last value. An inner that completes without one fails with `EmptyTaskError`. */
  | 'last'
  /** Nothing: inners run for their side effects. */
  | 'none';

interface PoolConfig<T, R> {
  readonly project: (value: T, index: number, ctx: TaskContext) => ObservableInput<R>;
  /** Inners running at once: an integer ≥ 1 or Infinity, a stream of them, or a limiter's tokens. */
  readonly limit: FanoutLimit;
  /** Emit in input order (true) or as produced (false). */
  readonly ordered: boolean;
  readonly values: PoolValues;
  /**
   * Report each inner's outcome as a `Settled` (its last value, or `undefined` in `'none'` mode)
   * instead of failing the pool on an inner's error.
   */
  readonly settle: boolean;
  /**
   * Ordered mode: how many items may be started and not yet emitted (default
   * {@link orderedWindow} of the current limit); ignored when unordered.
   */
  readonly window?: number | undefined;
  /** How an `EmptyTaskError` names item `index` (default: the index itself), e.g. `gather`'s keys. */
  readonly key?: (index: number) => number | string;
  /** How errors name `project` when it returns something that is not an ObservableInput (default `project`). */
  readonly projectName?: string;
  /** How errors name a live limit (default "`limit$`"; an option's: {@link liveLimitName}). */
  readonly limitName?: string;
}

export interface PoolSink<T> {
  /** A value (`'each'`), a result (`'last'`) or a `Settled` (settle mode), with its item's index. */
  next(value: unknown, index: number, item: T): void;
  /** An item finished and reports nothing (`'each'` and `'none'` modes without `settle`). */
  done?(index: number): void;
  error(error: unknown): void;
  complete(): void;
}

/**
 * How far ahead of the oldest unfinished item an ordered pool may start new items, by default:
 * at most `2 × limit` items are started and not yet emitted, so at most that many finished
 * results wait behind a slow head (O(limit) memory), while the pool keeps `limit` busy when
 * durations vary. A slow head stalls the pool once that many wait; `boundedMap`'s `window`
 * option trades memory for throughput.
 */
export function orderedWindow(limit: number): number {
  return limit * 2;
}

/**
 * One item: a {@link TaskRun} (the run is the `ctx` handed to `project`; once finished, its
 * `last` is what the item reports) and its place in the list.
 */
class Slot<T> extends TaskRun {
  /** Neighbours in the pool's list of live items (index order). */
  prev: Slot<T> | undefined = undefined;
  next: Slot<T> | undefined = undefined;
  /** Values that arrived while this item was not at the head (ordered `'each'` mode). */
  buffer: unknown[] | undefined = undefined;

  constructor(
    private readonly pool: Pool<T>,
    readonly index: number,
    readonly item: T,
  ) {
    super();
  }
  protected call(): unknown {
    return this.pool.config.project(this.item, this.index, this);
  }
  protected override onValue(value: unknown): void {
    this.pool.innerValue(this, value);
  }
  protected override onResolve(value: unknown): void {
    this.pool.innerResolved(this, value);
  }
  protected onComplete(): void {
    this.pool.innerComplete(this);
  }
  protected onError(error: unknown): void {
    this.pool.innerError(this, error);
  }
  protected override notObservableInput(input: unknown): unknown {
    return notObservableInputError(this.pool.config.projectName ?? 'project', input, this.index);
  }
}

export class Pool<T> implements ReaderSink<T>, GateOwner, EndFirstTarget<T> {
  /** Objects kept so that their shapes outlive every run (see the end of this file). */
  static shapes: readonly object[];
  /** Inners subscribed (or promises pending) right now. */
  private active = 0;
  /** The index the next item gets. */
  private started = 0;
  /** Oldest and newest live items. */
  private head: Slot<T> | undefined = undefined;
  private tail: Slot<T> | undefined = undefined;
  /** Pushed items waiting for a slot. */
  private readonly queue = new Queue<T>();
  /** The pushed source's subscriber, or the reader of the pulled source. */
  private source: EndFirstSubscriber<T> | undefined = undefined;
  private reader: IteratorReader<T> | undefined = undefined;
  /** The source has no more items. */
  private sourceDone = false;
  /** Completed, errored or unsubscribed: nothing more happens. */
  closed = false;
  /** Re-entrancy guards (see the module comment). */
  private draining = false;
  private flushing = false;
  /** Items may start while `started - head index` is below this (ordered mode). */
  private window: number;
  /** Inners may start while fewer than this run (a live limit changes it; 0 until its first value). */
  private limit: number;
  /** A limiter limit: its tokens, held through this gate, bound the inners instead (`limit` is then Infinity). */
  private readonly gate: TokenGate | undefined;
  /** The live limit's subscription. */
  private limitSubscription: Subscription | undefined = undefined;
  /** Whether a finished item reports something (a result or a `Settled`). */
  private readonly reports: boolean;
  /** Whether the sink wants to hear of items that finished and report nothing (looked up once, not per item). */
  private readonly hearsDone: boolean;
  /** The config's flags, read on every item (copied here: one load instead of two). */
  private readonly ordered: boolean;
  private readonly values: PoolValues;
  private readonly settle: boolean;

  constructor(
    private readonly feed: Feed<T>,
    readonly config: PoolConfig<T, unknown>,
    private readonly sink: PoolSink<T>,
  ) {
    const limit = config.limit;
    this.limit = typeof limit === 'number' ? limit : isTokenSource(limit) ? Infinity : 0;
    this.gate = isTokenSource(limit) ? limit[TOKEN_SOURCE](this) : undefined;
    this.window = config.ordered ? (config.window ?? orderedWindow(this.gate?.total ?? this.limit)) : Infinity;
    this.reports = config.values === 'last' || config.settle;
    this.hearsDone = sink.done !== undefined;
    this.ordered = config.ordered;
    this.values = config.values;
    this.settle = config.settle;
  }

  /**
   * Starts reading the feed for `subscriber`. The teardown is registered on the subscriber
   * first, so a consumer that unsubscribes synchronously (`take(1)` on a synchronous feed)
   * stops the pool at once, before `run` has returned.
   */
  run(subscriber: Subscription): void {
    subscriber.add(() => this.close());
    const limit = this.config.limit;
    if (typeof limit !== 'number' && !isTokenSource(limit)) {
      this.followLimit(limit);
      if (this.closed) return;
    }
    const feed = this.feed;
    if (feed.kind === 'push') {
      // The pool is the target of its source's subscriber (`value`, `error`, `complete`).
      const sourceSubscriber = new EndFirstSubscriber<T>(this);
      this.source = sourceSubscriber;
      feed.source.subscribe(sourceSubscriber);
    } else {
      this.reader = feed.open(this);
      this.drain();
    }
  }

  /** Subscribes to a live limit: each valid value replaces the limit and starts what it allows. */
  private followLimit(limit$: Observable<number>): void {
    const name = this.config.limitName ?? '`limit$`';
    let seen = false;
    this.limitSubscription = limit$.subscribe({
      next: (value) => {
        if (this.closed) return;
        if (!isLimit(value)) return this.fail(new RangeError(`Expected ${name} to emit integers from 1 and up or \`Infinity\`, got ${describe(value)}`));
        seen = true;
        this.limit = value;
        if (this.ordered && this.config.window === undefined) this.window = orderedWindow(value);
        this.drain();
      },
      error: (error: unknown) => this.fail(error),
      complete: () => {
        if (!seen) this.fail(new RangeError(`Expected ${name} to emit a limit before completing`));
      },
    });
    // Failed inside `subscribe` (a bad first value): the subscription did not exist yet at teardown.
    if (this.closed) this.limitSubscription.unsubscribe();
  }

  /** The consumer unsubscribed (or decided the outcome): cancel everything, report nothing. */
  close(): void {
    if (!this.closed) this.teardown();
  }

  /** Fails the pool: cancel everything, then report the error. */
  fail(error: unknown): void {
    if (this.closed) return;
    this.teardown();
    this.sink.error(error);
  }

  /** @internal A pushed item (the source's subscriber calls it). */
  value(item: T): void {
    if (this.closed) return;
    this.queue.push(item);
    this.drain();
  }

  /** @internal A pulled item ({@link ReaderSink}): started at once inside `drain`, or (async) when it comes. */
  item(item: T): void {
    if (this.closed) return;
    if (this.gate !== undefined && !this.gate.has(this.active)) {
      // No token yet: the item waits (the only one read ahead) until the request is granted.
      this.queue.push(item);
      return;
    }
    if (this.draining) return this.start(item);
    this.draining = true;
    this.start(item);
    this.draining = false;
    this.drain();
  }

  /** @internal The pulled source is done ({@link ReaderSink}). */
  end(): void {
    this.reader = undefined;
    this.sourceDone = true;
    if (!this.draining) this.checkDone();
  }

  /** @internal Reading the pulled source failed ({@link ReaderSink}), or the pushed source errored. */
  error(error: unknown): void {
    this.reader = undefined;
    this.fail(error);
  }

  /** @internal The pushed source completed. */
  complete(): void {
    this.source = undefined;
    this.sourceDone = true;
    this.checkDone();
  }

  /** @internal A value of a running inner. */
  innerValue(slot: Slot<T>, value: unknown): void {
    if (this.closed) return;
    const mode = this.values;
    if (mode === 'each') {
      if (!this.ordered || (slot === this.head && !this.flushing)) this.sink.next(value, slot.index, slot.item);
      else (slot.buffer ??= []).push(value);
    } else if (mode === 'last') {
      slot.last = value;
      slot.hasValue = true;
    }
  }

  /** @internal A promise inner fulfilled: its value, then its completion. */
  innerResolved(slot: Slot<T>, value: unknown): void {
    this.innerValue(slot, value);
    if (!slot.running || this.closed) return;
    slot.running = false;
    this.innerComplete(slot);
  }

  /** @internal An inner completed (its subscription already torn down). */
  innerComplete(slot: Slot<T>): void {
    if (this.closed) return;
    this.active--;
    if (this.values === 'last' && !slot.hasValue) {
      // An empty task has no result, and here every item owes one.
      return this.settleFailed(slot, new EmptyTaskError(this.config.key?.(slot.index) ?? slot.index));
    }
    // Once finished, `last` holds what the item reports: its last value, or a `Settled`.
    if (this.settle) slot.last = { status: 'fulfilled', value: slot.last } satisfies Settled<unknown>;
    this.finish(slot);
  }

  /** @internal An inner failed (its subscription already torn down; its signal stays as it is). */
  innerError(slot: Slot<T>, error: unknown): void {
    if (this.closed) return;
    this.active--;
    this.settleFailed(slot, error);
  }

  private settleFailed(slot: Slot<T>, error: unknown): void {
    if (!this.settle) return this.fail(error);
    slot.last = { status: 'rejected', reason: error } satisfies Settled<unknown>;
    this.finish(slot);
  }

  /** @internal Starts items while slots are free and the feed has some. */
  drain(): void {
    if (this.draining) return;
    this.draining = true;
    const queue = this.queue;
    const gate = this.gate;
    if (gate !== undefined && this.ordered && this.config.window === undefined) this.window = orderedWindow(gate.total);
    while (!this.closed && this.active < this.limit && (!this.ordered || this.started - (this.head?.index ?? this.started) < this.window)) {
      if (queue.length > 0) {
        if (gate !== undefined && !gate.has(this.active)) break;
        this.start(queue.shift());
      } else if (this.reader !== undefined && !this.reader.pending) {
        if (gate !== undefined && gate.requesting) break;
        this.reader.read();
      } else break;
    }
    // Tokens granted with nothing left to start go back at once.
    if (gate !== undefined && queue.length === 0) gate.trim(this.active);
    this.draining = false;
    this.checkDone();
  }

  /** Starts one item: a slot at the tail of the list, then `project` through the lifecycle. */
  private start(item: T): void {
    const slot = new Slot<T>(this, this.started++, item);
    if (this.tail === undefined) this.head = slot;
    else {
      this.tail.next = slot;
      slot.prev = this.tail;
    }
    this.tail = slot;
    this.active++;
    slot.start();
  }

  /** A slot finished without failing the pool: report it (in order, when ordered) and refill. */
  private finish(slot: Slot<T>): void {
    if (!this.ordered) {
      this.unlink(slot);
      if (this.reports) this.sink.next(slot.last, slot.index, slot.item);
      else if (this.hearsDone) this.sink.done!(slot.index);
    } else if (slot === this.head) {
      this.flushHead();
    }
    // Its token goes back to the limiter's queue (other work may be waiting for it).
    this.gate?.trim(this.active, true);
    this.drain();
  }

  /** Emits from the head of the list: buffered values, then finished items, until a running one. */
  private flushHead(): void {
    if (this.flushing) return;
    this.flushing = true;
    let slot: Slot<T> | undefined;
    while ((slot = this.head) !== undefined && !this.closed) {
      while (slot.buffer !== undefined && !this.closed) {
        const values = slot.buffer;
        slot.buffer = undefined;
        for (let i = 0; i < values.length && !this.closed; i++) this.sink.next(values[i], slot.index, slot.item);
      }
      if (slot.running || this.closed) break;
      // Unlinked from the head (ordered mode never unlinks elsewhere): no `prev` to mend.
      const next = slot.next;
      this.head = next;
      if (next === undefined) this.tail = undefined;
      else next.prev = slot.next = undefined;
      if (this.reports) this.sink.next(slot.last, slot.index, slot.item);
      else if (this.hearsDone) this.sink.done!(slot.index);
    }
    this.flushing = false;
  }

  private unlink(slot: Slot<T>): void {
    if (slot.prev === undefined) this.head = slot.next;
    else slot.prev.next = slot.next;
    if (slot.next === undefined) this.tail = slot.prev;
    else slot.next.prev = slot.prev;
    slot.prev = slot.next = undefined;
  }

  /** Completes when the source is done and every item has been reported. */
  private checkDone(): void {
    if (this.closed || !this.sourceDone || this.active > 0 || this.queue.length > 0 || this.head !== undefined) return;
    this.closed = true;
    this.releaseLimit();
    this.sink.complete();
  }

  /** Ends the live limit's subscription and gives back every token (and the pending request). */
  private releaseLimit(): void {
    this.limitSubscription?.unsubscribe();
    this.limitSubscription = undefined;
    this.gate?.close();
  }

  /** Closes the pool: cancels running inners (the lifecycle aborts their signals), the source and the reader. */
  private teardown(): void {
    this.closed = true;
    for (let slot = this.head; slot !== undefined; slot = slot.next) slot.cancel();
    this.head = this.tail = undefined;
    this.releaseLimit();
    this.queue.clear();
    this.source?.unsubscribe();
    this.source = undefined;
    const reader = this.reader;
    this.reader = undefined;
    reader?.close();
  }
}

/** Runs a pool for one subscription (its teardown goes onto `subscriber`). */
export function runPool<T>(subscriber: Subscription, feed: Feed<T>, config: PoolConfig<T, unknown>, sink: PoolSink<T>): void {
  new Pool(feed, config, sink).run(subscriber);
}

/**
 * Shapes kept alive. V8's optimized code checks the shapes ("maps") of the objects it handles and
 * holds them weakly: a full GC that finds no object of a shape left frees it, and every optimized
 * function that checked it is thrown away. Between two subscriptions no Pool or Slot is
 * left, so every run after a major GC started cold again (at 100,000 items that re-warming cost
 * about as much as the items). One never-run Pool and Slot, made once and held by the class (a
 * module-level constant nobody reads would not be kept), keep their shapes. The pool's limit and
 * window start as doubles (`Infinity`), a representation every later limit fits.
 */
{
  const pool = new Pool<unknown>({ kind: 'push', source: undefined as unknown as Observable<unknown> }, { limit: Infinity } as PoolConfig<unknown, unknown>, {} as PoolSink<unknown>);
  Pool.shapes = [pool, new Slot(pool, 0, undefined)];
}
