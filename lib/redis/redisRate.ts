import type { Redis } from 'ioredis';
import { readOptions } from '../internal/options.js';
import * as opt from '../internal/options.js';
import type { RatePeek, RateRequest, RateStore } from '../resilience/store.js';
import { keysOf, ScriptCaller } from './caller.js';
import { validateClient, validateKey } from './script.js';
import { RATE } from './scripts.js';
import { randomUUID } from 'node:crypto';

/** Options of {@link redisRate}. */
export interface RedisRateOptions {
  /** The name of the shared limit: every limiter with the same key (on the same server) shares its window. */
  readonly key: string;
  /** How long an acquire waits for an answer from Redis before failing with `StoreUnavailableError`, in ms (default 5 000). */
  readonly timeout?: number;
}

/**
 * A {@link RateStore} on a Redis server: `new RateLimiter({ limit: 100, interval: 1000, store: redisRate(client, { key: 'api' }) })`
 * in every process makes at most 100 grants per any 1 000 ms across all of them together.
 *
 * The window is exact and sliding: a sorted set of the grants of the last `interval` ms, scored
 * by the server's `TIME`, checked and extended by one Lua script per attempt (EVALSHA, one round
 * trip; up to 16 of a process's waiters ask at once). A refused attempt is told when the oldest
 * grant leaves the window, and tries again then.
 * When Redis cannot be reached, attempts fail after `timeout` ms with `StoreUnavailableError`;
 * nothing is granted meanwhile. A server that lost its data grants nothing for one `interval`.
 *
 * @param client An ioredis client (`new Redis(url)`). The store does not close it.
 * @throws TypeError when `client` is not an ioredis client, `key` is empty or an option is unknown or invalid.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { RateLimiter } from 'rxjs-concurrency';
 * import { redisRate } from 'rxjs-concurrency/redis';
 *
 * const client = new Redis('redis://127.0.0.1:6379');
 * // At most 100 requests per second across every process that runs this line.
 * const rate = new RateLimiter({ limit: 100, interval: 1000, store: redisRate(client, { key: 'api' }) });
 * rate.run(() => fetch('https://api.example.com/orders')).subscribe();
 * ```
 */
export function redisRate(client: Redis, options: RedisRateOptions): RedisRateStore {
  return new RedisRateStore(client, options);
}

/** The store {@link redisRate} returns. */
export class RedisRateStore implements RateStore {
  readonly key: string;
  readonly timeout: number;
  /** Attempts in flight at once per limiter: each is one atomic script, so the window holds; 16 hide the round trip. */
  readonly concurrency = 16;
  private readonly keys: ReturnType<typeof keysOf>;
  private readonly caller: ScriptCaller;
  /** Names this process in the server's epoch (see `scripts.ts`), and prefixes its grants' ids. */
  private readonly ticket = randomUUID();
  /** Attempts made so far (the suffix of their ids). */
  private attempts = 0;
  /** The last answer, for `peek`: units used in the window, the wait, and when it came (`performance.now()`). */
  private last = { used: 0, retry: 0, at: 0 };
  /**
   * Set it to an array to record the server time (ms, `TIME`) of every grant this store
   * receives, in the order they arrive: for diagnostics, and for tests that check the window on
   * the server's clock. `undefined` (the default) records nothing.
   */
  grantTimes: number[] | undefined = undefined;

  constructor(client: Redis, options: RedisRateOptions) {
    const checked = validateClient('client', client);
    const read = readOptions('options', options, { key: opt.any<unknown>(), timeout: opt.limit(5_000, false) });
    this.key = validateKey('options.key', read.key);
    this.timeout = read.timeout;
    this.keys = keysOf(this.key, 'rate');
    this.caller = new ScriptCaller(checked, this.key, this.timeout);
  }

  acquire(request: RateRequest): Promise<number> {
    const args = [request.limit, request.interval, this.ticket, this.caller.epoch, request.cost, request.spread ? '1' : '0', `${this.ticket}:${++this.attempts}`];
    // A grant answered after the timeout is simply unused: grants are not given back.
    return this.caller.call(RATE, [this.keys.log, this.keys.epoch], args, () => undefined).then((reply) => {
      const [granted, epoch, retry, now, used] = reply as [number, string, string, string, number];
      this.caller.epoch = epoch;
      this.last = { used, retry: Number(retry), at: performance.now() };
      if (granted === 1) {
        this.grantTimes?.push(Number(now));
        return 0;
      }
      return Math.max(1, Number(retry));
    });
  }

  peek(_request: RateRequest): RatePeek {
    return { used: this.last.used, retryAfter: Math.max(0, this.last.retry - (performance.now() - this.last.at)) };
  }
}
