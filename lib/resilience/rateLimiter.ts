import { Observable, asyncScheduler, type SchedulerLike, type Subscriber, type Subscription, type Unsubscribable } from 'rxjs';
import type { Task } from '../types.js';
import { taskToObservable, validateTask } from '../internal/task.js';
import { readOptions } from '../internal/options.js';
import * as opt from '../internal/options.js';
import { StateFeed } from '../internal/stateFeed.js';
import { describe, expected, validateFunction, validateLimit, validatePositive } from '../internal/validate.js';
import { CallbackRequest, Request, Rounds, WaitList, failAll, queueReaders, reportError, type QueueOptions } from '../internal/waitlist.js';
import { RateLimitExceededError, StoreUnavailableError } from './errors.js';
import { LocalRateStore, isThenable, validateStore, type RateRequest, type RateStore } from './store.js';

/** Options of {@link RateLimiter}. */
export interface RateLimiterOptions {
  /** At most this much cost granted over any window of `interval` ms (an integer ≥ 1). Required. */
  readonly limit: number;
  /** The window, in ms (a finite number > 0). Required. */
  readonly interval: number;
  /**
   * Also space the grants evenly: after a grant of cost `c`, the next one waits `c * interval /
   * limit` ms (a limit of 10 per second gives at most one grant per 100 ms). Default `false`:
   * bursts up to `limit` are allowed.
   */
  readonly spread?: boolean;
  /**
   * At most this many requests wait (an integer ≥ 0 or `Infinity`, the default): a request that
   * would have to wait behind `maxWaiting` others fails at once with a
   * {@link RateLimitExceededError}.
   */
  readonly maxWaiting?: number;
  /** The clock and the retry timers; default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /**
   * Where the grant log is kept (see {@link RateStore}); default: a {@link LocalRateStore}, in
   * memory, on `scheduler`'s clock. `redisRate(client, { key })` from `rxjs-concurrency/redis`
   * shares it between processes, on the server's clock.
   */
  readonly store?: RateStore;
}

/** A snapshot of a {@link RateLimiter}, as `state$` emits it. */
export interface RateState {
  readonly limit: number;
  readonly interval: number;
  /** The cost granted over the current window, `(now - interval, now]` (the store's view). */
  readonly granted: number;
  /** How many requests wait. */
  readonly waiting: number;
  /**
   * When the next grant is possible (for the first waiter's cost, or a cost of 1 when nobody
   * waits), on the scheduler's clock; `now` or earlier: at once.
   */
  readonly nextAt: number;
}

/** One request for a grant, returned by {@link RateLimiter.acquire}. */
export interface RateTicket {
  /** `'waiting'` in the queue, `'granted'`, or `'cancelled'` (left the queue, shed or failed). */
  readonly state: 'waiting' | 'granted' | 'cancelled';
  /** Leaves the queue if still waiting (the request is then never granted); otherwise does nothing. */
  cancel(): void;
}

/** Options of one request: {@link withRate}`(limiter, options)` and {@link RateLimiter.run}`(task, options)`. */
export interface RateRequestOptions {
  /** The weight of this request (an integer from 1 to `limit`; default 1). */
  readonly cost?: number;
  /**
   * The request's place in the queue (a finite number, default 0): higher is served first, FIFO
   * within a priority. It orders this process's queue only (a shared store sees no priorities).
   */
  readonly priority?: number;
  /**
   * At most this many ms in the queue (a finite number ≥ 0; default: no limit): a request still
   * waiting then leaves it and fails with a `DeadlineError` (`withRate: no grant within 500 ms`).
   * `0`: take a grant the window allows at once, or fail at once.
   */
  readonly timeout?: number;
}

/** Options of {@link RateLimiter.acquire}. */
export interface RateAcquireOptions extends RateRequestOptions {
  /**
   * Called instead of `onGranted` when the request is shed ({@link RateLimitExceededError},
   * synchronously), waited `timeout` ms (`DeadlineError`), the store cannot answer
   * ({@link StoreUnavailableError}) or `limit` shrank below the cost (`RangeError`). Without it,
   * such errors are reported asynchronously.
   */
  readonly onError?: (error: unknown) => void;
}

/** The states of a ticket after waiting: granted, or cancelled (left the queue, shed or failed). */
type Granted = 'granted';
type Cancelled = 'cancelled';

