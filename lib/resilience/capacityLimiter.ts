import { Observable, asyncScheduler, type SchedulerLike, type Subscriber, type Unsubscribable } from 'rxjs';
import { TOKEN_SOURCE, TokenGate, type GateOwner } from '../internal/tokenSource.js';
import type { Task } from '../types.js';
import { taskToObservable, validateTask } from '../internal/task.js';
import { readOptions } from '../internal/options.js';
import * as opt from '../internal/options.js';
import { StateFeed } from '../internal/stateFeed.js';
import { validateFunction, validateLimit } from '../internal/validate.js';
import { CallbackRequest, DEFAULT_QUEUE, Request, Rounds, WaitList, failAll, queueReaders, reportError, type QueueOptions } from '../internal/waitlist.js';
import { CapacityExceededError, StoreUnavailableError, type LeaseLostError } from './errors.js';
import { LocalCapacityStore, isThenable, validateStore, type CapacityStore } from './store.js';

/** A snapshot of a {@link CapacityLimiter}, as `state$` emits it. */
export interface CapacityState {
  /** How many tokens exist (an integer ≥ 1, or `Infinity`). */
  readonly total: number;
  /**
   * How many tokens this limiter holds right now (may exceed `total` for a while after `total`
   * shrank). With a shared store, other processes' tokens are not counted here.
   */
  readonly borrowed: number;
  /** How many requests wait in the queue. */
  readonly waiting: number;
}

/** Options of {@link CapacityLimiter}. */
export interface CapacityLimiterOptions {
  /**
   * Where the tokens are counted (see {@link CapacityStore}); default: a {@link LocalCapacityStore},
   * in memory. `redisCapacity(client, { key })` from `rxjs-concurrency/redis` shares them between
   * processes.
   */
  readonly store?: CapacityStore<unknown>;
  /**
   * At most this many requests wait (an integer ≥ 0 or `Infinity`, the default): a request that
   * would have to wait behind `maxWaiting` others fails at once with a
   * {@link CapacityExceededError} (load shedding). `0`: never wait.
   */
  readonly maxWaiting?: number;
  /** The clock of the queue-wait limits (`{ timeout }` of `withCapacity` and `run`); default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
}

/** Options of one request: {@link withCapacity}`(limiter, options)` and {@link CapacityLimiter.run}`(task, options)`. */
export interface CapacityRequestOptions {
  /**
   * The request's place in the queue (a finite number, default 0): higher is served first, FIFO
   * within a priority. It orders this process's queue only (a shared store sees no priorities).
   */
  readonly priority?: number;
  /**
   * At most this many ms in the queue (a finite number ≥ 0; default: no limit): a request still
   * waiting then leaves it and errors with a `DeadlineError` (`withCapacity: no token within 500 ms`);
   * the source is never subscribed. `0`: take a free token at once or fail at once.
   */
  readonly timeout?: number;
}

/**
 * One request for a token: first waiting in the limiter's FIFO queue, then holding the token,
 * then released. Returned by {@link CapacityLimiter.acquire}.
 */
export interface CapacityLease {
  /** `'waiting'` in the queue, `'held'` (has a token) or `'released'` (also after an error). */
  readonly state: 'waiting' | 'held' | 'released';
  /**
   * Gives the token back, or leaves the queue if it is still waiting (it then never gets one).
   * Idempotent: calling it again does nothing.
   */
  release(): void;
}

/** The states of a lease after waiting: holding a token, or released (also after an error). */
type Held = 'held';
type Released = 'released';

/** The limiter's private methods that its leases and `withCapacity` call. */
interface LimiterInternals {
  enqueue(lease: Lease, request: QueueOptions, origin: string): void;
}

/** A lease of either kind: {@link CallbackLease} or {@link OperatorLease}. */
type Lease = CallbackLease | OperatorLease<unknown>;

/** The request of `acquire(onGranted, onError)`. */
class CallbackLease extends CallbackRequest<Held, Released> implements CapacityLease {
  /** The store's token while held. */
  token: unknown = undefined;

