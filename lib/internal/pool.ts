import { Observable, Subscriber, from, type ObservableInput, type Subscription } from 'rxjs';
import { EmptyTaskError } from '../errors.js';
import type { Settled, TaskContext } from '../types.js';
import { LazyContext } from './context.js';
import { closeIterator, type Feed } from './feed.js';
import { Queue } from './queue.js';

/**
 * The engine behind every bounded fan-out primitive (`boundedMap`, `processConcurrently`,
 * `executeConcurrently`, `concurrently`, `completionStream`).
 *
 * A pool takes items from a {@link Feed}, starts `project(item, index, ctx)` for each while
 * fewer than `limit` are running, and reports what the inners produce to a {@link PoolSink}.
 * Iterators are read only when a slot is free, so a pulled source costs O(limit) memory.
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
 */

/** What each inner contributes. */
export type PoolValues =
  /** Every value of every inner (mergeMap / concatMapEager). */
  | 'each'
  /** One result per inner: its last value. An inner that completes without one fails with `EmptyTaskError`. */
  | 'last'
  /** Nothing: inners run for their side effects. */
  | 'none';

export interface PoolConfig<T, R> {
  readonly project: (value: T, index: number, ctx: TaskContext) => ObservableInput<R>;
  /** Inners running at once: an integer ≥ 1, or Infinity. */
  readonly limit: number;
  /** Emit in input order (true) or as produced (false). */
  readonly ordered: boolean;
  readonly values: PoolValues;
  /**
   * Report each inner's outcome as a `Settled` (its last value, or `undefined` in `'none'` mode)
   * instead of failing the pool on an inner's error.
   */
  readonly settle: boolean;
}

export interface PoolSink<T> {
  /** A value (`'each'`), a result (`'last'`) or a `Settled` (settle mode), with its item's index. */
  next(value: unknown, index: number, item: T): void;
  error(error: unknown): void;
  complete(): void;
}

/**
 * How far ahead of the oldest unfinished item an ordered pool may start new items: at most
 * `2 × limit` items are started and not yet emitted, so at most that many finished results wait
 * behind a slow head (O(limit) memory), while the pool keeps `limit` busy when durations vary.
 */
export function orderedWindow(limit: number): number {
  return limit * 2;
}

/** One item: its context (the slot is the `ctx` handed to `project`), its state and its place in the list. */
class Slot<T> extends LazyContext {
  /** Neighbours in the pool's list of live items (index order). */
  prev: Slot<T> | undefined = undefined;
  next: Slot<T> | undefined = undefined;
  /** The inner has not completed, errored or been cancelled. */
  running = true;
  /** The Observable inner's subscriber (promises need none). */
  inner: InnerSubscriber<T> | undefined = undefined;
  /** Values that arrived while this item was not at the head (ordered `'each'` mode). */
  buffer: unknown[] | undefined = undefined;
  /** The last value seen (`'last'` mode) or, once finished, what the item reports. */
  result: unknown = undefined;
  hasValue = false;

  constructor(
    readonly index: number,
    readonly item: T,
  ) {
    super();
  }
}

/** Routes an Observable inner's notifications to its pool; it exists before `subscribe` is called. */
class InnerSubscriber<T> extends Subscriber<unknown> {
  constructor(
    private readonly pool: Pool<T>,
    private readonly slot: Slot<T>,
  ) {
    super();
  }
  protected override _next(value: unknown): void {
    this.pool.innerValue(this.slot, value);
  }
  protected override _error(error: unknown): void {
    // Finalize the inner first, so the next one starts only after this one is unsubscribed.
    this.unsubscribe();
    this.pool.innerError(this.slot, error);
  }
  protected override _complete(): void {
    this.unsubscribe();
    this.pool.innerComplete(this.slot);
  }
}

/** Routes a pushed source's notifications to its pool; it exists before `subscribe` is called. */
class SourceSubscriber<T> extends Subscriber<T> {
  constructor(private readonly pool: Pool<T>) {
    super();
  }
  protected override _next(value: T): void {
    this.pool.push(value);
  }
  protected override _error(error: unknown): void {
    this.unsubscribe();
    this.pool.fail(error);
  }
  protected override _complete(): void {
    this.unsubscribe();
    this.pool.sourceComplete();
  }
}

