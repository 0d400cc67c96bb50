import { Observable, Subscriber, type MonoTypeOperatorFunction } from 'rxjs';
import { BrokenCircuitError } from '../errors.js';
import { describe } from '../internal/validate.js';
import type { CircuitBreaker } from './breaker.js';

/** How an admitted subscription ended, for its breaker. */
export type BreakerOutcome = 'success' | 'failure' | 'cancel';

/** The breaker's private methods its operator calls (friend access, kept off its public surface). */
export interface BreakerInternals<P = unknown> {
  /** A permit for one subscription, or the error that turns it away. */
  admit(): P | BrokenCircuitError;
  /** Whether an error counts as a failure (may throw). */
  counts(error: unknown): boolean;
  /** The permit's outcome (idempotent). */
  settle(permit: P, outcome: BreakerOutcome): void;
}

/**
 * Runs each subscription to the source through `breaker`: while the circuit is closed (or
 * half-open with a trial slot free) it subscribes and reports how the source ended; while it is
 * open it errors at once with a `BrokenCircuitError` and never subscribes to the source.
 *
 * cockatiel's `circuitBreaker(...).execute(fn)` as an operator. Completion is a success; an
 * error is a failure if the breaker's `isFailure` says so (otherwise a success) and passes
 * through unchanged; unsubscribing before the end is a success if a value came (`take(1)`,
 * `firstValueFrom`), and otherwise counts as neither (and frees a half-open trial slot). Values
 * pass through untouched: put the operator around each call, not around a stream that never
 * ends. The breaker hears the outcome before the downstream does, so a retry that resubscribes
 * at once already meets the new state. Every pipeline using the same breaker shares its state.
 *
 * ```text
 * breaker = new CircuitBreaker({ threshold: 1, halfOpenAfter: 5 })
 * a$ = cold('-#').pipe(circuitBreaker(breaker)), b$ = cold('-a|').pipe(circuitBreaker(breaker))
 * a$ at 0:   -#          (failure: the circuit opens at 1, trials from 6)
 * b$ at 3:   ---#        (BrokenCircuitError; b's source is not subscribed)
 * b$ at 6:   -------a|   (the trial: its success closes the circuit at 8)
 * state$:    co----h-c
 * ```
 *
 * @param breaker The shared {@link CircuitBreaker}.
 * @throws TypeError when `breaker` is not a CircuitBreaker (at creation).
 *
 * @example
 * ```ts
 * import { CircuitBreaker, circuitBreaker } from 'rxjs-concurrency';
 * import { ajax } from 'rxjs/ajax';
 *
 * const inventory = new CircuitBreaker({ name: 'inventory', ratio: 0.5, window: 10_000, halfOpenAfter: 5_000 });
 * const stock$ = ajax.getJSON<number>('/stock/42').pipe(circuitBreaker(inventory));
 * ```
 */
export function circuitBreaker<T>(breaker: CircuitBreaker): MonoTypeOperatorFunction<T> {
  const b = breaker as unknown as Partial<BreakerInternals> | null;
  if (b === null || typeof b !== 'object' || typeof b.admit !== 'function' || typeof b.settle !== 'function') {
    throw new TypeError(`Expected \`breaker\` to be a CircuitBreaker, got ${describe(breaker)}`);
  }
  const internals = b as BreakerInternals;
  return (source) =>
    new Observable<T>((subscriber) => {
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
