import { of, type Observable, type ObservedValueOf } from 'rxjs';
import { concurrently } from '../lib/index';
import type { Settled, Task, TaskContext } from '../lib/index';

// Type tests: checked by `tsc --noEmit` (part of `npm test`). `Equals` is exact (an `any` or a
// wider type fails it), and each `@ts-expect-error` fails the type-check if the line compiles.

type Equals<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;
function expectType<T>(_value: T): <U>(check: Equals<T, U>) => void {
  return () => undefined;
}
type ValueOf<O> = ObservedValueOf<O>;

interface User {
  readonly name: string;
}
interface Order {
  readonly total: number;
}
const loadUser = (): Promise<User> => Promise.resolve({ name: 'ada' });
const loadOrders = (): Observable<Order[]> => of([{ total: 1 }]);

// concurrently, a list literal: a tuple typed per position, like gather.
const pair = concurrently([() => loadUser(), () => loadOrders()]);
expectType<ValueOf<typeof pair>>(null!)<[User, Order[]]>(true);
const limited = concurrently([() => loadUser(), (ctx: TaskContext) => of(ctx.signal.aborted), of('x')], { concurrentTasks: 2 });
expectType<ValueOf<typeof limited>>(null!)<[User, boolean, string]>(true);
const settledPair = concurrently([() => loadUser(), () => loadOrders()], { settle: true });
expectType<ValueOf<typeof settledPair>>(null!)<[Settled<User>, Settled<Order[]>]>(true);
// An array of one task type: an array of results.
const many: Array<Task<number>> = [of(1), () => Promise.resolve(2)];
const list = concurrently(many);
expectType<ValueOf<typeof list>>(null!)<number[]>(true);
// Any iterable or async iterable of tasks.
function* generated(): Generator<() => Promise<number>> {
  yield () => Promise.resolve(1);
}
async function* pulled(): AsyncGenerator<() => Promise<string>> {
  yield () => Promise.resolve('a');
}
const fromGenerator = concurrently(generated());
expectType<ValueOf<typeof fromGenerator>>(null!)<number[]>(true);
const fromAsync = concurrently(pulled(), { settle: true });
expectType<ValueOf<typeof fromAsync>>(null!)<Settled<string>[]>(true);
// @ts-expect-error positions are not interchangeable
const swapped: Observable<[Order[], User]> = concurrently([() => loadUser(), () => loadOrders()]);

describe('fan-out types', () => {
  it('are checked by tsc (this file compiles only if every type assertion holds)', () => {
    expect([pair, limited, settledPair, list, fromGenerator, fromAsync, swapped].every((x) => typeof x.subscribe === 'function')).toBe(true);
  });
});