  release(): void {
    this.leave();
  }
}

/**
 * The request of one subscription through {@link withCapacity} (or `run`): subscribes `subscriber`
 * to `source` when granted. It is also the subscription's teardown (`unsubscribe`: leave the queue
 * if still waiting); a held token is released by a finalizer added after the source's, so the
 * source is gone before a waiter gets the token.
 */
class OperatorLease<T> extends Request<Held, Released> implements CapacityLease {
  /** The store's token while held. */
  token: unknown = undefined;

  constructor(
    limiter: CapacityLimiter,
    private readonly source: Observable<T>,
    private readonly subscriber: Subscriber<T>,
    /** Told an error before the subscriber errors with it (`run` aborts its task's signal with it). */
    private readonly beforeError: ((error: unknown) => void) | undefined,
  ) {
    super(limiter);
  }

  release(): void {
    this.leave();
  }

  granted(): void {
    // The source emits straight into the subscriber, so its teardown joins the subscriber's and
    // a synchronous source stops as soon as the subscriber closes.
    this.source.subscribe(this.subscriber);
    this.subscriber.add(() => this.leave());
  }

  failed(error: unknown): void {
    this.beforeError?.(error);
    this.subscriber.error(error);
  }

  /** The teardown: unsubscribed before its turn, leave the queue (a held token is the finalizer's job). */
  unsubscribe(): void {
    if (this.state === 'waiting') this.leave();
  }
}

/**
 * Subscribes `subscriber` to `source` once `limiter` grants a token: the body of
 * {@link withCapacity} and of `limiter.run`. Returns the subscription's teardown.
 */
export function subscribeWithCapacity<T>(
  limiter: CapacityLimiter,
  source: Observable<T>,
  subscriber: Subscriber<T>,
  request: QueueOptions,
  origin: string,
  beforeError?: (error: unknown) => void,
): Unsubscribable {
  const lease = new OperatorLease(limiter, source, subscriber, beforeError);
  (limiter as unknown as LimiterInternals).enqueue(lease, request, origin);
  return lease;
}

/** Reads a {@link CapacityRequestOptions} (`withCapacity`'s and `run`'s), at creation. */
export function readCapacityRequest(options: CapacityRequestOptions | undefined): QueueOptions {
  return readOptions('options', options, queueReaders);
}

/** A failed store attempt, waiting for `update()` to error the waiters it concerns. */
interface Failure {
  readonly error: StoreUnavailableError;
  /** Waiters with a `seq` up to this one were queued when the attempt was made. */
  readonly upTo: number;
}

/**
 * A pool of `total` tokens shared by any number of streams (for example every HTTP call of an
 * app): each piece of work holds one token while it runs, and the rest wait in FIFO order (or by
 * `priority`, higher first; FIFO within a priority).
 *
 * The RxJS counterpart of Python's `CapacityLimiter` (anyio, lionherd). Unlike a `mergeMap`
 * limit, which bounds one pipeline, a limiter bounds every pipeline that uses it, together. Use
 * it through the {@link withCapacity} operator or {@link CapacityLimiter.run}. `total` can be
 * changed at run time: growing it lets waiters in at once; shrinking it lets current holders
 * finish and admits nobody until `borrowed` has fallen below the new `total`. With
 * `maxWaiting`, requests beyond that many waiters fail at once ({@link CapacityExceededError});
 * with a shared `store`, the tokens are shared by every process using the same store key.
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
 * const http = new CapacityLimiter(4, { maxWaiting: 100 }); // ≤ 4 in flight app-wide, ≤ 100 queued
 * const user$ = ajax('/user').pipe(withCapacity(http));
 * const feed$ = http.run(({ signal }) => fetch('/feed', { signal }).then((r) => r.json()));
 * http.state$.subscribe(({ borrowed, waiting }) => spinner.show(borrowed + waiting > 0));
 * ```
 */
export class CapacityLimiter {