export class Pool<T> {
  /** Inners subscribed (or promises pending) right now. */
  private active = 0;
  /** The index the next item gets. */
  private started = 0;
  /** Oldest and newest live items. */
  private head: Slot<T> | undefined = undefined;
  private tail: Slot<T> | undefined = undefined;
  /** Pushed items waiting for a slot. */
  private readonly queue = new Queue<T>();
  /** The pushed source's subscriber, or the iterator being pulled. */
  private source: SourceSubscriber<T> | undefined = undefined;
  private iterator: Iterator<T> | AsyncIterator<T> | undefined = undefined;
  /** The source has no more items. */
  private sourceDone = false;
  /** An async iterator's `next()` is pending (one at a time). */
  private awaitingNext = false;
  /** Completed, errored or unsubscribed: nothing more happens. */
  closed = false;
  /** Re-entrancy guards (see the module comment). */
  private draining = false;
  private flushing = false;
  /** Items may start while `started - head index` is below this (ordered mode). */
  private readonly window: number;
  /** Whether a finished item reports something (a result or a `Settled`). */
  private readonly reports: boolean;

  constructor(
    private readonly feed: Feed<T>,
    private readonly config: PoolConfig<T, unknown>,
    private readonly sink: PoolSink<T>,
  ) {
    this.window = config.ordered ? orderedWindow(config.limit) : Infinity;
    this.reports = config.values === 'last' || config.settle;
  }

  /**
   * Starts reading the feed for `subscriber`. The teardown is registered on the subscriber
   * first, so a consumer that unsubscribes synchronously (`take(1)` on a synchronous feed)
   * stops the pool at once, before `run` has returned.
   */
  run(subscriber: Subscription): void {
    subscriber.add(() => this.close());
    const feed = this.feed;
    if (feed.kind === 'push') {
      const sourceSubscriber = new SourceSubscriber(this);
      this.source = sourceSubscriber;
      feed.source.subscribe(sourceSubscriber);
    } else {
      this.iterator = feed.iterator;
      this.drain();
    }
  }

  /** The consumer unsubscribed: cancel everything, report nothing. */
  close(): void {
    if (!this.closed) this.teardown();
  }

  /** Fails the pool: cancel everything, then report the error. */
  fail(error: unknown): void {
    if (this.closed) return;
    this.teardown();
    this.sink.error(error);
  }

  push(item: T): void {
    if (this.closed) return;
    this.queue.push(item);
    this.drain();
  }

  sourceComplete(): void {
    this.source = undefined;
    this.sourceDone = true;
    this.checkDone();
  }

  innerValue(slot: Slot<T>, value: unknown): void {
    if (!slot.running || this.closed) return;
    const mode = this.config.values;
    if (mode === 'each') {
      if (!this.config.ordered || (slot === this.head && !this.flushing)) this.sink.next(value, slot.index, slot.item);
      else (slot.buffer ??= []).push(value);
    } else if (mode === 'last') {
      slot.result = value;
      slot.hasValue = true;
    }
  }

  innerComplete(slot: Slot<T>): void {
    if (!slot.running || this.closed) return;
    if (this.config.values === 'last' && !slot.hasValue) {
      this.innerError(slot, new EmptyTaskError(slot.index));
      return;
    }
    this.markStopped(slot);
    if (this.config.settle) slot.result = { status: 'fulfilled', value: slot.result } satisfies Settled<unknown>;
    this.finish(slot);
  }

  innerError(slot: Slot<T>, error: unknown): void {
    if (!slot.running || this.closed) return;
    // The failed item is finished, not cancelled: its signal must not abort with the others'.
    this.markStopped(slot);
    if (!this.config.settle) {
      this.fail(error);
      return;
    }
    slot.result = { status: 'rejected', reason: error } satisfies Settled<unknown>;
    this.finish(slot);
  }