/** A ticket of either kind: {@link CallbackTicket} or {@link OperatorTicket}. */
type Ticket = CallbackTicket | OperatorTicket<unknown>;

/** The limiter's private methods that its tickets and `withRate` call. */
interface RateInternals {
  enqueue(ticket: Ticket, request: QueueOptions, origin: string): void;
  readRequest(options: RateRequestOptions | undefined): RateRequestRead;
}

/** A request's options, read: its `cost`, `priority` and `timeout`. */
interface RateRequestRead extends QueueOptions {
  readonly cost: number;
}

/** Reads `withRate`'s options, the `cost` checked against `limiter`'s current `limit`. */
export function readRateRequest(limiter: RateLimiter, options: RateRequestOptions | undefined): RateRequestRead {
  return (limiter as unknown as RateInternals).readRequest(options);
}

/** The request of `acquire(onGranted, options)`. */
class CallbackTicket extends CallbackRequest<Granted, Cancelled> implements RateTicket {
  constructor(
    limiter: RateLimiter,
    readonly cost: number,
    onGranted: (ticket: RateTicket) => void,
    onError: ((error: unknown) => void) | undefined,
  ) {
    super(limiter, onGranted, onError);
  }

  cancel(): void {
    this.leave();
  }
}

/** The request of one subscription through {@link withRate}: subscribes the source when granted; also its teardown. */
class OperatorTicket<T> extends Request<Granted, Cancelled> implements RateTicket {
  constructor(
    limiter: RateLimiter,
    readonly cost: number,
    private readonly source: Observable<T>,
    private readonly subscriber: Subscriber<T>,
  ) {
    super(limiter);
  }

  cancel(): void {
    this.leave();
  }

  granted(): void {
    this.source.subscribe(this.subscriber);
  }

  failed(error: unknown): void {
    this.subscriber.error(error);
  }

  /** The teardown: unsubscribed before its turn, leave the queue. */
  unsubscribe(): void {
    if (this.state === 'waiting') this.leave();
  }
}

/**
 * Subscribes `subscriber` to `source` once `limiter` grants `cost`: the body of {@link withRate}.
 * Returns the subscription's teardown.
 */
export function subscribeWithRate<T>(
  limiter: RateLimiter,
  request: RateRequestRead,
  origin: string,
  source: Observable<T>,
  subscriber: Subscriber<T>,
): Unsubscribable {
  const ticket = new OperatorTicket(limiter, request.cost, source, subscriber);
  (limiter as unknown as RateInternals).enqueue(ticket, request, origin);
  return ticket;
}

/** An asynchronous answer of the store, for `update()`. */
type Answer =
  | { readonly kind: 'decided'; readonly wait: number; readonly cost: number; readonly epoch: number; readonly upTo: number }
  | { readonly kind: 'failed'; readonly error: unknown; readonly upTo: number };

/**
 * At most `limit` grants over **every** window of `interval` ms, shared by any number of
 * streams: an exact sliding window (a log of grant times), not fixed buckets. Requests wait in
 * FIFO order for their grant (or by `priority`, higher first); each may weigh a `cost` and may
 * limit its wait with a `timeout`.
 *
 * What p-queue's `intervalCap` / `interval` and bottleneck's reservoir are for, as RxJS
 * operators. p-queue counts starts per fixed interval bucket, so up to twice the cap can start
 * within one interval across a bucket boundary; here no window of `interval` ms, wherever it
 * begins, ever holds more than `limit`. Use it through {@link withRate} or
 * {@link RateLimiter.run}. A waiter that unsubscribes leaves the queue at once; `maxWaiting`
 * sheds load with a {@link RateLimitExceededError}; `limit` and `interval` can change at run
 * time (waiters are re-examined at once). Time comes from `scheduler`.
 *
 * ```text
 * limiter = new RateLimiter({ limit: 2, interval: 4 }); six requests at frame 0
 * grants:   (ab)(cd)(ef)      a, b at 0; c, d at 4 (a and b left the window); e, f at 8
 * spread:   a-b-c-d-e-f       with spread: true, one per 4 / 2 = 2 ms
 * ```
 *
 * @example
 * ```ts
 * const github = new RateLimiter({ limit: 10, interval: 1000 }); // ≤ 10 requests in any second
 * const repos$ = names$.pipe(mergeMap((n) => ajax.getJSON(`/repos/${n}`).pipe(withRate(github))));
 * const search$ = github.run(({ signal }) => fetch('/search', { signal }), { cost: 3 });
 * ```
 */
