import { Observable, type Subscriber } from 'rxjs';
import type { Task } from '../types.js';
import { taskToObservable, validateTask } from '../internal/task.js';
import { validateFunction, validateLimit } from '../internal/validate.js';

/** A snapshot of a {@link CapacityLimiter}, as `state$` emits it. */
export interface CapacityState {
  /** How many tokens exist (an integer ≥ 1, or `Infinity`). */
  readonly total: number;
  /** How many tokens are held right now (may exceed `total` for a while after `total` shrank). */
  readonly borrowed: number;
  /** How many requests wait in the queue. */
  readonly waiting: number;
}

/**
 * One request for a token: first waiting in the limiter's FIFO queue, then holding the token,
 * then released. Returned by {@link CapacityLimiter.acquire}.
 */
export interface CapacityLease {
  /** `'waiting'` in the queue, `'held'` (has a token) or `'released'`. */
  readonly state: 'waiting' | 'held' | 'released';
  /**
   * Gives the token back, or leaves the queue if it is still waiting (it then never gets one).
   * Idempotent: calling it again does nothing.
   */
  release(): void;
}

/** A lease and its place in the limiter's doubly linked FIFO queue (O(1) to leave from anywhere). */
class Lease implements CapacityLease {
  state: 'waiting' | 'held' | 'released' = 'waiting';
  /** The neighbours in the queue while waiting. */
  prev: Lease | null = null;
  next: Lease | null = null;

  constructor(
    private readonly limiter: CapacityLimiter,
    readonly onGranted: (lease: CapacityLease) => void,
  ) {}

  release(): void {
    // Friend access to the limiter's bookkeeping, kept off its public surface.
    (this.limiter as unknown as LimiterInternals).releaseLease(this);
  }
}

/** The limiter's private methods that its leases call. */
interface LimiterInternals {
  releaseLease(lease: Lease): void;
}

/**
 * A pool of `total` tokens shared by any number of streams (for example every HTTP call of an
 * app): each piece of work holds one token while it runs, and the rest wait in FIFO order.
 *
 * The RxJS counterpart of Python's `CapacityLimiter` (anyio, lionherd). Unlike a `mergeMap`
 * limit, which bounds one pipeline, a limiter bounds every pipeline that uses it, together. Use
 * it through the {@link withCapacity} operator or {@link CapacityLimiter.run}. `total` can be
 * changed at run time: growing it lets waiters in at once; shrinking it lets current holders
 * finish and admits nobody until `borrowed` has fallen below the new `total`.
 *
 * ```text
 * limiter = new CapacityLimiter(2); a, b, c each piped through withCapacity(limiter)
 * a:       ^---|            (token 1)
 * b:       ^-----|          (token 2)
 * c:       ....^--|         (waits until a releases its token)
 * ```
 *
 * @example
 * ```ts
 * const http = new CapacityLimiter(4);           // at most 4 requests in flight, app-wide
 * const user$ = ajax('/user').pipe(withCapacity(http));
 * const feed$ = http.run(({ signal }) => fetch('/feed', { signal }).then((r) => r.json()));
 * http.state$.subscribe(({ borrowed, waiting }) => spinner.show(borrowed + waiting > 0));
 * ```
 */
export class CapacityLimiter {
  /** How many tokens exist (`total`). */
  #total: number;
  /** How many tokens are held (`borrowed`). */
  #borrowed = 0;
  /** The FIFO queue of waiting leases: a doubly linked list, oldest first. */
  private head: Lease | null = null;
  private tail: Lease | null = null;
  /** How many leases wait in the queue (`waiting`). */
  #waiting = 0;
  /** Subscribers of `state$`, each with the last state it was sent (to send each distinct state once). */
  private readonly listeners = new Map<Subscriber<CapacityState>, CapacityState>();
  /** Set while `update()` runs: a nested call (from a grant or a listener) only asks for another round. */
  private updating = false;
  /** Set by a nested `update()`: the running one must look at the queue and the listeners again. */
  private again = false;

  /**
   * Every change of `total`, `borrowed` or `waiting`, starting with the current state on
   * subscription; identical consecutive states are sent once. Meant for progress UIs.
   *
   * @example
   * ```ts
   * limiter.state$.subscribe(({ borrowed, waiting, total }) => (statusLine.textContent = `${borrowed}/${total}, ${waiting} queued`));
   * ```
   */
  readonly state$: Observable<CapacityState>;

  /**
   * @param total How many tokens exist: an integer ≥ 1, or `Infinity` (no limit, but still counted).
   * @throws RangeError when `total` is not an integer ≥ 1 or `Infinity`.
   */
  constructor(total: number) {
    this.#total = validateLimit('total', total);
    this.state$ = new Observable<CapacityState>((subscriber) => {
      const state = this.snapshot();
      this.listeners.set(subscriber, state);
      subscriber.next(state);
      return () => {
        this.listeners.delete(subscriber);
      };
    });
  }

  /**
   * How many tokens exist. Setting it validates (integer ≥ 1 or `Infinity`, `RangeError`
   * otherwise); growing lets waiters in at once, shrinking lets current holders finish.
   */
  get total(): number {
    return this.#total;
  }

  set total(value: number) {
    this.#total = validateLimit('total', value);
    this.update();
  }

  /** How many tokens are held right now. */
  get borrowed(): number {
    return this.#borrowed;
  }

