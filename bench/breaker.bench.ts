/**
 * `npm run bench breaker`: what a circuit breaker and takeUntilAborted cost per subscription,
 * on synchronous `of(x)` so the figure is the pure bookkeeping:
 *
 * - closed with the threshold rule (a permit, a forwarding subscriber, one finalizer);
 * - closed with the ratio rule (plus an entry in the sliding window's log per call);
 * - open: every subscription turned away with a BrokenCircuitError (the fail-fast path), next
 *   to a bare `throwError(() => new Error())` for what creating an error costs;
 * - takeUntilAborted: one abort listener added and removed per subscription.
 *
 * One process, side by side; ratios are against the bare subscription.
 */
import { of, throwError, type Observable } from 'rxjs';
import { core } from './lib.js';
import { medianMs, report, withRatios, type Row } from './support.js';

const { CircuitBreaker, circuitBreaker, takeUntilAborted } = core;

const N = 100_000;

/** Subscribes `source` `n` times and resolves when every subscription has ended. */
function subscribeAll(n: number, source: Observable<unknown>): Promise<void> {
  return new Promise((resolve) => {
    let left = n;
    const done = (): void => {
      if (--left === 0) resolve();
    };
    const observer = { error: done, complete: done };
    for (let i = 0; i < n; i++) source.subscribe(observer);
  });
}

const nsPer = (ms: number, n: number): number => (ms * 1e6) / n;

export default async function main(): Promise<void> {
  const rows: Row[] = [];
  const source = of(1);
  const measure = async (name: string, make: () => Observable<unknown>): Promise<void> => {
    rows.push({ name, unit: 'ns/sub', value: nsPer(await medianMs(() => subscribeAll(N, make())), N) });
  };
  await measure(`bare subscription, of(x), N=${N}`, () => source);
  await measure(`circuitBreaker, closed, threshold rule, N=${N}`, () => source.pipe(circuitBreaker(new CircuitBreaker({ threshold: 5 }))));
  await measure(`circuitBreaker, closed, ratio rule (window 10 s), N=${N}`, () =>
    source.pipe(circuitBreaker(new CircuitBreaker({ ratio: 0.5, window: 10_000 }))),
  );
  await measure(`bare throwError(() => new Error()), for scale, N=${N}`, () => throwError(() => new Error('down')));
  await measure(`circuitBreaker, open (fails fast), N=${N}`, () => {
    const breaker = new CircuitBreaker({ threshold: 1, halfOpenAfter: 3_600_000 });
    throwError(() => new Error('down')).pipe(circuitBreaker(breaker)).subscribe({ error: () => undefined });
    return source.pipe(circuitBreaker(breaker));
  });
  await measure(`takeUntilAborted(signal), N=${N}`, () => source.pipe(takeUntilAborted(new AbortController().signal)));
  report('breaker', 'circuitBreaker and takeUntilAborted overhead per subscription (Node, one process)', withRatios(rows, rows[0]!.name));
}