export class RateLimiter {
  /** At most this much cost per window. */
  private max: number;
  /** The window, in ms. */
  private window: number;
  /** Whether grants are spaced. */
  private readonly spaced: boolean;
  /** At most this many waiting requests. */
  private readonly maxWaiting: number;
  private readonly scheduler: SchedulerLike;
  /** Where the grant log is kept. */
  private readonly store: RateStore;
  /** The FIFO queue of waiting requests. */
  private readonly queue = new WaitList<Ticket>();
  /** Asynchronous attempts in flight: one per waiter from the head, at most `concurrency`. */
  private pending = 0;
  /** The store's `concurrency` (1 unless it says more). */
  private readonly concurrency: number;
  /** Asynchronous answers, for `update()`. */
  private readonly answers: Answer[] = [];
  /** The armed retry timer, if any (the head must wait until it fires). */
  private timer: Subscription | null = null;
  /** Counts timers armed: only the latest one may act when it fires. */
  private timers = 0;
  /** Counts setting changes and wake-ups: a refusal decided before one of them is stale. */
  private epoch = 0;
  private readonly feed = new StateFeed<RateState>(() => this.snapshot());
  /** The grant loop (see `round()`), safe against re-entrant calls. */
  private readonly rounds = new Rounds(() => this.round());

  /**
   * The current state on subscription, then each change (a grant, a request queued or leaving,
   * a setting changed, a retry timer firing); identical consecutive states are sent once. Grants
   * leaving the window as time passes are seen at the next change (or in `snapshot()`).
   */
  readonly state$: Observable<RateState> = this.feed.state$;

  /**
   * @throws RangeError when `limit` is not an integer ≥ 1, `interval` not a finite number > 0 or
   *   `maxWaiting` not an integer ≥ 0 or `Infinity`; TypeError for a missing `limit`/`interval`,
   *   an unknown option, a bad `scheduler` or `store`.
   */
  constructor(options: RateLimiterOptions) {
    const read = readOptions('options', options, {
      limit: opt.required(opt.limit(1, false), 'an integer from 1 and up'),
      interval: opt.required(opt.positive(1), 'a finite number above 0 (ms)'),
      spread: opt.boolean(false),
      maxWaiting: opt.limit(Infinity, true, 0),
      scheduler: opt.scheduler(asyncScheduler),
      store: opt.optional((path, value) => {
        validateStore(path, value, 'RateStore', ['acquire', 'peek']);
        return value as RateStore;
      }),
    });
    this.max = read.limit;
    this.window = read.interval;
    this.spaced = read.spread;
    this.maxWaiting = read.maxWaiting;
    this.scheduler = read.scheduler;
    this.store = read.store ?? new LocalRateStore();
    this.concurrency = this.store.concurrency === undefined ? 1 : validateLimit('options.store.concurrency', this.store.concurrency, false);
    this.store.attach?.({ wake: () => this.retryNow() });
  }

  /** At most this much cost over any window of `interval` ms. Setting it validates (integer ≥ 1) and re-examines the waiters. */
  get limit(): number {
    return this.max;
  }

  set limit(value: number) {
    this.max = validateLimit('limit', value, false);
    this.retryNow();
  }

  /**
   * The window, in ms. Setting it validates (finite > 0) and re-examines the waiters. The default
   * store's log reaches back the longest interval asked for so far, so lengthening it again
   * counts the grants a shorter window had let go.
   */
  get interval(): number {
    return this.window;
  }

  set interval(value: number) {
    this.window = validatePositive('interval', value);
    this.retryNow();
  }

  /** Whether grants are spaced evenly. */
  get spread(): boolean {
    return this.spaced;
  }

  /** How many requests wait. */
  get waiting(): number {
    return this.queue.length;
  }

