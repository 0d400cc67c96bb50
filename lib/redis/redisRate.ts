import type { Redis } from 'ioredis';
import { readOptions } from '../internal/options.js';
import * as opt from '../internal/options.js';
import type { RatePeek, RateRequest, RateStore } from '../resilience/store.js';
import { keysOf, ScriptCaller } from './caller.js';
import { processTicket, validateClient, validateKey } from './script.js';
import { RATE } from './scripts.js';

/** An attempt waiting for the next call to the server. */
interface Attempt {
  readonly request: RateRequest;
  /** Names its grant's members in the log. */
  readonly id: string;
  readonly resolve: (wait: number) => void;
  readonly reject: (error: unknown) => void;
}

/** At most this many attempts are decided in one call. */
const MAX_BATCH = 64;

/**
 * At most this many calls in flight at once: two, so that the process handles one call's grants
 * while the next is on its way, and the attempts made meanwhile still share calls.
 */
const MAX_CALLS = 2;

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
 * by the server's `TIME`, checked and extended by one Lua script (EVALSHA, one round trip) that
 * decides, one after the other, every attempt the process made since its previous call (up to
 * 16 of a process's waiters ask at once, and at most two calls are in flight, so the attempts
 * made during a round trip share the next one). A refused attempt is told when the oldest grant
 * leaves the window, and tries again then.
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
  /** Attempts in flight at once per limiter: each is decided on its own inside the script, so the window holds; 16 hide the round trip. */
  readonly concurrency = 16;
  private readonly keys: ReturnType<typeof keysOf>;
  private readonly caller: ScriptCaller;
  /** Names this process in the server's epoch (see `scripts.ts`), and prefixes its grants' ids. */
  private readonly ticket = processTicket();
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
  /** Attempts waiting for the next call (those made while calls are in flight go together in the next). */
  private waiting: Attempt[] = [];
  /** How many calls are in flight, and whether one is scheduled. */
  private calling = 0;
  private scheduled = false;

  constructor(client: Redis, options: RedisRateOptions) {
    const checked = validateClient('client', client);
    const read = readOptions('options', options, { key: opt.any<unknown>(), timeout: opt.limit(5_000, false) });
    this.key = validateKey('options.key', read.key);
    this.timeout = read.timeout;
    this.keys = keysOf(this.key, 'rate');
    this.caller = new ScriptCaller(checked, this.key, this.timeout);
  }

  acquire(request: RateRequest): Promise<number> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ request, id: `${this.ticket}:${(++this.attempts).toString(36)}`, resolve, reject });
      this.schedule();
    });
  }

  /** Sends the waiting attempts in one call at the end of this tick, or after the call in flight. */
  private schedule(): void {
    if (this.scheduled || this.calling >= MAX_CALLS) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.calling >= MAX_CALLS || this.waiting.length === 0) return;
    // One call decides the attempts that share the limiter's settings (`limit` may change between two).
    const { limit, interval, spread } = this.waiting[0]!.request;
    let n = 1;
    while (n < this.waiting.length && n < MAX_BATCH) {
      const r = this.waiting[n]!.request;
      if (r.limit !== limit || r.interval !== interval || r.spread !== spread) break;
      n++;
    }
    const batch = this.waiting.splice(0, n);
    this.calling++;
    const args: (string | number)[] = [limit, interval, this.ticket, this.caller.epoch, spread ? '1' : '0'];
    for (const attempt of batch) args.push(attempt.request.cost, attempt.id);
    // Grants answered after the timeout are simply unused: grants are not given back.
    this.caller.call(RATE, [this.keys.log, this.keys.epoch], args, () => undefined).then(
      (reply) => {
        this.calling--;
        const [epoch, now, ...answers] = reply as [string, string, ...(string | number)[]];
        this.caller.epoch = epoch;
        batch.forEach((attempt, i) => {
          const retry = Number(answers[2 * i]);
          this.last = { used: Number(answers[2 * i + 1]), retry, at: performance.now() };
          if (retry === 0) {
            this.grantTimes?.push(Number(now));
            attempt.resolve(0);
          } else attempt.resolve(Math.max(1, retry));
        });
        this.schedule();
      },
      (error: unknown) => {
        this.calling--;
        for (const attempt of batch) attempt.reject(error);
        this.schedule();
      },
    );
  }

  peek(_request: RateRequest): RatePeek {
    return { used: this.last.used, retryAfter: Math.max(0, this.last.retry - (performance.now() - this.last.at)) };
  }
}
