import { asyncScheduler, of, type Observable, type ObservedValueOf } from 'rxjs';
import { CapacityLimiter, RateLimiter, failAfter, failAt, moveOnAfter, moveOnAt, retryBackoff, withCapacity, withRate } from '../lib/index';
import type { CapacityState, CapacityStore, ErrorClass, MoveOnOptions, RateState, RetryBackoffOptions, TaskContext } from '../lib/index';

// Type tests: checked by `tsc --noEmit` (part of `npm test`). `Equals` is exact (an `any` or a
// wider type fails it), and each `@ts-expect-error` fails the type-check if the line compiles.

type Equals<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;
function expectType<T>(_value: T): <U>(check: Equals<T, U>) => void {
  return () => undefined;
}
type ValueOf<O> = ObservedValueOf<O>;

const num = of(1);

// Every operator keeps the source's value type inside `pipe`.
const piped = num.pipe(retryBackoff(), withCapacity(new CapacityLimiter(2)), failAfter(10), moveOnAfter(null), failAt(new Date()), moveOnAt(5));
expectType<ValueOf<typeof piped>>(null!)<number>(true);

// moveOnAfter/moveOnAt: a scheduler or `{ scheduler?, onTimeout? }` as the second argument.
const cut = num.pipe(moveOnAfter(10, { onTimeout: () => undefined }), moveOnAt(5, { scheduler: asyncScheduler }), moveOnAfter(3, asyncScheduler));
expectType<ValueOf<typeof cut>>(null!)<number>(true);
const moveOnOptions: MoveOnOptions = { onTimeout: () => console.log('cut') };
// @ts-expect-error an unknown option
const misspeltOnTimeout = () => moveOnAfter(10, { ontimeout: () => undefined });
// @ts-expect-error a string is not a callback
const notCallback = () => moveOnAt(10, { onTimeout: 'log' });
// @ts-expect-error failAfter takes a scheduler only
const failOptions = () => failAfter(10, { scheduler: asyncScheduler });

// retryOn: error classes (abstract ones and ones whose constructors take other arguments too) or a predicate.
abstract class NetworkError extends Error {}
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
const classes: RetryBackoffOptions = { retryOn: [TypeError, NetworkError, HttpError] };
const klass: ErrorClass = HttpError;
retryBackoff({
  retryOn: (error, attempt) => {
    expectType(error)<unknown>(true);
    expectType(attempt)<number>(true);
    return error instanceof HttpError && error.status >= 500;
  },
  onRetry: (error, attempt, delay) => {
    expectType(error)<unknown>(true);
    expectType([attempt, delay] as const)<readonly [number, number]>(true);
  },
});
// @ts-expect-error a class name is not a class
const byName = () => retryBackoff({ retryOn: ['TypeError'] });
// @ts-expect-error an instance is not a class
const byInstance = () => retryBackoff({ retryOn: [new TypeError()] });
// @ts-expect-error the deadline is ms or a Date
const stringDeadline = () => retryBackoff({ deadline: '10s' });

// CapacityLimiter.run infers the task's value type, from a factory or an ObservableInput.
const limiter = new CapacityLimiter(2);
const fromFactory = limiter.run((ctx: TaskContext) => fetchLength(ctx.signal));
expectType<ValueOf<typeof fromFactory>>(null!)<number>(true);
const fromPromise = limiter.run(Promise.resolve('x'));
expectType<ValueOf<typeof fromPromise>>(null!)<string>(true);
const states: Observable<CapacityState> = limiter.state$;
expectType<ValueOf<typeof states>>(null!)<CapacityState>(true);
const readOnly = (): void => {
  // @ts-expect-error borrowed is read-only
  limiter.borrowed = 3;
};
// @ts-expect-error a duration is a number
const stringMs = () => failAfter('5s');

declare function fetchLength(signal: AbortSignal): Promise<number>;

// Rate limits: withRate keeps the value type; run infers the task's; options are typed.
const rate = new RateLimiter({ limit: 5, interval: 1000 });
const rated = num.pipe(withRate(rate, { cost: 2 }), withCapacity(new CapacityLimiter(2, { maxWaiting: 10 })));
expectType<ValueOf<typeof rated>>(null!)<number>(true);
const ranRate = rate.run(({ signal }) => fetchLength(signal), { cost: 1 });
expectType<ValueOf<typeof ranRate>>(null!)<number>(true);
const rateState: Observable<RateState> = rate.state$;
// @ts-expect-error limit and interval are required
const noInterval = () => new RateLimiter({ limit: 5 });
// @ts-expect-error misspelt option
const misspelt = () => new RateLimiter({ limit: 5, interval: 10, spred: true });
// A store is a plain object implementing the seam.
const store: CapacityStore<string> = { key: 'k', acquire: async () => 'token', release: () => undefined };
const shared = new CapacityLimiter(3, { store });

describe('resilience types', () => {
  it('are checked by tsc (this file compiles only if every type assertion holds)', () => {
    expect(classes.retryOn).toHaveLength(3);
    expect(klass).toBe(HttpError);
    expect(byName).toThrow(TypeError);
    expect(byInstance).toThrow(TypeError);
    expect(stringDeadline).toThrow(TypeError);
    expect(stringMs).toThrow(RangeError);
    expect(readOnly).toThrow(TypeError); // a getter without a setter, in strict mode
    expect(rateState).toBeDefined();
    expect(noInterval).toThrow(TypeError);
    expect(misspelt).toThrow('Unknown option `options.spred`');
    expect(shared.total).toBe(3);
  });
});
