import { Observable, Subscriber, asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';
import { BrokenCircuitError } from '../errors.js';
import { readOptions, type Reader } from '../internal/options.js';
import * as opt from '../internal/options.js';
import { taskToObservable, validateTask } from '../internal/task.js';
import { describe, expected, validateNonNegative } from '../internal/validate.js';
import type { Task } from '../types.js';
import { backoffDelay } from './retryBackoff.js';

/** Where a {@link CircuitBreaker} stands: letting calls through, failing fast, or trying a few. */
export type CircuitState = 'closed' | 'open' | 'halfOpen';

/**
 * A growing wait before each half-open trial while the circuit keeps failing: the n-th opening
 * in a row (n = 1, 2, …, reset when the circuit closes) waits
 * `min(maxDelay, baseDelay * 2^(n-1)) * (1 + random() * jitter)` ms, `retryBackoff`'s formula.
 */
export interface HalfOpenBackoff {
  /** The wait after the first opening, ≥ 0. Default 1000. */
  baseDelay?: number;
  /** The cap on the exponential part, ≥ 0. Default 60000. */
  maxDelay?: number;
  /** Random extra as a fraction of the wait, ≥ 0. Default 0. */
  jitter?: number;
  /** The random source for jitter, returning a number in [0, 1). Default `Math.random`. */
  random?: () => number;
}

/**
 * Options of {@link CircuitBreaker}. Give at most one failure rule: `threshold` (consecutive
 * failures, the default with 5) or `ratio` with `window` (and optionally `minimumCalls`).
 * Times are milliseconds on the scheduler's clock.
 */
export interface CircuitBreakerOptions {
  /** Open after this many failures in a row while closed (an integer ≥ 1). Default 5. */
  threshold?: number;
  /** Open when at least this fraction, in (0, 1], of the calls that ended in the last `window` ms failed. */
  ratio?: number;
  /** With `ratio`: the sliding window, in ms (> 0). Required with `ratio`. */
  window?: number;
  /** With `ratio`: how many calls must have ended in the window before the ratio counts (integer ≥ 1). Default 10. */
  minimumCalls?: number;
  /** How long the circuit stays open before letting trials through: a delay in ms (≥ 0), or a growing {@link HalfOpenBackoff}. Default 10000. */
  halfOpenAfter?: number | HalfOpenBackoff;
  /** How many trial subscriptions may run at once while half-open (an integer ≥ 1). Default 1. */
  halfOpenMax?: number;
  /** Which errors count as failures; any other error counts as a success (the service answered). Default: every error. */
  isFailure?: (error: unknown) => boolean;
  /** The clock for the window and the open delay. Default `asyncScheduler`. */
  scheduler?: SchedulerLike;
  /** Named in `BrokenCircuitError`'s message and its `breaker` field. */
  name?: string;
}

/** The failure rule that opens a closed circuit. */
type Rule =
  | { readonly kind: 'threshold'; readonly threshold: number }
  | { readonly kind: 'ratio'; readonly ratio: number; readonly window: number; readonly minimumCalls: number };

/** One admitted subscription: the state epoch it started in and whether it holds a trial slot. */
class Permit {
  /** It has reported its outcome (or was cancelled): later reports do nothing. */
  ended = false;
  constructor(
    readonly epoch: number,
    readonly trial: boolean,
  ) {}
}

/** `halfOpenAfter` as "the wait before the trials after the n-th opening in a row". */
const readHalfOpenAfter: Reader<(n: number) => number> = (path, value) => {
  if (value === undefined) return () => 10_000;
  if (typeof value === 'number') {
    const delay = validateNonNegative(path, value);
    return () => delay;
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const { baseDelay, maxDelay, jitter, random } = readOptions(path, value, {
      baseDelay: opt.nonNegative(1000),
      maxDelay: opt.nonNegative(60_000),
      jitter: opt.nonNegative(0),
      random: opt.fn<() => number>(Math.random),
    });
    return (n) => {
      try {
        return backoffDelay(n, baseDelay, maxDelay, jitter, random);
      } catch (error) {
        // A `random` that throws or misbehaves must not break the failure that opened the
        // circuit: wait without jitter and report the error the way RxJS reports orphan errors.
        setTimeout(() => {
          throw error;
        });
        return backoffDelay(n, baseDelay, maxDelay, 0, random);
      }
    };
  }
  throw new TypeError(expected(path, 'be a delay in ms or a backoff `{ baseDelay, maxDelay, jitter, random }`', value));
};

/**
 * Stops calling a service that keeps failing, and tries it again later: a circuit breaker shared
 * by any number of pipelines (every call to one backend), used through the {@link circuitBreaker}
 * operator or {@link CircuitBreaker.run}.
 *
 * cockatiel's `circuitBreaker(handleAll, { halfOpenAfter, breaker: new ConsecutiveBreaker(5) })`
 * for Observables. **Closed**: subscriptions go through; each one that ends is an outcome (an
 * error `isFailure` accepts is a failure; completion, or any other error, a success). When the
 * rule trips — `threshold` failures in a row, or a failure `ratio` over the last `window` ms —
 * the circuit **opens**: subscriptions error at once with a {@link BrokenCircuitError} and the
 * source is never subscribed. After `halfOpenAfter` it is **half-open**: up to `halfOpenMax`
 * trial subscriptions go through (more are turned away); the first trial to end decides —
 * success closes the circuit, failure opens it again (with the next backoff delay). A
 * subscription unsubscribed after a value is a success (`take(1)`, `firstValueFrom`); before
 * any value it counts as neither, and a trial frees its slot. An outcome counts only in the state
 * it started in: a call begun while closed that ends after the circuit opened changes nothing.
 *
 * ```text
 * breaker = new CircuitBreaker({ threshold: 2, halfOpenAfter: 10 })
 * fail = cold('-#'), ok = cold('-a|'), each piped through circuitBreaker(breaker)
 * fail at 0:   -#                  (failure 1)
 * fail at 2:   ---#                (failure 2: the circuit opens at 3, trials from 13)
 * ok at 5:     -----#              (BrokenCircuitError at once; ok is not subscribed)
 * ok at 13:    --------------a|    (the trial: its success closes the circuit at 15)
 * state$:      c--o---------h-c
 * ok subs:     -------------^-!
 * ```
 *
 * @example
 * ```ts
 * import { CircuitBreaker, circuitBreaker, BrokenCircuitError } from 'rxjs-concurrency';
 * import { ajax } from 'rxjs/ajax';
 *
 * const payments = new CircuitBreaker({ name: 'payments', threshold: 5, halfOpenAfter: 30_000 });
 * const charge$ = ajax.post('/charge', { amount: 5 }).pipe(circuitBreaker(payments));
 * payments.state$.subscribe((state) => console.log('payments circuit', state));
 * charge$.subscribe({ error: (e) => e instanceof BrokenCircuitError && console.log('try again in', e.retryAfter, 'ms') });
 * ```
 */
export class CircuitBreaker {
  /** The `name` option. */
  readonly name: string | undefined;
  /**
   * The current state on subscription, then every transition as it happens (`'closed'`,
   * `'open'`, `'halfOpen'`). While someone listens, the open → half-open transition is a timer
   * on the scheduler; otherwise it happens on the next subscription or read of `state`.
   */
  readonly state$: Observable<CircuitState>;

  /** The failure rule. */
  private readonly rule: Rule;
  /** The wait before the trials after the n-th opening in a row. */
  private readonly delayFor: (n: number) => number;
  /** How many trials may run at once while half-open. */
  private readonly halfOpenMax: number;
  /** Which errors are failures. */
  private readonly isFailure: (error: unknown) => boolean;
  /** The clock. */
  private readonly scheduler: SchedulerLike;

  /** The state. */
  private current: CircuitState = 'closed';
  /** Bumped on every transition: a permit from an older epoch reports nothing. */
  private epoch = 0;
  /** Threshold rule: failures in a row while closed. */
  private consecutive = 0;
  /** Ratio rule: the outcomes that ended while closed, oldest first, from index `head` on. */
  private log: { readonly time: number; readonly failed: boolean }[] = [];
  private head = 0;
  /** Ratio rule: how many outcomes in the log are failures. */
  private failed = 0;
  /** Openings in a row since the circuit last closed (for the backoff). */
  private openings = 0;
  /** While open: when trials may start, in the scheduler's ms. */
  private until = 0;
  /** While half-open: trial slots taken. */
  private trials = 0;
  /** While open and listened to: the timer that moves to half-open. */
  private timer: Subscription | null = null;
  /** Listeners of `state$`, each with the epoch of the last state it was sent. */
  private readonly listeners = new Map<Subscriber<CircuitState>, number>();
  /** Transitions not yet sent to every listener (a listener's reaction can cause another). */
  private readonly pending: { readonly state: CircuitState; readonly epoch: number }[] = [];
  /** Set while transitions are being sent: a nested transition only queues. */
  private sending = false;

  /**
   * @param options See {@link CircuitBreakerOptions}; read and checked now.
   * @throws RangeError when `threshold`, `minimumCalls` or `halfOpenMax` is not an integer ≥ 1,
   *   `ratio` is outside (0, 1], `window` is not above 0, or a delay is negative; TypeError for a
   *   misspelt option, both `threshold` and `ratio`, `ratio` without `window` (or `window` or
   *   `minimumCalls` without `ratio`), or a wrongly typed `isFailure`, `scheduler` or `name`.
   */
  constructor(options: CircuitBreakerOptions = {}) {
    const o = readOptions('options', options, {
      threshold: opt.optional(opt.limit(5, false)),
      ratio: opt.optional(opt.fraction(undefined)),
      window: opt.optional(opt.positive(undefined)),
      minimumCalls: opt.optional(opt.limit(10, false)),
      halfOpenAfter: readHalfOpenAfter,
      halfOpenMax: opt.limit(1, false),
      isFailure: opt.fn<((error: unknown) => boolean) | undefined>(undefined),
      scheduler: opt.scheduler(asyncScheduler),
      name: opt.string(undefined),
    });
    if (o.ratio === undefined) {
      if (o.window !== undefined || o.minimumCalls !== undefined) {
        const key = o.window !== undefined ? 'window' : 'minimumCalls';
        throw new TypeError(`\`options.${key}\` belongs to the ratio rule: give \`options.ratio\` too, or leave \`options.${key}\` out (got ${describe((options as Record<string, unknown>)[key])})`);
      }
      this.rule = { kind: 'threshold', threshold: o.threshold ?? 5 };
    } else {
      if (o.threshold !== undefined) {
        throw new TypeError(
          `Expected either \`options.threshold\` (failures in a row) or \`options.ratio\` (a failure ratio over \`options.window\`), not both; got threshold ${describe(o.threshold)} and ratio ${describe(o.ratio)}`,
        );
      }
      if (o.window === undefined) throw new TypeError(`\`options.ratio\` ${describe(o.ratio)} needs \`options.window\`, the sliding window in ms over which it is measured`);
      this.rule = { kind: 'ratio', ratio: o.ratio, window: o.window, minimumCalls: o.minimumCalls ?? 10 };
    }
    this.delayFor = o.halfOpenAfter;
    this.halfOpenMax = o.halfOpenMax;
    this.isFailure = o.isFailure ?? (() => true);
    this.scheduler = o.scheduler;
    this.name = o.name;
    this.state$ = new Observable<CircuitState>((subscriber) => {
      this.refresh();
      this.listeners.set(subscriber, this.epoch);
      subscriber.next(this.current);
      this.arm();
      return () => {
        this.listeners.delete(subscriber);
        if (this.listeners.size === 0) this.disarm();
      };
    });
  }

  /** The current state (an open circuit whose delay has passed becomes half-open on this read). */
  get state(): CircuitState {
    this.refresh();
    return this.current;
  }

  /** While open: when trials may start, in the scheduler's ms; otherwise `null`. */
  get retryAt(): number | null {
    this.refresh();
    return this.current === 'open' ? this.until : null;
  }

  /**
   * A {@link Task} run through this breaker: each subscription is admitted or turned away
   * (`BrokenCircuitError`) before the task starts, so a factory is never called while the
   * circuit is open. The same as `taskToObservable(task).pipe(circuitBreaker(this))`.
   *
   * ```text
   * breaker open:    run(task):  #      (BrokenCircuitError; the factory is not called)
   * breaker closed:  run(task):  --a|   (the outcome counts)
   * ```
   *
   * @throws TypeError when `task` is neither an `ObservableInput` nor a function.
   *
   * @example
   * ```ts
   * import { CircuitBreaker } from 'rxjs-concurrency';
   *
   * const search = new CircuitBreaker({ name: 'search', ratio: 0.5, window: 10_000 });
   * const hits$ = search.run(({ signal }) => fetch('/search?q=rx', { signal }).then((r) => r.json()));
   * ```
   */
  run<T>(task: Task<T>): Observable<T> {
    validateTask('task', task);
    return underBreaker(this, taskToObservable(task));
  }

  /** Admits a subscription (a permit) or turns it away (the error to send). */
  private admit(): Permit | BrokenCircuitError {
    this.refresh();
    if (this.current === 'closed') return new Permit(this.epoch, false);
    if (this.current === 'open') return new BrokenCircuitError(this.name, 'open', this.until, this.until - this.scheduler.now());
    if (this.trials < this.halfOpenMax) {
      this.trials++;
      return new Permit(this.epoch, true);
    }
    return new BrokenCircuitError(this.name, 'halfOpen', null, null);
  }

  /** Whether `error` counts as a failure (may throw: the operator reports that). */
  private counts(error: unknown): boolean {
    return this.isFailure(error);
  }

  /** A permit's outcome; idempotent, and ignored when the state has moved on since it started. */
  private settle(permit: Permit, outcome: BreakerOutcome): void {
    if (permit.ended) return;
    permit.ended = true;
    if (permit.epoch !== this.epoch) return;
    if (permit.trial) {
      if (outcome === 'cancel') this.trials--;
      else this.enter(outcome === 'success' ? 'closed' : 'open');
      return;
    }
    if (outcome === 'cancel') return;
    const failure = outcome === 'failure';
    if (this.rule.kind === 'threshold') {
      this.consecutive = failure ? this.consecutive + 1 : 0;
      if (this.consecutive >= this.rule.threshold) this.enter('open');
      return;
    }
    const { ratio, window, minimumCalls } = this.rule;
    const now = this.scheduler.now();
    this.log.push({ time: now, failed: failure });
    if (failure) this.failed++;
    // Drop what ended `window` ms ago or earlier; compact the array now and then.
    while (this.head < this.log.length && this.log[this.head]!.time <= now - window) {
      if (this.log[this.head]!.failed) this.failed--;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.log.length) {
      this.log = this.log.slice(this.head);
      this.head = 0;
    }
    const calls = this.log.length - this.head;
    if (failure && calls >= minimumCalls && this.failed / calls >= ratio) this.enter('open');
  }

  /** An open circuit whose delay has passed becomes half-open. */
  private refresh(): void {
    if (this.current === 'open' && this.scheduler.now() >= this.until) this.enter('halfOpen');
  }

  /** Moves to `state`: a new epoch with fresh counters, and tells `state$`. */
  private enter(state: CircuitState): void {
    this.current = state;
    this.epoch++;
    this.consecutive = 0;
    this.log = [];
    this.head = 0;
    this.failed = 0;
    this.trials = 0;
    this.disarm();
    if (state === 'closed') this.openings = 0;
    if (state === 'open') {
      this.openings++;
      this.until = this.scheduler.now() + this.delayFor(this.openings);
    }
    // Queued before the timer is armed: a synchronous scheduler's timer (queueScheduler, delay
    // 0) moves on to half-open at once, and that must be sent after this transition.
    this.pending.push({ state, epoch: this.epoch });
    this.arm();
    this.send();
  }

  /** While open and listened to, a timer moves the circuit to half-open on time. */
  private arm(): void {
    if (this.current !== 'open' || this.listeners.size === 0 || this.timer !== null) return;
    this.timer = this.scheduler.schedule(() => {
      this.timer = null;
      this.refresh();
      this.arm(); // woken early by a drifting clock: wait again
    }, Math.max(0, this.until - this.scheduler.now()));
  }

  private disarm(): void {
    this.timer?.unsubscribe();
    this.timer = null;
  }

  /** Sends queued transitions in order; each listener gets each transition after the state it last saw. */
  private send(): void {
    if (this.sending) return;
    this.sending = true;
    try {
      while (this.pending.length > 0) {
        const { state, epoch } = this.pending.shift()!;
        for (const [listener, seen] of [...this.listeners]) {
          if (seen >= epoch || !this.listeners.has(listener)) continue;
          this.listeners.set(listener, epoch);
          listener.next(state);
        }
      }
    } finally {
      this.sending = false;
    }
  }
}

/** How an admitted subscription ended, for its breaker. */
type BreakerOutcome = 'success' | 'failure' | 'cancel';

/** The breaker's private methods its operator calls (friend access, kept off its public surface). */
interface BreakerInternals<P = unknown> {
  /** A permit for one subscription, or the error that turns it away. */
  admit(): P | BrokenCircuitError;
  /** Whether an error counts as a failure (may throw). */
  counts(error: unknown): boolean;
  /** The permit's outcome (idempotent). */
  settle(permit: P, outcome: BreakerOutcome): void;
}

/**
 * `source` run under `breaker` on each subscription: the body of {@link circuitBreaker} and
 * {@link CircuitBreaker.run} (kept here so the operator's module depends on this one, not both
 * ways round).
 */
export function underBreaker<T>(breaker: CircuitBreaker, source: Observable<T>): Observable<T> {
  const internals = breaker as unknown as BreakerInternals;
  return new Observable<T>((subscriber) => {
    const permit = internals.admit();
    if (permit instanceof BrokenCircuitError) {
      subscriber.error(permit);
      return;
    }
    // The forwarder is on the consumer's subscriber before the source starts, so a consumer
    // that closes while a synchronous source still emits stops that source at once. Tearing
    // down before the source ended is a success if a value came (`take(1)`, `firstValueFrom`
    // of a one-shot call), else a cancellation; a no-op once the outcome is in.
    const forwarder = new OutcomeSubscriber<T>(subscriber, internals, permit);
    subscriber.add(forwarder);
    subscriber.add(() => internals.settle(permit, forwarder.emitted ? 'success' : 'cancel'));
    source.subscribe(forwarder);
  });
}

/** Forwards the source's notifications, telling the breaker the outcome before the consumer. */
class OutcomeSubscriber<T> extends Subscriber<T> {
  /** The source has sent a value: the service answered. */
  emitted = false;

  constructor(
    private readonly out: Subscriber<T>,
    private readonly breaker: BreakerInternals,
    private readonly permit: unknown,
  ) {
    super();
  }

  protected override _next(value: T): void {
    this.emitted = true;
    this.out.next(value);
  }

  protected override _error(error: unknown): void {
    this.unsubscribe();
    let failure: boolean;
    try {
      failure = this.breaker.counts(error);
    } catch (thrown) {
      // A throwing `isFailure`: the call failed as far as anyone can tell; the consumer gets what was thrown.
      this.breaker.settle(this.permit, 'failure');
      this.out.error(thrown);
      return;
    }
    this.breaker.settle(this.permit, failure ? 'failure' : 'success');
    this.out.error(error);
  }

  protected override _complete(): void {
    this.unsubscribe();
    this.breaker.settle(this.permit, 'success');
    this.out.complete();
  }
}
