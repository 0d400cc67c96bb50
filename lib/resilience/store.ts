/**
 * The store seam: where a limiter keeps its count. {@link CapacityLimiter} and {@link RateLimiter}
 * keep their queue of waiters (FIFO, cancellation, `maxWaiting`, `state$`) in the process, and ask
 * a store for each grant. The default stores ({@link LocalCapacityStore}, {@link LocalRateStore})
 * answer synchronously, in memory; a shared store (`rxjs-concurrency/redis`) answers with a
 * Promise after one round trip, so many processes share one limit.
 *
 * How a limiter uses a store, so that another engineer can write one:
 *
 * - **One store per limiter.** The limiter calls `attach(listener)` once, in its constructor,
 *   before any other method. A store may throw there if it is already attached.
 * - **Attempts.** For each waiter at the head of its queue the limiter calls `acquire(...)`. The
 *   answer may be synchronous (a value) or asynchronous (a `PromiseLike`, one round trip). A
 *   capacity limiter may have several attempts in flight (at most one per waiter, and at most
 *   `total - borrowed`); a rate limiter has at most one. (A store built on Observables returns
 *   `firstValueFrom(reply$)`: one answer per attempt.)
 * - **Grants are fungible inside the process.** A granted token goes to the oldest waiter when it
 *   arrives, not necessarily to the one it was asked for, which keeps the process FIFO. When
 *   nobody waits any more (the waiter unsubscribed while the round trip was in flight), the
 *   limiter gives the token straight back with `release(token)`: a token is never leaked.
 * - **Failures.** `acquire` may throw or reject. The limiter then errors, with a
 *   {@link StoreUnavailableError}, every waiter that was already queued when that attempt was
 *   made (later arrivals try again). A store should reject with a `StoreUnavailableError` naming
 *   its key and the cause (after its own timeout); anything else is wrapped in one. A store must
 *   never grant "just in case" when it cannot reach its server: nothing above the limit, ever.
 * - **Wake-ups.** When capacity may be free (another process released, a grant window opened,
 *   the server came back), the store calls `listener.wake()`: the limiter retries its queue head
 *   at once. Spurious wake-ups are harmless (they cost one attempt). A wake-up that arrives while
 *   an attempt is in flight makes a refusal of that attempt count as "retry now".
 * - **Leases (capacity only).** A granted token may be a lease the store renews while it is held.
 *   When the store loses it (not renewed in time), it calls `listener.lost(token, error)` with a
 *   {@link LeaseLostError}: the limiter aborts that task's `ctx.signal` and errors the task with
 *   it, and does NOT call `release(token)` for it (a stray later `release` must be a no-op).
 */
import { expected } from '../internal/validate.js';
import { IndexedQueue } from '../internal/queue.js';
import type { LeaseLostError } from './errors.js';

/** What a store may tell the limiter it serves; given to `store.attach` once. */
export interface StoreListener<Token = unknown> {
  /**
   * Capacity may be free now (a release or a larger `total` in another process, a reconnect, a
   * safety poll): the limiter retries its queue head at once. Safe to call at any time, also
   * synchronously from inside `acquire` or `release`.
   */
  wake(): void;
  /**
   * The lease behind a granted `token` is gone (not renewed in time): the limiter aborts the
   * task holding it with `error`. Capacity stores only; unknown or already released tokens are
   * ignored.
   */
  lost(token: Token, error: LeaseLostError): void;
}

/**
 * Where a {@link CapacityLimiter} counts its tokens; pass one as
 * `new CapacityLimiter(total, { store })`. The default is a {@link LocalCapacityStore}.
 *
 * `Token` is whatever identifies one granted token to the store (a lease id for Redis); any value
 * except `null`, `undefined` or a thenable. Tokens held at the same time must be distinct if the
 * store reports losses.
 *
 * @example
 * ```ts
 * import { CapacityLimiter, type CapacityStore, type StoreListener } from 'rxjs-concurrency';
 *
 * // A store shared by several limiters of one process (a toy: a real shared store keeps the
 * // count in another process and publishes releases to the others, as this one calls `wake`).
 * const held = new Map<string, number>();
 * const listeners = new Set<StoreListener<number>>();
 * const shared = (key: string): CapacityStore<number> => {
 *   let next = 0;
 *   return {
 *     key,
 *     attach: (listener) => void listeners.add(listener),
 *     acquire(total) {
 *       const used = held.get(key) ?? 0;
 *       if (used >= total) return null; // refused: wait for a release or a wake-up
 *       held.set(key, used + 1);
 *       return ++next;
 *     },
 *     release() {
 *       held.set(key, (held.get(key) ?? 1) - 1);
 *       for (const listener of listeners) listener.wake(); // the others may go now
 *     },
 *   };
 * };
 * const a = new CapacityLimiter(4, { store: shared('api') });
 * const b = new CapacityLimiter(4, { store: shared('api') }); // a and b hold at most 4 together
 * ```
 */
