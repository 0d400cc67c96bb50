import { of, type Observable, type ObservedValueOf } from 'rxjs';
import { firstSuccess, firstToFinish, gather, streamConcurrently, streamConcurrentlyWith } from '../lib/index';
import type { GatherOptions, Settled, TaskContext } from '../lib/index';

// Type tests: checked by `tsc --noEmit` (part of `npm test`). `Equals` is exact (an `any` or a
// wider type fails it), and each `@ts-expect-error` fails the type-check if the line compiles.

type Equals<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;
function expectType<T>(_value: T): <U>(check: Equals<T, U>) => void {
  return () => undefined;
}
type ValueOf<O> = ObservedValueOf<O>;

const num = of(1);
const str = Promise.resolve('a');
const bool = (ctx: TaskContext) => of(ctx.signal.aborted);

// gather, variadic: a tuple typed per position, factories included.
const t: Observable<[number, string, boolean]> = gather(num, str, bool);
expectType<ValueOf<typeof t>>(null!)<[number, string, boolean]>(true);
const inferred = gather(num, str, [true]);
expectType<ValueOf<typeof inferred>>(null!)<[number, string, boolean]>(true);
const many: Array<Observable<number>> = [num, num];
const spread = gather(...many);
expectType<ValueOf<typeof spread>>(null!)<number[]>(true);
const mixed = gather(str, ...many);
expectType<ValueOf<typeof mixed>>(null!)<[string, ...number[]]>(true);
const empty = gather();
expectType<ValueOf<typeof empty>>(null!)<[]>(true);
const noSettle = gather(num, str, { settle: false });
expectType<ValueOf<typeof noSettle>>(null!)<[number, string]>(true);
const settled = gather(num, str, { settle: true });
expectType<ValueOf<typeof settled>>(null!)<[Settled<number>, Settled<string>]>(true);
const maybe: GatherOptions = { settle: Math.random() > 0.5 };
const either = gather(num, maybe);
expectType<ValueOf<typeof either>>(null!)<[number] | [Settled<number>]>(true);
// @ts-expect-error positions are not interchangeable
const swapped: Observable<[string, number]> = gather(num, str);
// @ts-expect-error the settled form is not the plain one
const notSettled: Observable<[number, string]> = gather(num, str, { settle: true });

// gather, object form: typed per key.
const o = gather({ a: num, b: str, c: bool });
expectType<ValueOf<typeof o>>(null!)<{ a: number; b: string; c: boolean }>(true);
const os = gather({ a: num, b: str }, { settle: true });
expectType<ValueOf<typeof os>>(null!)<{ a: Settled<number>; b: Settled<string> }>(true);
// @ts-expect-error a key's type is kept
const wrongKey: Observable<{ a: string; b: string }> = gather({ a: num, b: str });
// @ts-expect-error every value must be a task
const notATask = () => gather({ a: num, b: 42 });

// streamConcurrently: the union of the sources' types.
const u = streamConcurrently(num, str, bool);
expectType<ValueOf<typeof u>>(null!)<number | string | boolean>(true);
const ue = streamConcurrently(num, str, { exhaustive: true });
expectType<ValueOf<typeof ue>>(null!)<number | string>(true);
// @ts-expect-error the union is not narrowed to one source's type
const onlyNumbers: Observable<number> = streamConcurrently(num, str);
const piped = num.pipe(streamConcurrentlyWith(str, { exhaustive: true }));
expectType<ValueOf<typeof piped>>(null!)<number | string>(true);

// firstToFinish / firstSuccess: the union of the tasks' types.
const ftf = firstToFinish(num, str);
expectType<ValueOf<typeof ftf>>(null!)<number | string>(true);
const fs = firstSuccess(num, bool);
expectType<ValueOf<typeof fs>>(null!)<number | boolean>(true);
// @ts-expect-error firstToFinish takes no options
const withOptions = () => firstToFinish(num, { settle: true });

describe('combinator types', () => {
  it('are checked by tsc (this file compiles only if every type assertion holds)', () => {
    expect([swapped, notSettled, wrongKey, onlyNumbers].every((x) => typeof x.subscribe === 'function')).toBe(true);
    expect(notATask).toThrow(TypeError);
    expect(withOptions).toThrow(TypeError);
  });
});
