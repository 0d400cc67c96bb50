/**
 * The errors of the limiters and of the stores behind them (see `./store.ts`). Exported from the
 * core entry so that a store living in another subpath (`rxjs-concurrency/redis`) raises the very
 * classes users test for with `instanceof`.
 */

/** The message of an unknown thrown value, for error messages. */
function messageOf(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

/**
 * Raised to a {@link CapacityLimiter} request that would have to wait while `maxWaiting`
 * requests already wait: the limiter sheds load instead of queueing without bound.
 */
export class CapacityExceededError extends Error {
  override readonly name = 'CapacityExceededError';
  constructor(
    /** The limiter's `maxWaiting`. */
    readonly maxWaiting: number,
  ) {
    super(`CapacityLimiter: no token free and ${maxWaiting} requests already waiting (maxWaiting ${maxWaiting})`);
  }
}

/**
 * Raised to a {@link RateLimiter} request that would have to wait while `maxWaiting` requests
 * already wait.
 */
export class RateLimitExceededError extends Error {
  override readonly name = 'RateLimitExceededError';
  constructor(
    /** The limiter's `maxWaiting`. */
    readonly maxWaiting: number,
  ) {
    super(`RateLimiter: no grant possible now and ${maxWaiting} requests already waiting (maxWaiting ${maxWaiting})`);
  }
}

/**
 * Raised to waiting requests when the store behind a limiter cannot answer (a Redis server that
 * is unreachable or timed out). Nothing was granted to them. `key` names the store (its
 * `store.key`), `cause` is what the store reported.
 */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  constructor(
    /** The store's key (`store.key`), e.g. the Redis key prefix `api`. */
    readonly key: string,
    /** What went wrong: the client's error, a timeout. */
    cause: unknown,
  ) {
    super(`The limiter store \`${key}\` is unavailable: ${messageOf(cause)}`, { cause });
  }
}

/**
 * Raised to a task whose capacity token was lost while it ran: its store could not renew the
 * lease in time (a shared store that stayed unreachable longer than the lease), so another
 * process may hold the token now. The limiter aborts the task's `ctx.signal` with this error and
 * errors the task with it.
 */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
  constructor(
    /** The store's key (`store.key`). */
    readonly key: string,
    /** Why, e.g. `not renewed within 30000 ms`. */
    reason: string,
    /** The underlying error, if any. */
    cause?: unknown,
  ) {
    super(`Lost the lease on a token of \`${key}\`: ${reason}`, cause === undefined ? undefined : { cause });
  }
}