export interface CapacityStore<Token = unknown> {
  /** Names the shared limit in error messages (`StoreUnavailableError.key`), e.g. the Redis key. */
  readonly key: string;
  /**
   * Called once by the limiter's constructor, before anything else, with the listener to tell
   * about wake-ups and lost leases. Optional for a store that never does either.
   */
  attach?(listener: StoreListener<Token>): void;
  /**
   * One attempt to take a token while at most `total` are held (the limiter's current `total`,
   * passed each time so a shared store can enforce it atomically, server-side). Returns the
   * token, or `null` when none is free (the limiter then waits for a local release, a `total`
   * change or `listener.wake()`), synchronously or as a `PromiseLike`. Throws or rejects when the
   * store cannot answer (preferably with a {@link StoreUnavailableError}).
   */
  acquire(total: number): Token | null | PromiseLike<Token | null>;
  /**
   * Gives a granted token back. Fire and forget: it must not throw, and a store that cannot reach
   * its server lets the lease expire instead. Called exactly once per granted token, unless the
   * store reported it lost.
   */
  release(token: Token): void;
  /** Optional: told when the limiter's `total` changes (after validation), e.g. to wake others. */
  resize?(total: number): void;
}

/** What a {@link RateLimiter} asks its store on each attempt. */
export interface RateRequest {
  /** The weight of this acquire (an integer from 1 to `limit`). */
  readonly cost: number;
  /** At most this much cost may be granted over any window of `interval` ms. */
  readonly limit: number;
  /** The window, in ms (a finite number > 0). */
  readonly interval: number;
  /** Whether grants are also spaced: after a grant of cost `c`, none for `c * interval / limit` ms. */
  readonly spread: boolean;
  /** The limiter's clock (its scheduler's `now()`); a store with its own clock (Redis `TIME`) ignores it. */
  readonly now: number;
}

/** A rate store's view, as `peek` returns it (for `state$`). */
export interface RatePeek {
  /** The cost granted over the current window, `(now - interval, now]`. */
  readonly used: number;
  /** How many ms until a request of this cost could be granted; 0: now. */
  readonly retryAfter: number;
}

/**
 * Where a {@link RateLimiter} keeps the log of its grants; pass one as
 * `new RateLimiter({ limit, interval, store })`. The default is a {@link LocalRateStore}.
 *
 * The store decides each attempt on its own clock: a shared store uses the server's time, never
 * the clients'. Grants are not given back: a grant that arrives after its waiter left goes to the
 * next waiter if that one costs no more, else it is simply unused (which never exceeds the limit).
 */
export interface RateStore {
  /** Names the shared limit in error messages (`StoreUnavailableError.key`). */
  readonly key: string;
  /** As {@link CapacityStore.attach}; only `wake` is used. */
  attach?(listener: Pick<StoreListener, 'wake'>): void;
  /**
   * How many attempts the limiter may have in flight at once, one per waiter from the head of
   * its queue (an integer ≥ 1; default 1). A remote store whose round trip dominates sets more,
   * so that its grants come back in parallel; every attempt is still decided on its own, so the
   * window holds however many are in flight.
   */
  readonly concurrency?: number;
  /**
   * One attempt: records a grant of `request.cost` and returns `0` when the sliding window (and
   * the spacing, with `spread`) allows it now; otherwise records nothing and returns how many ms
   * to wait before it could (a number > 0: the limiter retries then, or on a wake-up). Either
   * synchronously or as a `PromiseLike`; throws or rejects when the store cannot answer.
   */
  acquire(request: RateRequest): number | PromiseLike<number>;
  /**
   * A synchronous, best-effort view for `state$` (a remote store may answer from its last
   * reply). Must not record anything.
   */
  peek(request: RateRequest): RatePeek;
}