  /**
   * The low-level form behind {@link withRate} and {@link RateLimiter.run}: asks for a grant of
   * `cost` and calls `onGranted(ticket)` when it is given (synchronously, inside `acquire`, when
   * the window allows it and nobody waits). Grants are not given back: a rate limit counts
   * starts, not running work. `ticket.cancel()` leaves the queue while waiting.
   *
   * ```text
   * limiter = new RateLimiter({ limit: 1, interval: 3 })
   * a = acquire(fa):  ^ fa(a)                      (granted at once)
   * b = acquire(fb):  ^ waiting -- fb(b)           (granted at 3, when a left the window)
   * ```
   *
   * `options`: `cost`, `onError`, and `priority`/`timeout` as for {@link withRate}.
   *
   * @throws TypeError when `onGranted` or `onError` is not a function; RangeError when `cost` is
   *   not an integer from 1 to `limit`, `priority` not a finite number or `timeout` not a finite
   *   number ≥ 0.
   */
  acquire(onGranted: (ticket: RateTicket) => void, options?: RateAcquireOptions): RateTicket {
    validateFunction('onGranted', onGranted);
    const { cost, onError, ...request } = readOptions('options', options, { cost: opt.limit(1, false), onError: opt.fn(undefined), ...queueReaders });
    this.checkCost('options.cost', cost);
    const ticket = new CallbackTicket(this, cost, onGranted, onError as ((error: unknown) => void) | undefined);
    this.enqueue(ticket, request, 'RateLimiter.acquire');
    return ticket;
  }

  /**
   * A {@link Task} run under this limiter: each subscription waits for a grant of `cost`, then
   * starts the task (a factory is never called while it waits). Unsubscribing while waiting
   * leaves the queue; unsubscribing later aborts the task's `signal`. `options`: `cost`,
   * `priority` and `timeout`, as for {@link withRate}.
   *
   * @throws TypeError for a bad task or option; RangeError when `cost` is not an integer from 1 to
   *   `limit`, `priority` not a finite number or `timeout` not a finite number ≥ 0.
   *
   * @example
   * ```ts
   * const page$ = api.run(({ signal }) => fetch(url, { signal }).then((r) => r.json()), { cost: 2 });
   * ```
   */
  run<T>(task: Task<T>, options?: RateRequestOptions): Observable<T> {
    validateTask('task', task);
    const request = this.readRequest(options);
    const source = taskToObservable(task);
    return new Observable<T>((subscriber) => subscribeWithRate(this, request, 'RateLimiter.run', source, subscriber));
  }

  /** The current state. */
  snapshot(): RateState {
    const { used, retryAfter } = this.store.peek(this.request(this.queue.head?.cost ?? 1));
    return { limit: this.max, interval: this.window, granted: used, waiting: this.queue.length, nextAt: this.scheduler.now() + retryAfter };
  }

  /** Reads `{ cost, priority, timeout }` (for `withRate` and `run`), the cost checked against the current `limit`. */
  private readRequest(options: RateRequestOptions | undefined): RateRequestRead {
    const request = readOptions('options', options, { cost: opt.limit(1, false), ...queueReaders });
    this.checkCost('options.cost', request.cost);
    return request;
  }

  private checkCost(path: string, cost: number): void {
    if (cost > this.max) throw this.costError(path, cost);
  }

  private costError(path: string, cost: number): RangeError {
    return new RangeError(expected(path, `be an integer from 1 to the limit ${this.max}`, cost));
  }

  private request(cost: number): RateRequest {
    return { cost, limit: this.max, interval: this.window, spread: this.spaced, now: this.scheduler.now() };
  }

  /**
   * Queues `ticket` (or sheds it, beyond `maxWaiting`), grants what can be granted, and arms the
   * queue-wait limit of a ticket still waiting (`origin` names the entry point in its error).
   */
  private enqueue(ticket: Ticket, request: QueueOptions, origin: string): void {
    const queued = this.queue.length;
    if (
      queued >= this.maxWaiting &&
      (queued > 0 || this.pending > 0 || this.timer !== null || this.store.peek(this.request(ticket.cost)).retryAfter > 0)
    ) {
      return ticket.fail('cancelled', new RateLimitExceededError(this.maxWaiting));
    }
    this.queue.push(ticket, request.priority);
    // Went ahead of a head that waits for its timer (a higher priority): it may cost less, ask now.
    if (queued > 0 && this.queue.head === ticket && this.timer !== null) this.retryNow();
    else this.update();
    if (request.timeout !== undefined) this.queue.armWait(ticket, this.scheduler, request.timeout, origin, 'no grant', (error) => this.leave(ticket, error));
  }

