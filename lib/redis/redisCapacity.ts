import type { Redis } from 'ioredis';
import { readOptions } from '../internal/options.js';
import * as opt from '../internal/options.js';
import { LeaseLostError, StoreUnavailableError } from '../resilience/errors.js';
import type { CapacityStore, StoreListener } from '../resilience/store.js';
import { keysOf, ScriptCaller } from './caller.js';
import { processTicket, validateClient, validateKey } from './script.js';
import { CAPACITY, RENEW } from './scripts.js';

/**
 * An in-process hand-off needs an answer this fresh (ms) saying that no other process waits:
 * a process whose tasks never yield to I/O (a chain of microtasks) reads no answers meanwhile,
 * and would otherwise keep its tokens from the others for as long as the chain runs.
 */
const HANDOFF_FRESH_MS = 5;

/** Options of {@link redisCapacity}. */
export interface RedisCapacityOptions {
  /** The name of the shared limit: every limiter with the same key (on the same server) shares its tokens. */
  readonly key: string;
  /** How long a granted token lives on the server without renewal, in ms (default 30 000). */
  readonly leaseMs?: number;
  /** How often held tokens are renewed, in ms; less than `leaseMs` (default `leaseMs / 3`). */
  readonly renewMs?: number;
  /** How long an acquire waits for an answer from Redis before failing with `StoreUnavailableError`, in ms (default 5 000). */
  readonly timeout?: number;
}

/** One token this process holds: a lease on the server. */
interface Held {
  /** The epoch in which the server last confirmed it. */
  epoch: string;
  /** Local monotonic time (`performance.now()`) by which it must be renewed: the send time of the last confirming call + `leaseMs`. */
  deadline: number;
}