/** Whether a store's answer is asynchronous. */
export function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** Throws a TypeError unless `value` has a string `key` and the given methods (at construction). */
export function validateStore(path: string, value: unknown, kind: string, methods: readonly string[]): void {
  const v = value as Record<string, unknown> | null;
  const ok =
    v !== null &&
    typeof v === 'object' &&
    typeof v['key'] === 'string' &&
    methods.every((m) => typeof v[m] === 'function') &&
    (v['attach'] === undefined || typeof v['attach'] === 'function');
  if (!ok) {
    const shape = ['`key` (string)', ...methods.map((m) => `\`${m}()\``)].join(', ');
    throw new TypeError(expected(path, `be a ${kind} (an object with ${shape})`, value));
  }
}

/** The token of a {@link LocalCapacityStore}: tokens in memory need no identity. */
const LOCAL_TOKEN = true;

/**
 * The default {@link CapacityStore}: a counter in memory, answering synchronously. Its leases are
 * never lost and it never needs to wake anybody (its only limiter sees every release itself).
 */
export class LocalCapacityStore implements CapacityStore<true> {
  readonly key = 'local';
  /** How many tokens are held. */
  private held = 0;

  acquire(total: number): true | null {
    if (this.held >= total) return null;
    this.held++;
    return LOCAL_TOKEN;
  }

  release(): void {
    this.held--;
  }
}

/**
 * The default {@link RateStore}: the exact sliding window, in memory, on the limiter's clock. It
 * keeps a log of the grants (time and cost) and grants a request when the cost logged over
 * `(now - interval, now]` plus the request's stays within `limit`. A grant at time `t` leaves the
 * window at `t + interval`. The log reaches back the longest `interval` asked for so far, so that
 * lengthening the interval at run time counts the earlier grants again, up to that length.
 */
export class LocalRateStore implements RateStore {
  readonly key = 'local';
  /** The grant log, oldest first: when each grant was given, and its cost. */
  private readonly times = new IndexedQueue<number>();
  private readonly costs = new IndexedQueue<number>();
  /** The first `skip` entries of the log are older than the current window (kept for a longer interval). */
  private skip = 0;
  /** The sum of the costs in the current window (the entries from `skip` on). */
  private used = 0;
  /** The longest interval asked for: the log keeps what a window that long holds. */
  private horizon = 0;
  /** The time and cost of the latest grant (for `spread`). */
  private lastAt = -Infinity;
  private lastCost = 0;

  acquire(request: RateRequest): number {
    const wait = this.wait(request);
    if (wait > 0) return wait;
    this.times.push(request.now);
    this.costs.push(request.cost);
    this.used += request.cost;
    this.lastAt = request.now;
    this.lastCost = request.cost;
    return 0;
  }

  peek(request: RateRequest): RatePeek {
    const retryAfter = this.wait(request);
    return { used: this.used, retryAfter };
  }

  /** Moves the window to `(now - interval, now]`, then says how long `request` must wait (0: none). */
  private wait({ cost, limit, interval, spread, now }: RateRequest): number {
    const times = this.times;
    const costs = this.costs;
    // Every comparison in the form of the retry time below (`time + interval`): `now - interval`
    // rounds otherwise with fractional times (spread), and a grant due at `t + interval` would
    // still count `t`.
    if (interval > this.horizon) this.horizon = interval;
    while (times.length > 0 && times.at(0) + this.horizon <= now) {
      // Out of even the longest window: forgotten.
      times.shift();
      if (this.skip > 0) this.skip--;
      else this.used -= costs.at(0);
      costs.shift();
    }
    while (this.skip > 0 && times.at(this.skip - 1) + interval > now) {
      // A longer interval than the last request's: an older grant is back in the window.
      this.skip--;
      this.used += costs.at(this.skip);
    }
    while (this.skip < times.length && times.at(this.skip) + interval <= now) {
      // Left the window.
      this.used -= costs.at(this.skip);
      this.skip++;
    }
    let until = -Infinity;
    const excess = this.used + cost - limit;
    if (excess > 0) {
      // The earliest time enough old grants have left the window to make room for this one.
      let freed = 0;
      for (let i = this.skip; i < costs.length; i++) {
        freed += costs.at(i);
        if (freed >= excess) {
          until = times.at(i) + interval;
          break;
        }
      }
    }
    if (spread) until = Math.max(until, this.lastAt + (this.lastCost * interval) / limit);
    return until > now ? until - now : 0;
  }
}