  /** How many tokens exist (`total`). */
  #total: number;
  /** How many tokens this limiter holds (`borrowed`). */
  #borrowed = 0;
  /** The FIFO queue of waiting leases. */
  private readonly queue = new WaitList<Lease>();
  /** At most this many waiting leases. */
  private readonly maxWaiting: number;
  /** Where tokens are counted. */
  private readonly store: CapacityStore<unknown>;
  /** The held leases by token, kept only for a store that may report lost leases. */
  private readonly holders: Map<unknown, Lease> | null;
  /** Asynchronous attempts in flight. */
  private pending = 0;
  /** Tokens that arrived from asynchronous attempts, for `update()` to hand to the queue head. */
  private readonly arrived: unknown[] = [];
  /** Failed attempts, for `update()` to error the waiters they concern. */
  private readonly failures: Failure[] = [];
  /** The store refused the last attempt: ask again only after a release, a `total` change or a wake-up. */
  private blocked = false;
  /** Counts releases, `total` changes and wake-ups: a refusal of an attempt made before one of them is stale. */
  private epoch = 0;
  /** `state$`'s subscribers. */
  private readonly feed = new StateFeed<CapacityState>(() => this.snapshot());
  /** The grant loop (see `round()`), safe against re-entrant calls. */
  private readonly rounds = new Rounds(() => this.round());
  /** The clock of queue-wait limits. */
  private readonly scheduler: SchedulerLike;

  /**
   * Every change of `total`, `borrowed` or `waiting`, starting with the current state on
   * subscription; identical consecutive states are sent once. Meant for progress UIs.
   *
   * @example
   * ```ts
   * limiter.state$.subscribe(({ borrowed, waiting, total }) => (statusLine.textContent = `${borrowed}/${total}, ${waiting} queued`));
   * ```
   */
  readonly state$: Observable<CapacityState> = this.feed.state$;

  /**
   * @param total How many tokens exist: an integer ≥ 1, or `Infinity` (no limit, but still counted).
   * @param options `store` (where tokens are counted), `maxWaiting` (load shedding), `scheduler`
   *   (the clock of queue-wait limits).
   * @throws RangeError when `total` is not an integer ≥ 1 or `Infinity`, or `maxWaiting` not an
   *   integer ≥ 0 or `Infinity`; TypeError for an unknown option or a `store` without the
   *   {@link CapacityStore} methods.
   */
  constructor(total: number, options?: CapacityLimiterOptions) {
    this.#total = validateLimit('total', total);
    const read = readOptions('options', options, {
      store: opt.optional((path, value) => {
        validateStore(path, value, 'CapacityStore', ['acquire', 'release']);
        return value as CapacityStore<unknown>;
      }),
      maxWaiting: opt.limit(Infinity, true, 0),
      scheduler: opt.scheduler(asyncScheduler),
    });
    this.maxWaiting = read.maxWaiting;
    this.scheduler = read.scheduler;
    this.store = read.store ?? new LocalCapacityStore();
    this.holders = read.store === undefined ? null : new Map();
    this.store.attach?.({ wake: () => this.wake(), lost: (token, error) => this.lost(token, error) });
  }

