import { of, type ObservedValueOf } from 'rxjs';
import { BrokenCircuitError, CircuitBreaker, circuitBreaker, retryBackoff, takeUntilAborted } from '../lib/index';
import type { CircuitBreakerOptions, CircuitState, HalfOpenBackoff, TakeUntilAbortedOptions } from '../lib/index';

// Type tests: checked by `tsc --noEmit` (part of `npm test`); see resilience-types.spec.ts.

type Equals<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;
function expectType<T>(_value: T): <U>(check: Equals<T, U>) => void {
  return () => undefined;
}

const breaker = new CircuitBreaker({ threshold: 3, halfOpenAfter: { baseDelay: 100 }, isFailure: (e) => !(e instanceof TypeError) });

// The operators keep the source's value type inside `pipe`, in either order with retryBackoff.
const piped = of('x').pipe(circuitBreaker(breaker), retryBackoff(), takeUntilAborted(new AbortController().signal, { mode: 'complete' }));
expectType<ObservedValueOf<typeof piped>>(null!)<string>(true);
const outside = of(1).pipe(retryBackoff(), circuitBreaker(breaker));
expectType<ObservedValueOf<typeof outside>>(null!)<number>(true);

// run() infers from a factory or a promise.
const ran = breaker.run(({ signal }) => fetch('/x', { signal }).then((r) => r.status));
expectType<ObservedValueOf<typeof ran>>(null!)<number>(true);

// state, state$, retryAt are typed and read-only.
expectType(breaker.state)<CircuitState>(true);
expectType<ObservedValueOf<typeof breaker.state$>>(null!)<'closed' | 'open' | 'halfOpen'>(true);
expectType(breaker.retryAt)<number | null>(true);
const readOnly = (): void => {
  // @ts-expect-error state is read-only
  breaker.state = 'open';
};

// BrokenCircuitError's fields.
const rejected = new BrokenCircuitError('api', 'open', 10, 5);
expectType(rejected.state)<'open' | 'halfOpen'>(true);
expectType(rejected.retryAt)<number | null>(true);
expectType(rejected.breaker)<string | undefined>(true);

// Options: a misspelt key or a wrong type does not compile.
// @ts-expect-error no such option
const misspelt = (): unknown => new CircuitBreaker({ treshold: 5 });
// @ts-expect-error halfOpenAfter is a number or a backoff
const wrongDelay = (): unknown => new CircuitBreaker({ halfOpenAfter: '5s' });
const backoff: HalfOpenBackoff = { baseDelay: 1, maxDelay: 2, jitter: 0.1, random: Math.random };
const options: CircuitBreakerOptions = { ratio: 0.5, window: 1000, minimumCalls: 3, halfOpenAfter: backoff, halfOpenMax: 2, name: 'x' };
void options;
// @ts-expect-error mode is 'error' or 'complete'
const bad: TakeUntilAbortedOptions = { mode: 'stop' };
void bad;
// @ts-expect-error the signal is an AbortSignal
const notASignal = (): unknown => takeUntilAborted({});

describe('breaker and signal types', () => {
  it('are checked by tsc; what they refuse also fails at run time', () => {
    expect(readOnly).toThrow(TypeError); // a getter without a setter, in strict mode
    expect(misspelt).toThrow(/Unknown option `options.treshold`/);
    expect(wrongDelay).toThrow(TypeError);
    expect(notASignal).toThrow(TypeError);
  });
});
