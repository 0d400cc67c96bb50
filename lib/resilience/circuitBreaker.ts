import type { MonoTypeOperatorFunction } from 'rxjs';
import { describe } from '../internal/validate.js';
import { CircuitBreaker, underBreaker } from './breaker.js';

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
  if (!(breaker instanceof CircuitBreaker)) {
    throw new TypeError(`Expected \`breaker\` to be a CircuitBreaker, got ${describe(breaker)}`);
  }
  return (source) => underBreaker(breaker, source);
}