  /** How many tokens are free right now: `max(0, total - borrowed)`. */
  get available(): number {
    return Math.max(0, this.#total - this.#borrowed);
  }

  /** How many requests wait in the queue. */
  get waiting(): number {
    return this.#waiting;
  }

  /**
   * The low-level form behind {@link withCapacity} and {@link CapacityLimiter.run}: asks for a
   * token and calls `onGranted(lease)` when it is this request's turn (synchronously, inside
   * `acquire`, when a token is free and nobody waits). Call `lease.release()` exactly when the
   * work ends, or to leave the queue; prefer the operator, which does both for you.
   *
   * Think of it as `await limiter.acquire()` turned inside out for callback code: the lease is
   * your ticket, first in the queue, then holding a token.
   *
   * ```text
   * limiter = new CapacityLimiter(1)
   * a = acquire(fa):  ^ fa(a) ----- a.release()       (granted at once: a token was free)
   * b = acquire(fb):  ^ waiting ---------------- fb(b) ----- b.release()
   * c = acquire(fc):  ^ waiting -- c.release()         (left the queue: fc is never called)
   * ```
   *
   * @throws TypeError when `onGranted` is not a function.
   *
   * @example
   * ```ts
   * const request = limiter.acquire((lease) => {
   *   startUpload().finally(() => lease.release()); // give the token back when the work ends
   * });
   * cancelButton.onclick = () => request.release(); // leaves the queue if still waiting
   * ```
   */
  acquire(onGranted: (lease: CapacityLease) => void): CapacityLease {
    validateFunction('onGranted', onGranted);
    const lease = new Lease(this, onGranted);
    this.enqueue(lease);
    this.update();
    return lease;
  }

  /**
   * A {@link Task} run under this limiter: the returned Observable waits for a token on each
   * subscription, then starts the task (calls the factory with a `TaskContext`), and releases the
   * token when the task completes, errors or is unsubscribed. A factory is never called while
   * its subscription waits, and its `signal` aborts when it is unsubscribed mid-run.
   *
   * ```text
   * limiter = new CapacityLimiter(1)
   * run(a):  ^--a|
   * run(b):  ...^--b|     (subscribed at the same time as run(a), started when a released)
   * ```
   *
   * @throws TypeError when `task` is neither an `ObservableInput` nor a function (at call time).
   *
   * @example
   * ```ts
   * const body$ = limiter.run(({ signal }) => fetch(url, { signal }).then((r) => r.text()));
   * ```
   */
  run<T>(task: Task<T>): Observable<T> {
    validateTask('task', task);
    return underCapacity(this, taskToObservable(task));
  }

  /** The current state. */
  snapshot(): CapacityState {
    return { total: this.#total, borrowed: this.#borrowed, waiting: this.#waiting };
  }

  /** Called by `Lease.release()`. */
  private releaseLease(lease: Lease): void {
    if (lease.state === 'released') return;
    if (lease.state === 'waiting') this.unlink(lease);
    else this.#borrowed--;
    lease.state = 'released';
    this.update();
  }

  private enqueue(lease: Lease): void {
    lease.prev = this.tail;
    if (this.tail === null) this.head = lease;
    else this.tail.next = lease;
    this.tail = lease;
    this.#waiting++;
  }

  private unlink(lease: Lease): void {
    if (lease.prev === null) this.head = lease.next;
    else lease.prev.next = lease.next;
    if (lease.next === null) this.tail = lease.prev;
    else lease.next.prev = lease.prev;
    lease.prev = lease.next = null;
    this.#waiting--;
  }

  /**
   * Grants tokens to the queue in FIFO order while some are free, then tells `state$` listeners.
   * Re-entrant calls (a grant that releases synchronously or unsubscribes another waiter, a
   * listener that changes `total`) do not recurse: they make the running call go round again.
   */
  private update(): void {
    if (this.updating) {
      this.again = true;
      return;
    }
    this.updating = true;
    try {
      do {
        this.again = false;
        while (this.head !== null && this.#borrowed < this.#total) {
          const lease = this.head;
          this.unlink(lease);
          lease.state = 'held';
          this.#borrowed++;
          try {
            lease.onGranted(lease);
          } catch (error) {
            // A throwing callback must not stall the queue: free its token and report the error
            // the way RxJS reports errors nobody can receive.
            lease.release();
            setTimeout(() => {
              throw error;
            });
          }
        }
        if (this.listeners.size > 0) this.notify();
      } while (this.again);
    } finally {
      this.updating = false;
    }
  }

  private notify(): void {
    let state: CapacityState | null = null;
    for (const [listener, last] of [...this.listeners]) {
      if (last.total === this.#total && last.borrowed === this.#borrowed && last.waiting === this.#waiting) continue;
      if (!this.listeners.has(listener)) continue; // unsubscribed by an earlier listener
      state ??= this.snapshot();
      this.listeners.set(listener, state);
      listener.next(state);
    }
  }
}

/**
 * `source` run under a token of `limiter` on each subscription: the body of {@link withCapacity}
 * and {@link CapacityLimiter.run} (kept here so the operator's module depends on this one, not both
 * ways round).
 */
export function underCapacity<T>(limiter: CapacityLimiter, source: Observable<T>): Observable<T> {
  return new Observable<T>((subscriber) => {
    // Our request: a place in the queue, then the token. When it is granted the source emits
    // straight into the subscriber, so the source's teardown joins the subscriber's and a
    // synchronous source stops as soon as the subscriber closes. The token is freed by a
    // finalizer added after the source's, so the source is gone before a waiter gets it.
    const lease = limiter.acquire((granted) => {
      source.subscribe(subscriber);
      subscriber.add(() => granted.release());
    });
    // Unsubscribed before its turn: leave the queue (a held token is the finalizer's job).
    return () => {
      if (lease.state === 'waiting') lease.release();
    };
  });
}
