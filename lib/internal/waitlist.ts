import { Subscription, type SchedulerLike } from 'rxjs';
import { armDeadline } from './clock.js';
import { opt } from './options.js';

/**
 * The limiters' queue of waiters: highest `priority` first, FIFO (arrival order) within a
 * priority. One intrusive doubly linked list in queue order, so a waiter leaves from anywhere in
 * O(1) when it unsubscribes, plus one {@link Bucket} per priority present, which marks where that
 * priority's run of waiters ends. Joining an existing priority is O(1); a new priority costs a
 * scan of the priorities present. While every waiter has the same priority (the common case) the
 * map is not used at all: that one bucket is `single`, and it is reused when the queue empties. Waiters carry their own links (`prev`, `next`), their arrival number (`seq`,
 * increasing), by which a store failure picks the waiters it concerns, and their queue-wait timer.
 */
export class Waiter {
  /** The neighbours in the queue while waiting. */
  prev: Waiter | null = null;
  next: Waiter | null = null;
  /** Arrival order: 1, 2, 3… per list. */
  seq = 0;
  /** The run of waiters of its priority, while waiting. */
  bucket: Bucket | null = null;
  /** The queue-wait timer (`{ timeout }`), while waiting: cleared when the waiter leaves the queue. */
  timer: Subscription | null = null;
}

/** The waiters of one priority: a run of the list, from `first` to `last`. */
class Bucket {
  first: Waiter;
  last: Waiter;
  constructor(
    public priority: number,
    waiter: Waiter,
  ) {
    this.first = this.last = waiter;
  }
}

export class WaitList<W extends Waiter> {
  /** First to be served (the oldest of the highest priority). */
  head: W | null = null;
  tail: W | null = null;
  /** How many wait. */
  length = 0;
  /** The `seq` of the latest arrival. */
  arrivals = 0;
  /** The one bucket while every waiter has the same priority (then `buckets` is empty). */
  private single: Bucket | null = null;
  /** The bucket of each priority present, once waiters of two priorities met (until the queue empties). */
  private readonly buckets = new Map<number, Bucket>();
  /** The bucket joined last, in `buckets` (spares a lookup for a run of one priority). */
  private recent: Bucket | null = null;
  /** The last emptied `single`, for reuse: a queue that fills and empties allocates no bucket. */
  private spare: Bucket | null = null;

  /** Queues `waiter` behind the waiters of `priority` (higher is served first) and of every higher one. */
  push(waiter: W, priority: number): void {
    waiter.seq = ++this.arrivals;
    let bucket: Bucket | undefined;
    if (this.head === null) {
      // An empty queue: one bucket, no map.
      bucket = this.spare ?? new Bucket(priority, waiter);
      this.spare = null;
      bucket.priority = priority;
      bucket.first = waiter;
      this.single = bucket;
    } else if (this.single !== null) {
      if (this.single.priority === priority) bucket = this.single;
      else {
        // A second priority: from now on (until the queue empties) the buckets are in the map.
        this.buckets.set(this.single.priority, this.single);
        this.single = null;
      }
    } else bucket = this.recent !== null && this.recent.priority === priority ? this.recent : this.buckets.get(priority);
    let after: Waiter | null;
    if (bucket !== undefined) {
      after = this.head === null ? null : bucket.last;
      bucket.last = waiter;
    } else {
      // A new priority: it goes after the last waiter of the nearest higher priority (or first).
      let above: Bucket | null = null;
      for (const b of this.buckets.values()) if (b.priority > priority && (above === null || b.priority < above.priority)) above = b;
      after = above === null ? null : above.last;
      bucket = new Bucket(priority, waiter);
      this.buckets.set(priority, bucket);
    }
    if (this.single === null) this.recent = bucket;
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
    const bucket = waiter.bucket!;
    if (bucket.first === waiter && bucket.last === waiter) {
      if (this.single === bucket) {
        this.single = null;
        this.spare = bucket;
      } else {
        this.buckets.delete(bucket.priority);
        if (this.recent === bucket) this.recent = null;
      }
    } else if (bucket.first === waiter) bucket.first = waiter.next!;
    else if (bucket.last === waiter) bucket.last = waiter.prev!;
    if (waiter.prev === null) this.head = waiter.next as W | null;
    else waiter.prev.next = waiter.next;
    if (waiter.next === null) this.tail = waiter.prev as W | null;
    else waiter.next.prev = waiter.prev;
    waiter.prev = waiter.next = null;
    waiter.bucket = null;
    this.length--;
    if (waiter.timer !== null) {
      const timer = waiter.timer;
      waiter.timer = null;
      timer.unsubscribe();
    }
  }

  /** Takes out every waiter that arrived by `upTo` (`seq <= upTo`), in queue order, and returns them. */
  removeUpTo(upTo: number): W[] {
    const out: W[] = [];
    for (let w = this.head; w !== null; w = w.next as W | null) if (w.seq <= upTo) out.push(w);
    for (const w of out) this.remove(w);
    return out;
  }
}

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
 * Arms `waiter`'s queue-wait limit on the one deadline clock ({@link armDeadline}): after
 * `timeout` ms still waiting, `expire(at)` takes it out; a `timeout` of 0 expires it at once,
 * synchronously. Call it right after queueing, only when the waiter still waits; the timer is
 * disarmed when the waiter leaves the queue (`WaitList.remove`).
 */
export function armWait(waiter: Waiter, scheduler: SchedulerLike, timeout: number, expire: (at: number) => void): void {
  const timer = new Subscription();
  waiter.timer = timer;
  const at = scheduler.now() + timeout;
  armDeadline(timer, scheduler, at, () => expire(at), noop);
}

function noop(): void {}

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
export function tellError(onError: ((error: unknown) => void) | undefined, error: unknown): void {
  if (onError === undefined) return reportError(error);
  try {
    onError(error);
  } catch (thrown) {
    reportError(thrown);
  }
}

/** Reports an error nobody can receive, as RxJS does: thrown on a later task. */
export function reportError(error: unknown): void {
  setTimeout(() => {
    throw error;
  });
}
