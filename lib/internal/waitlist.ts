import { Subscription, config, type SchedulerLike } from 'rxjs';
import { armDeadline, deadlineError } from './clock.js';
import type { DeadlineError } from '../errors.js';
import * as opt from './options.js';

/** A queue entry, whatever its states. */
type Waiter = Request;

/** The waiters of one priority: a run of the list, from `first` to `last`. */
class Bucket {
  constructor(
    readonly priority: number,
    public first: Waiter,
    public last: Waiter,
  ) {}
}

/**
 * The limiters' queue of waiters: highest `priority` first, FIFO (arrival order) within a
 * priority. One intrusive doubly linked list in queue order, so a waiter leaves from anywhere in
 * O(1) when it unsubscribes. While every waiter has the same priority (the common case) that is
 * all there is: joining appends at the tail, as a plain FIFO queue does. Once a second priority
 * joins, each priority present gets a {@link Bucket} (in a map) marking where its run of waiters
 * begins and ends, until the queue empties again: joining an existing priority is then O(1), a
 * new priority a scan of the priorities present. Waiters ({@link Request}s) carry their own links (`prev`,
 * `next`) and their arrival number (`seq`, increasing), by which a store failure picks the waiters it
 * concerns.
 */
export class WaitList<W extends Waiter> {
  /** First to be served (the oldest of the highest priority). */
  head: W | null = null;
  tail: W | null = null;
  /** How many wait. */
  length = 0;
  /** The `seq` of the latest arrival. */
  arrivals = 0;
  /** The priority of every waiter, while not `mixed`. */
  private level = 0;
  /** Waiters of two priorities or more are queued: the buckets are in use (until the queue empties). */
  private mixed = false;
  /** When mixed: the bucket of the waiters queued before, at `level` (their `bucket` is `null`). */
  private base: Bucket | null = null;
  /** When mixed: the bucket of each priority present. */
  private readonly buckets = new Map<number, Bucket>();
  /** The bucket joined last (spares a lookup for a run of one priority). */
  private recent: Bucket | null = null;
  /** The queue-wait timers of the waiters that have one (few do). */
  private readonly timers = new Map<Waiter, Subscription>();

  /** Queues `waiter` behind the waiters of `priority` (higher is served first) and of every higher one. */
  push(waiter: W, priority: number): void {
    waiter.seq = ++this.arrivals;
    const tail = this.tail;
    if (tail === null || (!this.mixed && priority === this.level)) {
      // One priority: a plain FIFO append.
      this.level = priority;
      waiter.prev = tail;
      if (tail === null) this.head = waiter;
      else tail.next = waiter;
      this.tail = waiter;
      this.length++;
      return;
    }
    if (!this.mixed) {
      // A second priority: the waiters so far become the bucket of `level`.
      this.mixed = true;
      this.base = new Bucket(this.level, this.head!, tail);
      this.buckets.set(this.level, this.base);
      this.recent = this.base;
    }
    let bucket = this.recent !== null && this.recent.priority === priority ? this.recent : this.buckets.get(priority);
    let after: Waiter | null;
    if (bucket !== undefined) {
      after = bucket.last;
      bucket.last = waiter;
    } else {
      // A new priority: it goes after the last waiter of the nearest higher priority (or first).
      let above: Bucket | null = null;
      for (const b of this.buckets.values()) if (b.priority > priority && (above === null || b.priority < above.priority)) above = b;
      after = above === null ? null : above.last;
      bucket = new Bucket(priority, waiter, waiter);
      this.buckets.set(priority, bucket);
    }
    this.recent = bucket;
    waiter.bucket = bucket;
    waiter.prev = after;
    waiter.next = after === null ? this.head : after.next;
    if (waiter.prev === null) this.head = waiter;
    else waiter.prev.next = waiter;
    if (waiter.next === null) this.tail = waiter;
    else waiter.next.prev = waiter;
    this.length++;
  }

  /** Takes `waiter` out of the queue (and disarms its queue-wait timer). */
  remove(waiter: W): void {
    if (this.mixed) {
      const bucket = waiter.bucket ?? this.base!;
      if (bucket.first === waiter && bucket.last === waiter) {
        this.buckets.delete(bucket.priority);
        if (this.recent === bucket) this.recent = null;
      } else if (bucket.first === waiter) bucket.first = waiter.next!;
      else if (bucket.last === waiter) bucket.last = waiter.prev!;
      waiter.bucket = null;
    }
    if (waiter.prev === null) this.head = waiter.next as W | null;
    else waiter.prev.next = waiter.next;
    if (waiter.next === null) this.tail = waiter.prev as W | null;
    else waiter.next.prev = waiter.prev;
    waiter.prev = waiter.next = null;
    if (--this.length === 0 && this.mixed) {
      this.mixed = false;
      this.base = this.recent = null;
    }
    if (this.timers.size !== 0) {
      const timer = this.timers.get(waiter);
      if (timer !== undefined) {
        this.timers.delete(waiter);
        timer.unsubscribe();
      }
    }
  }

  /** Takes out every waiter that arrived by `upTo` (`seq <= upTo`), in queue order, and returns them. */
  removeUpTo(upTo: number): W[] {
    const out: W[] = [];
    for (let w = this.head; w !== null; w = w.next as W | null) if (w.seq <= upTo) out.push(w);
    for (const w of out) this.remove(w);
    return out;
  }