  /** Called by `ticket.cancel()`, and with a `DeadlineError` when its queue-wait limit passed. */
  private leave(ticket: Ticket, error?: unknown): void {
    if (ticket.state !== 'waiting') return;
    const wasHead = this.queue.head === ticket;
    this.queue.remove(ticket);
    if (error !== undefined) ticket.fail('cancelled', error);
    else ticket.state = 'cancelled';
    // The next request may cost less: it need not wait for the old head's timer.
    if (wasHead) this.retryNow();
    else this.update();
  }

  /** A setting changed or the store woke us: drop the retry timer and try the head again. */
  private retryNow(): void {
    this.epoch++;
    if (this.timer !== null) {
      this.timer.unsubscribe();
      this.timer = null;
    }
    this.update();
  }

  /** Grants to the queue in FIFO order while the store allows, then tells `state$` listeners. */
  private update(): void {
    this.rounds.run();
  }

  /** One round of `update()`. */
  private round(): void {
    while (this.answers.length > 0) this.settle(this.answers.shift()!);
    while (this.queue.length > this.pending && this.pending < this.concurrency && this.timer === null) this.attempt(this.nth(this.pending));
    this.feed.notify();
  }

  /** The waiter `k` places behind the head (0: the head); `k` is below the queue's length. */
  private nth(k: number): Ticket {
    let ticket = this.queue.head!;
    for (let i = 0; i < k; i++) ticket = ticket.next as Ticket;
    return ticket;
  }

  /** One attempt at the store for `head`: the queue head, or the waiter the next parallel attempt is for. */
  private attempt(head: Ticket): void {
    if (head.cost > this.max) {
      // `limit` shrank below this request's cost: it could never be granted.
      this.queue.remove(head);
      head.fail('cancelled', this.costError('cost', head.cost));
      return;
    }
    let answer: number | PromiseLike<number>;
    const upTo = this.queue.arrivals;
    try {
      answer = this.store.acquire(this.request(head.cost));
    } catch (error) {
      this.settle({ kind: 'failed', error, upTo });
      return;
    }
    if (!isThenable(answer)) return this.settle({ kind: 'decided', wait: answer, cost: head.cost, epoch: this.epoch, upTo });
    this.pending++;
    const epoch = this.epoch;
    const cost = head.cost;
    answer.then(
      (wait) => this.answered({ kind: 'decided', wait, cost, epoch, upTo }),
      (error: unknown) => this.answered({ kind: 'failed', error, upTo }),
    );
  }

  private answered(answer: Answer): void {
    this.pending--;
    this.answers.push(answer);
    this.update();
  }

  /** Acts on the store's answer: a grant for the head, a retry timer, or errors for the waiters. */
  private settle(answer: Answer): void {
    if (answer.kind === 'decided' && answer.wait === 0) {
      // Granted. It goes to the head if the head costs no more (it may have changed while the
      // answer was in flight); otherwise it is unused, which never exceeds the limit.
      const head = this.queue.head;
      if (head !== null && head.cost <= answer.cost) this.grant(head);
      return;
    }
    if (answer.kind === 'decided' && answer.wait > 0 && answer.wait < Infinity) {
      if (answer.epoch === this.epoch && this.queue.head !== null) this.arm(answer.wait);
      return; // a stale refusal: the loop tries again at once
    }
    const error =
      answer.kind === 'failed'
        ? answer.error instanceof StoreUnavailableError
          ? answer.error
          : new StoreUnavailableError(this.store.key, answer.error)
        : new StoreUnavailableError(this.store.key, new TypeError(`the store answered ${describe(answer.wait)}, expected 0 or a number of ms above 0`));
    failAll(this.queue.removeUpTo(answer.upTo), 'cancelled', error);
  }

  private grant(ticket: Ticket): void {
    this.queue.remove(ticket);
    ticket.state = 'granted';
    try {
      ticket.granted();
    } catch (error) {
      reportError(error);
    }
  }

  /** Arms the retry timer: the head waits `ms` (the store's "retry after"). */
  private arm(ms: number): void {
    const armed = ++this.timers;
    let fired = false;
    const timer = this.scheduler.schedule(() => {
      fired = true;
      if (this.timers !== armed) return;
      this.timer = null;
      this.update();
    }, ms);
    if (!fired) this.timer = timer; // a scheduler may run it synchronously
  }
}
