/**
 * A second implementation of the limiters' store seam (lib/resilience/store.ts), for tests: a
 * "server" in the same process whose every call is a round trip (it runs on a later macrotask
 * and answers through a Promise), shared by any number of limiters as if they were processes.
 * Not a mock of Redis: it is what the seam asks of any shared store, and nothing else.
 */
import { LeaseLostError, StoreUnavailableError } from '../../lib/resilience/errors';
import { LocalRateStore, type CapacityStore, type RateStore, type StoreListener } from '../../lib/resilience/store';

export class PromiseCapacityStore {
  /** The tokens held on the "server". */
  readonly held = new Set<number>();
  /** The most tokens ever held at once on the server. */
  peak = 0;
  /** Grants, releases and refusals, in server order. */
  readonly log: string[] = [];
  /** While true, the server is unreachable: every acquire rejects (after its round trip). */
  down = false;
  /** While true, round trips stall until `resume()`. */
  private paused = false;
  private readonly stalled: (() => void)[] = [];
  private readonly listeners: StoreListener<number>[] = [];
  private next = 0;

  /**
   * @param slowReplies Replies travel back one macrotask after the server acted, so a wake-up
   *   ("published" at once) can overtake the reply to an acquire the server refused before.
   */
  constructor(
    readonly key = 'test',
    private readonly slowReplies = false,
  ) {}

  /** A store bound to one limiter (one "process"). */
  client(): CapacityStore<number> {
    return {
      key: this.key,
      attach: (listener) => {
        this.listeners.push(listener);
      },
      acquire: (total) =>
        new Promise<number | null>((res, rej) => {
          const resolve = this.slowReplies ? (v: number | null) => void setImmediate(() => res(v)) : res;
          const reject = this.slowReplies ? (e: unknown) => void setImmediate(() => rej(e)) : rej;
          this.roundTrip(() => {
            if (this.down) return reject(new Error('connect ECONNREFUSED 127.0.0.1:6379'));
            if (this.held.size >= total) {
              this.log.push('refused');
              return resolve(null);
            }
            const token = ++this.next;
            this.held.add(token);
            this.peak = Math.max(this.peak, this.held.size);
            this.log.push(`grant ${token}`);
            resolve(token);
          });
        }),
      release: (token) =>
        this.roundTrip(() => {
          if (this.down || !this.held.delete(token)) return;
          this.log.push(`release ${token}`);
          for (const listener of this.listeners) listener.wake(); // "publish" the release
        }),
    };
  }

  /** The server drops `token` (its lease expired) and tells the limiters. */
  lose(token: number): void {
    this.held.delete(token);
    this.log.push(`lost ${token}`);
    for (const listener of this.listeners) listener.lost(token, new LeaseLostError(this.key, 'not renewed within 100 ms'));
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    for (const op of this.stalled.splice(0)) setImmediate(op);
  }

  private roundTrip(op: () => void): void {
    if (this.paused) this.stalled.push(op);
    else setImmediate(op);
  }
}

/** Resolves once `condition()` holds (checked after each macrotask), or rejects after `ms`. */
export async function until(condition: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setImmediate(r));
  }
}

export { StoreUnavailableError };

/**
 * A shared rate "server" for tests: the exact sliding window of {@link LocalRateStore} on the
 * server's own clock (`performance.now()`), each call a round trip, shared by any number of
 * limiters. `grants` logs what it granted, in server time.
 */
export class PromiseRateStore {
  readonly grants: { at: number; cost: number }[] = [];
  /** Every answer given (0: granted; else "retry after" ms). */
  readonly answers: number[] = [];
  down = false;
  private window = new LocalRateStore();
  private readonly listeners: Pick<StoreListener, 'wake'>[] = [];
  private last = { used: 0, retryAfter: 0 };

  constructor(readonly key = 'rate') {}

  client(): RateStore {
    return {
      key: this.key,
      attach: (listener) => void this.listeners.push(listener),
      acquire: (request) =>
        new Promise<number>((resolve, reject) =>
          setImmediate(() => {
            if (this.down) return reject(new StoreUnavailableError(this.key, new Error('timed out after 50 ms')));
            const now = performance.now(); // the server's clock, not the request's
            const wait = this.window.acquire({ ...request, now });
            if (wait === 0) this.grants.push({ at: now, cost: request.cost });
            this.answers.push(wait);
            this.last = this.window.peek({ ...request, now });
            resolve(wait);
          }),
        ),
      peek: () => this.last,
    };
  }

  /** Forgets every grant (server-side). */
  reset(): void {
    this.window = new LocalRateStore();
  }

  /** Tells every limiter to try again now. */
  wakeAll(): void {
    for (const listener of this.listeners) listener.wake();
  }
}