  /**
   * Arms `waiter`'s queue-wait limit on the one deadline clock ({@link armDeadline}), if it is
   * still queued: after `timeout` ms still waiting, `expire(error)` takes it out, with the
   * `DeadlineError` `${origin}: ${what} within ${timeout} ms`; a `timeout` of 0 expires it at once,
   * synchronously. Call it right after queueing; the timer is disarmed when the waiter leaves the
   * queue (`remove`).
   */
  armWait(waiter: W, scheduler: SchedulerLike, timeout: number, origin: string, what: string, expire: (error: DeadlineError) => void): void {
    if (waiter.prev === null && this.head !== waiter) return; // granted, shed or failed already
    const timer = new Subscription();
    this.timers.set(waiter, timer);
    const at = scheduler.now() + timeout;
    armDeadline(timer, scheduler, at, () => expire(deadlineError(at, { origin, within: timeout, what })), noop);
  }
}

/**
 * A request in a limiter's queue, the same for both limiters: it waits, then is granted (its
 * `state` becomes one of `Granted`) or ends without a grant (one of `Ended`: it left the queue,
 * was shed, timed out, or the store failed). Two kinds: {@link CallbackRequest} for the
 * low-level `acquire(onGranted, …)`, and each limiter's operator request for `withCapacity` /
 * `withRate` / `run` (no closures: one object per subscription on the fast path).
 */
export abstract class Request<Granted extends string = string, Ended extends string = string> {
  /** The neighbours in the queue while waiting. */
  prev: Waiter | null = null;
  next: Waiter | null = null;
  /** Arrival order: 1, 2, 3… per list. */
  seq = 0;
  /** The run of waiters of its priority, once priorities are mixed (`null`: the list's `base`). */
  bucket: Bucket | null = null;
  state: 'waiting' | Granted | Ended = 'waiting';

  constructor(
    /** Its limiter: `leave(this)` gives the request up (leaves the queue, or gives back what it holds). */
    protected readonly owner: object,
  ) {}

  /** It is this request's turn: its state is the granted one already. */
  abstract granted(): void;
  /** It ended without a grant (or lost what it held), with `error`; its state is the ended one already. */
  abstract failed(error: unknown): void;

  /** Gives the request up: the limiter's `leave(request)` (friend access, off its public surface). */
  protected leave(): void {
    (this.owner as { leave(request: unknown): void }).leave(this);
  }

  /** Ends the request with `error`: marks it `ended`, then tells its owner. */
  fail(ended: Ended, error: unknown): void {
    this.state = ended;
    this.failed(error);
  }
}

/**
 * The request of a low-level `acquire(onGranted, onError)`: calls `onGranted(request)` at its
 * turn; an error goes to `onError`, or is reported ({@link tellError}).
 */
export abstract class CallbackRequest<Granted extends string, Ended extends string> extends Request<Granted, Ended> {
  constructor(
    owner: object,
    private readonly onGranted: (request: never) => void,
    private readonly onError: ((error: unknown) => void) | undefined,
  ) {
    super(owner);
  }

  granted(): void {
    (this.onGranted as (request: this) => void)(this);
  }

  failed(error: unknown): void {
    tellError(this.onError, error);
  }
}

/**
 * Ends `requests` (taken out of the queue together, by a store failure) with `error`: every one is
 * marked `ended` before any is told, as a told one may act on the others.
 */
export function failAll<Ended extends string>(requests: readonly Request<string, Ended>[], ended: Ended, error: unknown): void {
  for (const request of requests) request.state = ended;
  for (const request of requests) request.failed(error);
}

function noop(): void {}

/** What one acquire asks of the queue: its place (`priority`) and how long it may wait (`timeout`). */
export interface QueueOptions {
  readonly priority: number;
  /** In ms, or `undefined`: wait as long as it takes. */
  readonly timeout: number | undefined;
}

/** Priority 0, no queue-wait limit. */
export const DEFAULT_QUEUE: QueueOptions = { priority: 0, timeout: undefined };

/** The readers of {@link QueueOptions}, for `readOptions` beside each entry point's own keys. */
export const queueReaders = {
  priority: opt.finite(0),
  timeout: opt.nonNegative(undefined),
};


/**
 * A limiter's grant loop, safe against re-entrancy: `run()` calls `round` until no round asked for
 * another. A nested `run()` (a grant that releases synchronously or unsubscribes another waiter,
 * a `state$` listener that changes a setting, a store answering synchronously) does not recurse:
 * it makes the running call go round again.
 */
export class Rounds {
  /** Set while `run()` runs (read by fast paths that must not overtake a running round). */
  running = false;
  /** Set by a nested `run()`: one more round. */
  private again = false;

  constructor(private readonly round: () => void) {}

  run(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      do {
        this.again = false;
        this.round();
      } while (this.again);
    } finally {
      this.running = false;
    }
  }
}

/** Tells a low-level request's `onError` about `error`, or reports it when there is none (or it throws). */
function tellError(onError: ((error: unknown) => void) | undefined, error: unknown): void {
  if (onError === undefined) return reportError(error);
  try {
    onError(error);
  } catch (thrown) {
    reportError(thrown);
  }
}

/**
 * Reports an error nobody can receive (a grant callback that threw, an `onError` that threw, an
 * error without `onError`) the way RxJS reports an error thrown in a subscriber's callback: on a
 * later task, to rxjs's `config.onUnhandledError` when one is set, otherwise thrown there (for the
 * host's uncaught-error handler). Never synchronously: the limiter that calls it has already put
 * its own state right and goes on granting.
 */
export function reportError(error: unknown): void {
  setTimeout(() => {
    const { onUnhandledError } = config;
    if (onUnhandledError) onUnhandledError(error);
    else throw error;
  });
}
