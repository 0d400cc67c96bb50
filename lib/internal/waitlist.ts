/**
 * The limiters' FIFO queue of waiters: an intrusive doubly linked list, so a waiter leaves from
 * anywhere in O(1) when it unsubscribes. Waiters carry their own links (`prev`, `next`) and their
 * arrival number (`seq`, increasing), by which a store failure picks the waiters it concerns.
 */
export class Waiter {
  /** The neighbours in the queue while waiting. */
  prev: Waiter | null = null;
  next: Waiter | null = null;
  /** Arrival order: 1, 2, 3… per list. */
  seq = 0;
}

export class WaitList<W extends Waiter> {
  /** Oldest first. */
  head: W | null = null;
  tail: W | null = null;
  /** How many wait. */
  length = 0;
  /** The `seq` of the latest arrival. */
  arrivals = 0;

  push(waiter: W): void {
    waiter.seq = ++this.arrivals;
    waiter.prev = this.tail;
    if (this.tail === null) this.head = waiter;
    else this.tail.next = waiter;
    this.tail = waiter;
    this.length++;
  }

  remove(waiter: W): void {
    if (waiter.prev === null) this.head = waiter.next as W | null;
    else waiter.prev.next = waiter.next;
    if (waiter.next === null) this.tail = waiter.prev as W | null;
    else waiter.next.prev = waiter.prev;
    waiter.prev = waiter.next = null;
    this.length--;
  }
}

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