  /** Starts items while slots are free and the feed has some. */
  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    const { limit } = this.config;
    const feed = this.feed;
    while (!this.closed && this.active < limit && this.started - (this.head?.index ?? this.started) < this.window) {
      if (feed.kind === 'push') {
        if (this.queue.length === 0) break;
        this.start(this.queue.shift());
      } else if (feed.kind === 'sync') {
        const iterator = this.iterator as Iterator<T> | undefined;
        if (iterator === undefined) break;
        let result: IteratorResult<T>;
        try {
          result = iterator.next();
        } catch (error) {
          this.iterator = undefined;
          this.fail(error);
          break;
        }
        if (result.done) {
          this.iterator = undefined;
          this.sourceDone = true;
          break;
        }
        this.start(result.value);
      } else {
        if (!this.awaitingNext && this.iterator !== undefined) this.requestNext(this.iterator as AsyncIterator<T>);
        break;
      }
    }
    this.draining = false;
    this.checkDone();
  }

  /** Asks an async iterator for one item; starts it when it comes. */
  private requestNext(iterator: AsyncIterator<T>): void {
    this.awaitingNext = true;
    let pending: Promise<IteratorResult<T>>;
    try {
      pending = Promise.resolve(iterator.next());
    } catch (error) {
      this.awaitingNext = false;
      this.iterator = undefined;
      this.fail(error);
      return;
    }
    pending.then(
      (result) => {
        this.awaitingNext = false;
        if (this.closed) return;
        if (result.done) {
          this.iterator = undefined;
          this.sourceDone = true;
          this.checkDone();
          return;
        }
        this.draining = true;
        this.start(result.value);
        this.draining = false;
        this.drain();
      },
      (error: unknown) => {
        this.awaitingNext = false;
        this.iterator = undefined;
        this.fail(error);
      },
    );
  }

  /** Starts one item: calls `project` and subscribes to what it returns. */
  private start(item: T): void {
    const slot = new Slot<T>(this.started++, item);
    if (this.tail === undefined) this.head = slot;
    else {
      this.tail.next = slot;
      slot.prev = this.tail;
    }
    this.tail = slot;
    this.active++;
    let input: ObservableInput<unknown>;
    try {
      input = this.config.project(item, slot.index, slot);
      if (!(input instanceof Observable) && typeof (input as PromiseLike<unknown>)?.then === 'function') {
        // Promises skip the Observable machinery: two callbacks, no Subscriber.
        (input as PromiseLike<unknown>).then(
          (value) => {
            this.innerValue(slot, value);
            this.innerComplete(slot);
          },
          (error: unknown) => this.innerError(slot, error),
        );
        return;
      }
      const subscriber = new InnerSubscriber(this, slot);
      slot.inner = subscriber;
      (input instanceof Observable ? input : from(input)).subscribe(subscriber);
    } catch (error) {
      // `project` threw, or returned something RxJS cannot subscribe to.
      this.innerError(slot, error);
    }
  }

  /** Marks a slot as no longer running. */
  private markStopped(slot: Slot<T>): void {
    slot.running = false;
    slot.inner = undefined;
    this.active--;
  }

  /** A slot finished without failing the pool: report it (in order, when ordered) and refill. */
  private finish(slot: Slot<T>): void {
    if (!this.config.ordered) {
      this.unlink(slot);
      if (this.reports) this.sink.next(slot.result, slot.index, slot.item);
    } else if (slot === this.head) {
      this.flushHead();
    }
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
      this.unlink(slot);
      if (this.reports) this.sink.next(slot.result, slot.index, slot.item);
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
    this.sink.complete();
  }

  /** Closes the pool: cancels running inners (aborting their signals), the source and the iterator. */
  private teardown(): void {
    this.closed = true;
    for (let slot = this.head; slot !== undefined; slot = slot.next) {
      if (slot.running) {
        slot.running = false;
        slot.inner?.unsubscribe();
        slot.inner = undefined;
        slot.abort();
      }
    }
    this.head = this.tail = undefined;
    this.queue.clear();
    this.source?.unsubscribe();
    this.source = undefined;
    const iterator = this.iterator;
    this.iterator = undefined;
    if (iterator !== undefined) closeIterator(iterator);
  }
}

/** Runs a pool for one subscription (its teardown goes onto `subscriber`). */
export function runPool<T>(subscriber: Subscription, feed: Feed<T>, config: PoolConfig<T, unknown>, sink: PoolSink<T>): void {
  new Pool(feed, config, sink).run(subscriber);
}