  /**
   * @internal Marks a limiter for the fan-out engine and makes the gate through which one pool
   * holds its tokens (see `internal/tokenSource.ts`).
   */
  [TOKEN_SOURCE](owner: GateOwner): TokenGate {
    return new TokenGate(this, owner);
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
    this.store.resize?.(this.#total);
    this.wake();
  }

  /** How many tokens this limiter holds right now. */
  get borrowed(): number {
    return this.#borrowed;
  }

  /** How many tokens are free right now, as far as this limiter knows: `max(0, total - borrowed)`. */
  get available(): number {
    return Math.max(0, this.#total - this.#borrowed);
  }

  /** How many requests wait in the queue. */
  get waiting(): number {
    return this.queue.length;
  }

  /**
   * The low-level form behind {@link withCapacity} and {@link CapacityLimiter.run}: asks for a
   * token and calls `onGranted(lease)` when it is this request's turn (synchronously, inside
   * `acquire`, when a token is free and nobody waits). Call `lease.release()` exactly when the
   * work ends, or to leave the queue; prefer the operator, which does both for you.
   *
   * `onError(error)` is called instead, and the lease is then `'released'`, when the request is
   * shed ({@link CapacityExceededError}, synchronously inside `acquire`), when the store cannot
   * answer ({@link StoreUnavailableError}, while waiting) or when a shared store loses the held
   * token's lease ({@link LeaseLostError}, while held: stop the work). Without `onError`, such an
   * error is reported asynchronously, the way RxJS reports errors nobody can receive.
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
   * @throws TypeError when `onGranted` or `onError` is not a function.
   *
   * @example
   * ```ts
   * const request = limiter.acquire((lease) => {
   *   startUpload().finally(() => lease.release()); // give the token back when the work ends
   * });
   * cancelButton.onclick = () => request.release(); // leaves the queue if still waiting
   * ```
   */
  acquire(onGranted: (lease: CapacityLease) => void, onError?: (error: unknown) => void): CapacityLease {
    validateFunction('onGranted', onGranted);
    if (onError !== undefined) validateFunction('onError', onError);
    const lease = new CallbackLease(this, onGranted, onError);
    this.enqueue(lease, DEFAULT_QUEUE, 'CapacityLimiter.acquire');
    return lease;
  }

  /**
   * A {@link Task} run under this limiter: the returned Observable waits for a token on each
   * subscription, then starts the task (calls the factory with a `TaskContext`), and releases the
   * token when the task completes, errors or is unsubscribed. A factory is never called while
   * its subscription waits, and its `signal` aborts when it is unsubscribed mid-run, or with the
   * {@link LeaseLostError} when a shared store lost its token.
   *
   * ```text
   * limiter = new CapacityLimiter(1)
   * run(a):  ^--a|
   * run(b):  ...^--b|     (subscribed at the same time as run(a), started when a released)
   * ```
   *
   * `options`: `priority` (higher first, FIFO within a priority) and `timeout` (at most this many
   * ms in the queue, then a `DeadlineError`), as for {@link withCapacity}.
   *
   * @throws TypeError when `task` is neither an `ObservableInput` nor a function, or for an unknown
   *   option; RangeError for a `priority` that is not a finite number or a `timeout` that is not a
   *   finite number ≥ 0 (at call time).
   *
   * @example
   * ```ts
   * const body$ = limiter.run(({ signal }) => fetch(url, { signal }).then((r) => r.text()));
   * const urgent$ = limiter.run(() => fetch('/health'), { priority: 10, timeout: 500 });
   * ```
   */
  run<T>(task: Task<T>, options?: CapacityRequestOptions): Observable<T> {
    validateTask('task', task);
    const request = readCapacityRequest(options);
    return new Observable<T>((subscriber) => {
      // The task's signal aborts with the lease's loss, when that is why it stops.
      let lost: unknown = undefined;
      const source = taskToObservable(task, () => lost);
      return subscribeWithCapacity(this, source, subscriber, request, 'CapacityLimiter.run', (error) => (lost = error));
    });
  }

  /** The current state. */
  snapshot(): CapacityState {
    return { total: this.#total, borrowed: this.#borrowed, waiting: this.queue.length };
  }

  /**
   * Queues `lease` (or sheds it, beyond `maxWaiting`), grants what can be granted, and arms the
   * queue-wait limit of a lease still waiting (`origin` names the entry point in its error).
   */
  private enqueue(lease: Lease, request: QueueOptions, origin: string): void {
    const queued = this.queue.length;
    if (queued === 0 && this.holders === null && this.#borrowed < this.#total && !this.rounds.running) {
      // The fast path (the local store, a free token, nobody waiting, no round running): the
      // local store grants synchronously, so the request need not pass through the queue.
      this.hold(lease, this.store.acquire(this.#total));
      this.feed.notify();
      return;
    }
    if (queued >= this.maxWaiting && (queued > 0 || this.blocked || this.#borrowed + this.pending >= this.#total)) {
      return lease.fail('released', new CapacityExceededError(this.maxWaiting));
    }
    this.queue.push(lease, request.priority);
    this.update();
    if (request.timeout !== undefined) this.queue.armWait(lease, this.scheduler, request.timeout, origin, 'no token', (error) => this.expire(lease, error));
  }

  /** A waiter's queue-wait limit passed: it leaves the queue and fails with `error`. */
  private expire(lease: Lease, error: unknown): void {
    if (lease.state !== 'waiting') return;
    this.queue.remove(lease);
    lease.fail('released', error);
    this.update();
  }

  /** Called by `lease.release()`. */
  private leave(lease: Lease): void {
    const state = lease.state;
    if (state === 'released') return;
    // Released before the store hears of it: a store may wake us synchronously from `release`.
    lease.state = 'released';
    if (state === 'waiting') this.queue.remove(lease);
    else {
      this.#borrowed--;
      this.holders?.delete(lease.token);
      this.epoch++;
      this.blocked = false;
      this.store.release(lease.token);
    }
    this.update();
  }

  /** `listener.wake()` (and `total` changes): capacity may be free, try the queue head again. */
  private wake(): void {
    this.epoch++;
    this.blocked = false;
    this.update();
  }

  /** `listener.lost(token, error)`: the store lost the lease of a held token. */
  private lost(token: unknown, error: LeaseLostError): void {
    const lease = this.holders?.get(token);
    if (lease === undefined || lease.state !== 'held') return;
    this.holders!.delete(token);
    this.#borrowed--;
    this.epoch++;
    this.blocked = false;
    lease.fail('released', error);
    this.update();
  }

  /**
   * Grants tokens to the queue in FIFO order while some are free, then tells `state$` listeners.
   * Re-entrant calls (a grant that releases synchronously or unsubscribes another waiter, a
   * listener that changes `total`, a store answering synchronously) do not recurse: they make the
   * running call go round again.
   */
  private update(): void {
    this.rounds.run();
  }

  /** One round of `update()`. */
  private round(): void {
    if (this.arrived.length > 0 || this.failures.length > 0) this.settle();
    while (this.queue.length > this.pending && this.#borrowed + this.pending < this.#total && !this.blocked) this.attempt();
    this.feed.notify();
  }

  /** One attempt at the store for the waiters without one. */
  private attempt(): void {
    let answer: unknown;
    try {
      answer = this.store.acquire(this.#total);
    } catch (error) {
      this.failures.push({ error: this.unavailable(error), upTo: this.queue.arrivals });
      this.settle();
      return;
    }
    if (answer === null || answer === undefined) this.blocked = true;
    else if (isThenable(answer)) this.await(answer);
    else this.grant(answer);
  }

  /** Waits for an asynchronous attempt; its outcome goes through `update()`. */
  private await(answer: PromiseLike<unknown>): void {
    this.pending++;
    const epoch = this.epoch;
    const upTo = this.queue.arrivals;
    answer.then(
      (token) => {
        this.pending--;
        if (token !== null && token !== undefined) this.arrived.push(token);
        // A refusal is stale when capacity may have been freed since the attempt was made.
        else if (epoch === this.epoch) this.blocked = true;
        this.update();
      },
      (error: unknown) => {
        this.pending--;
        this.failures.push({ error: this.unavailable(error), upTo });
        this.update();
      },
    );
  }

  /** Hands arrived tokens to the oldest waiters (or back to the store), and errors failed waiters. */
  private settle(): void {
    while (this.arrived.length > 0) {
      const token = this.arrived.shift();
      if (this.queue.head !== null && this.#borrowed < this.#total) this.grant(token);
      else this.store.release(token); // nobody waits any more (or `total` shrank): never leak it
    }
    while (this.failures.length > 0) {
      const { error, upTo } = this.failures.shift()!;
      failAll(this.queue.removeUpTo(upTo), 'released', error);
    }
  }

  /** Gives `token` to the queue head. */
  private grant(token: unknown): void {
    const lease = this.queue.head!;
    this.queue.remove(lease);
    this.hold(lease, token);
  }

  /** `lease` holds `token` now: tell its owner. */
  private hold(lease: Lease, token: unknown): void {
    lease.state = 'held';
    lease.token = token;
    this.#borrowed++;
    this.holders?.set(token, lease);
    try {
      lease.granted();
    } catch (error) {
      // A throwing callback must not stall the queue: free its token and report the error.
      lease.release();
      reportError(error);
    }
  }

  private unavailable(error: unknown): StoreUnavailableError {
    return error instanceof StoreUnavailableError ? error : new StoreUnavailableError(this.store.key, error);
  }
}