/** An acquire attempt waiting for the next call to the server. */
interface Attempt {
  readonly id: string;
  readonly resolve: (token: string | null) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * A {@link CapacityStore} on a Redis server: `new CapacityLimiter(16, { store: redisCapacity(client, { key: 'api' }) })`
 * in every process makes at most 16 tokens held across all of them together.
 *
 * Each token is a lease with a time to live (`leaseMs`) on the server, renewed every `renewMs`
 * while its task runs; a process that dies gives its tokens back when they expire. A lease not
 * renewed in time aborts its task with {@link LeaseLostError}. Acquire, release and renewal are one
 * Lua script each (EVALSHA; one round trip, several attempts and releases of the process batched
 * into it), on the server's clock.
 *
 * Hand-off: a token released in the tick a waiter of the same process asks goes to that waiter
 * (its lease moves, no call) while no other process waits, as far as the last answer (at most
 * 5 ms old) said; a call follows within one round trip to ask again. Otherwise the release's script gives free
 * tokens to the waiting processes in turn (a FIFO of processes on the server, one token per
 * process and turn, so a process with few waiters is not starved by one with many), granting
 * them there and publishing their lease ids on each process's channel (subscribed on a duplicate
 * of `client`): the waiter starts when the message arrives, with no call of its own. A slow poll
 * covers a lost message; a process that has not called for 1 s is handed nothing.
 *
 * When Redis cannot be reached, attempts fail after `timeout` ms with {@link StoreUnavailableError}
 * (the limiter errors the waiting requests), tasks already running go on until their leases run
 * out, and nothing is granted; when it comes back, limiting resumes. A server that lost its data
 * (restarted without persistence) grants nothing for one `leaseMs`, while the processes that
 * still hold tokens renew them back, so the limit holds across the restart.
 *
 * @param client An ioredis client (`new Redis(url)`); the store uses it for its scripts and a
 *   `client.duplicate()` for its subscription. It does not close `client`.
 * @throws TypeError when `client` is not an ioredis client, `key` is empty, or an option is
 *   unknown or invalid; RangeError when `renewMs ≥ leaseMs`.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { CapacityLimiter } from 'rxjs-concurrency';
 * import { redisCapacity } from 'rxjs-concurrency/redis';
 *
 * const client = new Redis('redis://127.0.0.1:6379');
 * // At most 16 calls in flight across every process that runs this line.
 * const api = new CapacityLimiter(16, { store: redisCapacity(client, { key: 'api' }) });
 * api.run(({ signal }) => fetch('https://api.example.com/orders', { signal })).subscribe();
 * ```
 */
export function redisCapacity(client: Redis, options: RedisCapacityOptions): RedisCapacityStore {
  return new RedisCapacityStore(client, options);
}

/** The store {@link redisCapacity} returns. */
export class RedisCapacityStore implements CapacityStore<string> {
  readonly key: string;
  readonly leaseMs: number;
  readonly renewMs: number;
  readonly timeout: number;
  private readonly client: Redis;
  private readonly keys: ReturnType<typeof keysOf>;
  private readonly caller: ScriptCaller;
  /** This process's place in the server's queue of waiting processes, and the prefix of its lease ids. */
  private readonly ticket = processTicket();
  /** How long the server keeps a waiting process's ticket without hearing from it. */
  private readonly ticketTtl: number;
  /** The server pushes tokens only to processes that called within this many ms (see `scripts.ts`). */
  private readonly pushWindow: number;
  /** How often a process with refused attempts asks again without a push (well within `pushWindow`). */
  private readonly pollMs: number;
  /** The limiter to wake and to tell about lost leases. */
  private listener: StoreListener<string> | null = null;
  /** Lease ids handed out so far (the id suffix). */
  private issued = 0;
  /** The tokens held, by lease id. */
  private readonly held = new Map<string, Held>();
  /** Attempts and releases waiting for the next call (one call in flight at a time). */
  private attempts: Attempt[] = [];
  private releases: string[] = [];
  /** How many attempts the call in flight carries. */
  private flying = 0;
  /** The releases of `releases` that `acquire` may hand to a waiter of this process instead (in-process hand-off), with their leases. */
  private readonly handback = new Map<string, Held>();
  /** Whether a call without attempts or releases is due, to learn whether other processes wait (after an in-process hand-off). */
  private probing = false;
  /** How many other processes waited on the server at the last answer (1 until the first: hand off locally only when none), and when it came (`performance.now()`). */
  private others = 1;
  private answeredAt = -Infinity;
  /** How many tokens the server will push to this process (its `want` at the last answer, less the pushes since). */
  private owed = 0;
  /** The sequence numbers of the pushes received while a call is in flight (its answer's `want` may not count them yet). */
  private pushedMeanwhile: number[] = [];
  /** Pushed tokens this process holds that no waiter took yet (`acquire` takes them first). */
  private stash: string[] = [];
  /** An upper bound of (server clock − \`performance.now()\`), in ms, from the calls so far: dates pushed leases on the local clock. */
  private offset = Infinity;
  /** Pushes that arrived before the first answer (no \`offset\` yet). */
  private early: string[] = [];
  /** Whether the subscriber is subscribed (the server pushes to this process only then). */
  private subscribed = false;
  /** The latest `total` the limiter passed. */
  private total = 1;
  /** Whether a capacity call is in flight, or one is scheduled. */
  private calling = false;
  private scheduled = false;
  /** Whether a renewal call is in flight. */
  private renewing = false;
  /** The renewal timer, the lost-lease timer and the safety poll. */
  private renewTimer: ReturnType<typeof setInterval> | null = null;
  private expiryTimer: ReturnType<typeof setTimeout> | null = null;
  private pollTimer: ReturnType<typeof setTimeout> | null = null;
  /** The subscriber connection (a duplicate of `client`) while this process asks the server for tokens. */
  private subscriber: Redis | null = null;
  /** When an attempt was last sent or refused (`performance.now()`), to close the subscriber some time after the last. */
  private lastAsked = 0;
  /** Closes the subscriber once nothing was asked for a while. */
  private idleTimer: ReturnType<typeof setInterval> | null = null;

  constructor(client: Redis, options: RedisCapacityOptions) {
    this.client = validateClient('client', client);
    const read = readOptions('options', options, {
      key: opt.any<unknown>(),
      leaseMs: opt.limit(30_000, false),
      renewMs: opt.optional(opt.limit(1, false)),
      timeout: opt.limit(5_000, false),
    });
    this.key = validateKey('options.key', read.key);
    this.leaseMs = read.leaseMs;
    this.renewMs = read.renewMs ?? Math.max(1, Math.floor(this.leaseMs / 3));
    if (this.renewMs >= this.leaseMs) {
      throw new RangeError(`Expected \`options.renewMs\` to be less than \`options.leaseMs\` (${this.leaseMs}), got \`${this.renewMs}\` (number)`);
    }
    this.timeout = read.timeout;
    this.ticketTtl = Math.min(this.leaseMs, 2_000);
    this.pushWindow = Math.min(this.ticketTtl, 1_000);
    this.pollMs = Math.max(50, Math.floor(this.pushWindow / 3));
    this.keys = keysOf(this.key, 'capacity');
    this.caller = new ScriptCaller(this.client, this.key, this.timeout);
  }

  attach(listener: StoreListener<string>): void {
    if (this.listener !== null) throw new Error(`redisCapacity store \`${this.key}\` already serves a CapacityLimiter: create one store per limiter`);
    this.listener = listener;
  }

  acquire(total: number): string | null | Promise<string | null> {
    this.total = total;
    // A pushed token first; then a token this process released in this tick, when no other
    // process waits (in-process hand-off: its lease moves to this waiter, the server is told
    // nothing and asked again soon whether others wait); then, while the server owes this
    // process pushes, wait for them.
    const pushed = this.stash.shift();
    if (pushed !== undefined) return pushed;
    if (this.others === 0 && this.handback.size > 0 && performance.now() - this.answeredAt < HANDOFF_FRESH_MS) {
      const [id, lease] = this.handback.entries().next().value!;
      this.handback.delete(id);
      const at = this.releases.indexOf(id);
      if (at >= 0) this.releases.splice(at, 1);
      this.held.set(id, lease);
      this.afterHeldChanged();
      this.probing = true;
      this.schedule();
      return id;
    }
    if (this.owed > 0) return null;
    // Subscribed before the first refusal, if one comes: a process not subscribed yet cannot be
    // handed tokens, so it would not queue on the server (see \`flush\`).
    this.lastAsked = performance.now();
    if (this.subscriber === null) this.openSubscriber();
    return new Promise((resolve, reject) => {
      this.attempts.push({ id: `${this.ticket}:${(++this.issued).toString(36)}`, resolve, reject });
      this.schedule();
    });
  }

  release(token: string): void {
    const lease = this.held.get(token);
    if (lease === undefined) return;
    this.held.delete(token);
    this.releases.push(token);
    this.handback.set(token, lease);
    this.afterHeldChanged();
    this.schedule();
  }

  resize(total: number): void {
    this.total = total;
  }

  /**
   * Sends the releases not yet sent (waiting at most `timeout` ms for the server), then stops the
   * store's timers and closes its subscriber connection (not `client`). Held tokens are not
   * renewed any more: release them first. For a clean shutdown of a process: the tokens it
   * released are free on the server when `close()` resolves, not only once their leases expire.
   */
  async close(): Promise<void> {
    const until = performance.now() + this.timeout;
    const drain = async (): Promise<void> => {
      while ((this.calling || this.scheduled || this.releases.length > 0 || this.probing) && performance.now() < until) {
        this.schedule();
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    // The last call also takes this process out of the server's queue (it owes nothing then).
    this.owed = 0;
    this.probing = true;
    await drain();
    // Pushes the server made before that call are on the subscriber connection before the
    // answer to a PING sent after it: wait for them, and give back what nobody takes.
    const subscriber = this.subscriber;
    if (subscriber !== null && this.subscribed) {
      await Promise.race([subscriber.ping().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, Math.max(0, until - performance.now())))]);
      await drain();
    }
    for (const timer of [this.renewTimer, this.expiryTimer, this.pollTimer]) if (timer !== null) clearTimeout(timer);
    this.renewTimer = this.expiryTimer = this.pollTimer = null;
    await this.closeSubscriber();
  }

  /** Sends the waiting attempts and releases in one call, at the end of this tick. */
  private schedule(): void {
    if (this.scheduled || this.calling) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.calling || (this.attempts.length === 0 && this.releases.length === 0 && !this.probing)) return;
    const attempts = this.attempts;
    const releases = this.releases;
    this.attempts = [];
    this.releases = [];
    this.handback.clear();
    this.probing = false;
    this.calling = true;
    this.flying = attempts.length;
    const sent = performance.now();
    const limit = this.total === Infinity ? Number.MAX_SAFE_INTEGER : this.total;
    // '2': not subscribed, so the server must not push (nor keep this process's want); '1': no
    // attempts, but the pushes owed stay owed.
    const mode = !this.subscribed ? '2' : attempts.length === 0 && this.owed > 0 ? '1' : '0';
    const args = [limit, this.leaseMs, this.ticket, this.ticketTtl, this.caller.epoch, mode, this.keys.channel, releases.length, ...releases, ...attempts.map((a) => a.id), this.pushWindow];
    const keys = [this.keys.holders, this.keys.queue, this.keys.tickets, this.keys.epoch, this.keys.want, this.keys.seen];
    // An answer after the timeout: whatever it granted nobody waits for any more; give it back.
    const late = (reply: unknown): void => {
      const [granted, , , , , , self] = reply as [number, string, string, string, number, number, string[]];
      this.releases.push(...attempts.slice(0, granted).map((a) => a.id), ...self);
      this.schedule();
    };
    this.caller.call(CAPACITY, keys, args, late).then(
      (reply) => {
        this.calling = false;
        this.flying = 0;
        const [granted, epoch, retry, serverNow, left, others, self, seq] = reply as [number, string, string, string, number, number, string[], number];
        this.caller.epoch = epoch;
        this.offset = Math.min(this.offset, Number(serverNow) - sent);
        this.others = others;
        this.answeredAt = performance.now();
        // What the server still owes, less what it pushed after this call (already received).
        this.owed = Math.max(0, left - this.pushedMeanwhile.filter((s) => s > seq).length);
        this.pushedMeanwhile = [];
        for (const id of self) this.held.set(id, { epoch, deadline: sent + this.leaseMs });
        this.stash.push(...self);
        let refusedAny = false;
        attempts.forEach((attempt, i) => {
          if (i < granted) {
            this.held.set(attempt.id, { epoch, deadline: sent + this.leaseMs });
            attempt.resolve(attempt.id);
          } else {
            const token = this.stash.shift() ?? null;
            if (token === null) refusedAny = true;
            attempt.resolve(token);
          }
        });
        this.afterHeldChanged();
        if (refusedAny || this.owed > 0) this.refused(Number(retry));
        if (this.early.length > 0) {
          const early = this.early;
          this.early = [];
          for (const message of early) this.pushed(message);
        }
        this.offerStash();
        this.schedule();
      },
      (error: unknown) => {
        this.calling = false;
        this.flying = 0;
        this.pushedMeanwhile = [];
        // Releases that did not reach the server: send them again with the next call (releasing a
        // lease that has expired meanwhile does nothing).
        this.releases.push(...releases);
        for (const attempt of attempts) attempt.reject(error);
        // Retry the releases a little later (new attempts go at once and take them along).
        setTimeout(() => this.schedule(), 250).unref?.();
      },
    );
  }

  /**
   * Some attempts were refused: the limiter waits for `wake()`. Make sure one comes: subscribe to
   * the release channel (and wake once subscribed, for a release in between), and poll.
   */
  private refused(retry: number): void {
    this.lastAsked = performance.now();
    if (this.subscriber === null) this.openSubscriber();
    if (this.pollTimer !== null) clearTimeout(this.pollTimer);
    const delay = retry >= 0 ? Math.min(this.pollMs, retry + 1) : this.pollMs;
    this.pollTimer = setTimeout(() => {
      this.pollTimer = null;
      // Ask the server again (a push may have been lost, and the call keeps this process in the
      // push window): the next attempt goes out instead of waiting for what is owed.
      this.owed = 0;
      this.listener?.wake();
    }, delay);
    this.pollTimer.unref?.();
  }

  /** A push: `<epoch> <server ms> <lease id>...`, tokens the server granted to this process. */
  private pushed(message: string): void {
    if (this.offset === Infinity) {
      this.early.push(message); // dated once the first answer bounds the clock offset
      return;
    }
    const [epoch, serverNow, ...ids] = message.split(' ');
    if (epoch === undefined || ids.length === 0) return;
    // On the local clock, no later than the server's expiry of these leases.
    const deadline = Number(serverNow) + this.leaseMs - this.offset;
    for (const id of ids) this.held.set(id, { epoch, deadline });
    this.owed = Math.max(0, this.owed - ids.length);
    if (this.calling) for (const id of ids) this.pushedMeanwhile.push(Number(id.slice(id.lastIndexOf(':p') + 2)));
    // Attempts not sent yet take them at once; the rest wait in the stash for the limiter.
    while (ids.length > 0 && this.attempts.length > 0) this.attempts.shift()!.resolve(ids.shift()!);
    this.stash.push(...ids);
    this.afterHeldChanged();
    this.offerStash();
  }

  /**
   * Offers the stash to the limiter (a wake-up: its waiters take the tokens in `acquire`); what
   * nobody takes goes back to the server, unless attempts in flight may still take it when
   * they are refused.
   */
  private offerStash(): void {
    if (this.stash.length === 0) return;
    this.listener?.wake();
    if (this.stash.length === 0 || this.flying > 0) return;
    for (const id of this.stash) {
      this.held.delete(id);
      this.releases.push(id);
    }
    this.stash = [];
    this.afterHeldChanged();
    this.schedule();
  }

  private openSubscriber(): void {
    this.idleTimer = setInterval(() => {
      if (performance.now() - this.lastAsked > 2 * this.pollMs + this.timeout) void this.closeSubscriber();
    }, this.pollMs);
    this.idleTimer.unref?.();
    const subscriber = this.client.duplicate();
    this.subscriber = subscriber;
    subscriber.on('error', () => undefined); // reconnects on its own; the scripts report unavailability
    // Disconnected: pushes published meanwhile are lost; ask the server instead of waiting for them.
    subscriber.on('close', () => {
      if (this.subscriber !== subscriber) return;
      this.subscribed = false;
      this.owed = 0;
    });
    const channel = `${this.keys.channel}:${this.ticket}`;
    subscriber.on('ready', () => {
      // Back (ioredis re-subscribes too): subscribed once the server confirms.
      if (this.subscriber !== subscriber) return;
      subscriber.subscribe(channel).then(
        () => void (this.subscriber === subscriber && (this.subscribed = true)),
        () => undefined,
      );
    });
    // The server pushes this process's tokens on its own channel.
    subscriber.on('message', (_channel: string, message: string) => this.pushed(message));
    subscriber.subscribe(channel).then(
      () => {
        if (this.subscriber !== subscriber) return;
        this.subscribed = true;
        this.listener?.wake();
      },
      () => undefined,
    );
  }

  private async closeSubscriber(): Promise<void> {
    const subscriber = this.subscriber;
    this.subscriber = null;
    this.subscribed = false;
    this.owed = 0;
    if (this.idleTimer !== null) clearInterval(this.idleTimer);
    this.idleTimer = null;
    if (subscriber === null) return;
    try {
      await subscriber.quit();
    } catch {
      subscriber.disconnect();
    }
  }

  /** Starts or stops renewing, and re-arms the timer that declares leases lost. */
  private afterHeldChanged(): void {
    if (this.held.size > 0 && this.renewTimer === null) {
      this.renewTimer = setInterval(() => this.renew(), this.renewMs);
      this.renewTimer.unref?.();
    } else if (this.held.size === 0 && this.renewTimer !== null) {
      clearInterval(this.renewTimer);
      this.renewTimer = null;
    }
    this.armExpiry();
  }

  private armExpiry(): void {
    if (this.expiryTimer !== null) clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
    let soonest = Infinity;
    for (const lease of this.held.values()) soonest = Math.min(soonest, lease.deadline);
    if (soonest === Infinity) return;
    this.expiryTimer = setTimeout(() => this.expire(), Math.max(0, soonest - performance.now()));
    this.expiryTimer.unref?.();
  }

  /** Leases past their local deadline: the server may have given them to someone else. */
  private expire(): void {
    this.expiryTimer = null;
    const now = performance.now();
    for (const [id, lease] of this.held) {
      if (lease.deadline <= now) this.lose(id, `not renewed within ${this.leaseMs} ms`, this.lastRenewError);
    }
    this.afterHeldChanged();
  }

  private lose(id: string, reason: string, cause?: unknown): void {
    if (!this.held.delete(id)) return;
    this.listener?.lost(id, new LeaseLostError(this.key, reason, cause));
  }

  /** Renews every held lease in one call. */
  private renew(): void {
    if (this.renewing || this.held.size === 0) return;
    this.renewing = true;
    const sent = performance.now();
    const ids = [...this.held.keys()];
    const args: (string | number)[] = [this.total === Infinity ? Number.MAX_SAFE_INTEGER : this.total, this.leaseMs, this.ticket, this.caller.epoch];
    for (const id of ids) args.push(id, this.held.get(id)!.epoch);
    // A renewal that comes back after its leases were declared lost: free them on the server.
    const late = (reply: unknown): void => {
      const lost = new Set((reply as string[]).slice(1));
      for (const id of ids) if (!lost.has(id) && !this.held.has(id)) this.releases.push(id);
      this.schedule();
    };
    this.caller.call(RENEW, [this.keys.holders, this.keys.epoch], args, late).then(
      (reply) => {
        this.renewing = false;
        const [epoch, ...lost] = reply as string[];
        this.caller.epoch = epoch!;
        const gone = new Set(lost);
        for (const id of ids) {
          const lease = this.held.get(id);
          if (lease === undefined) {
            if (!gone.has(id)) this.releases.push(id); // released while the renewal was in flight
          } else if (gone.has(id)) this.lose(id, 'the server gave the token to someone else');
          else {
            lease.epoch = epoch!;
            lease.deadline = sent + this.leaseMs;
          }
        }
        this.afterHeldChanged();
        this.schedule();
      },
      (error: unknown) => {
        this.renewing = false;
        // Not renewed: the leases run on until their deadlines; record why, in case they pass,
        // and try again soon rather than at the next interval.
        this.lastRenewError = error instanceof StoreUnavailableError ? error.cause : error;
        setTimeout(() => this.renew(), Math.min(this.renewMs, 250)).unref?.();
      },
    );
  }

  /** Why the last renewal failed (named in a later `LeaseLostError`). */
  private lastRenewError: unknown = undefined;
}
