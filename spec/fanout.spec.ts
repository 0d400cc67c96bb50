import {
  EMPTY,
  Observable,
  Subject,
  concatMap,
  VirtualTimeScheduler,
  defer,
  finalize,
  from,
  lastValueFrom,
  map,
  of,
  range,
  take,
  throwError,
  timer,
  toArray,
} from 'rxjs';
import fc from 'fast-check';
import {
  boundedMap,
  completionStream,
  concurrently,
  EmptyTaskError,
  executeConcurrently,
  processConcurrently,
  pull,
  type TaskContext,
} from '../lib/index.js';
import { countAbortControllers } from './support/abort.js';
import { gated, runGated } from './support/gated.js';

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** A promise with its resolve/reject exposed. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('boundedMap with synchronous inners and sources', () => {
  it('handles of(x) inners that complete inside subscribe, in order, without recursion', () => {
    const out: number[] = [];
    range(0, 200_000)
      .pipe(boundedMap((x) => of(x), 3))
      .subscribe((x) => out.push(x));
    expect(out.length).toBe(200_000);
    expect(out[0]).toBe(0);
    expect(out[199_999]).toBe(199_999);
  });

  it('takes arrays and iterables as inners, emitting all their values in order', async () => {
    const out = await lastValueFrom(of(1, 2, 3).pipe(boundedMap((x) => [x, x * 10], 2), toArray()));
    expect(out).toEqual([1, 10, 2, 20, 3, 30]);
  });

  it('take(1) on a synchronous pulled source stops reading at once', () => {
    let read = 0;
    function* numbers() {
      for (let i = 0; ; i++) {
        read++;
        yield i;
      }
    }
    const out: number[] = [];
    pull(numbers)
      .pipe(
        boundedMap((x) => of(x), 4),
        take(3),
      )
      .subscribe((x) => out.push(x));
    expect(out).toEqual([0, 1, 2]);
    expect(read).toBe(3);
  });

  it('a synchronous inner error stops the synchronous source from pushing more', () => {
    let pushed = 0;
    const source = new Observable<number>((subscriber) => {
      for (let i = 0; i < 1000 && !subscriber.closed; i++) {
        pushed++;
        subscriber.next(i);
      }
    });
    const errors: unknown[] = [];
    source.pipe(boundedMap((x) => (x === 2 ? throwError(() => 'boom') : of(x)), 1)).subscribe({ error: (e) => errors.push(e) });
    expect(errors).toEqual(['boom']);
    expect(pushed).toBe(3);
  });

  it('a project that throws synchronously errors the output, unwrapped', () => {
    const error = new Error('project threw');
    const errors: unknown[] = [];
    of(1, 2).pipe(
      boundedMap(() => {
        throw error;
      }, 2),
    ).subscribe({ error: (e) => errors.push(e) });
    expect(errors).toEqual([error]);
  });

  it('a project that returns something that is not an ObservableInput errors with RxJS’s TypeError', () => {
    const errors: unknown[] = [];
    of(1).pipe(boundedMap(() => 42 as unknown as Observable<number>, 1)).subscribe({ error: (e) => errors.push(e) });
    expect(errors[0]).toBeInstanceOf(TypeError);
    // It names `project`, what it returned and the item's index.
    expect((errors[0] as Error).message).toMatch(/^Expected `project` to return an Observable, .* got `42` \(number\) at index 0$/);
  });

  it('with settle, a throwing project settles that item as rejected and goes on', () => {
    const out: unknown[] = [];
    of(1, 2, 3)
      .pipe(
        boundedMap(
          (x) => {
            if (x === 2) throw new Error('two');
            return of(x);
          },
          2,
          { settle: true },
        ),
      )
      .subscribe((s) => out.push(s));
    expect(out).toEqual([
      { status: 'fulfilled', value: 1 },
      { status: 'rejected', reason: new Error('two') },
      { status: 'fulfilled', value: 3 },
    ]);
  });

  it('with settle, an inner that completes empty settles as rejected with EmptyTaskError', () => {
    const out: unknown[] = [];
    of(1).pipe(boundedMap(() => EMPTY, 1, { settle: true })).subscribe((s) => out.push(s));
    expect(out).toEqual([{ status: 'rejected', reason: new EmptyTaskError(0) }]);
  });
});

describe('boundedMap with promises', () => {
  it('keeps input order when promises resolve in reverse', async () => {
    const gates = [deferred<string>(), deferred<string>(), deferred<string>()];
    const result = lastValueFrom(of(0, 1, 2).pipe(boundedMap((i) => gates[i]!.promise, 3), toArray()));
    gates[2]!.resolve('c');
    gates[1]!.resolve('b');
    gates[0]!.resolve('a');
    await expect(result).resolves.toEqual(['a', 'b', 'c']);
  });

  it('ordered: false emits promises in completion order', async () => {
    const gates = [deferred<string>(), deferred<string>()];
    const result = lastValueFrom(of(0, 1).pipe(boundedMap((i) => gates[i]!.promise, 2, { ordered: false }), toArray()));
    gates[1]!.resolve('b');
    await tick();
    gates[0]!.resolve('a');
    await expect(result).resolves.toEqual(['b', 'a']);
  });

  it('never has more than limit promises pending', async () => {
    let pending = 0;
    let most = 0;
    const result = lastValueFrom(
      range(0, 50).pipe(
        boundedMap(async (x) => {
          pending++;
          most = Math.max(most, pending);
          await tick();
          pending--;
          return x;
        }, 4),
        toArray(),
      ),
    );
    await expect(result).resolves.toEqual([...Array(50).keys()]);
    expect(most).toBe(4);
  });

  it('a rejection errors the output unwrapped and ignores later resolutions', async () => {
    const error = new Error('rejected');
    const gates = [deferred<number>(), deferred<number>()];
    const seen: unknown[] = [];
    const done = deferred<void>();
    of(0, 1)
      .pipe(boundedMap((i) => gates[i]!.promise, 2))
      .subscribe({ next: (v) => seen.push(v), error: (e) => (seen.push(e), done.resolve()) });
    gates[1]!.reject(error);
    await done.promise;
    gates[0]!.resolve(0);
    await tick();
    expect(seen).toEqual([error]);
  });
});

describe('AbortSignal (ctx.signal)', () => {
  it('aborts the signal of every running item when the output is unsubscribed', async () => {
    const signals: AbortSignal[] = [];
    const subscription = range(0, 10)
      .pipe(
        boundedMap((_x, _i, ctx) => {
          signals.push(ctx.signal);
          return new Promise<never>(() => undefined);
        }, 3),
      )
      .subscribe();
    expect(signals).toHaveLength(3);
    expect(signals.some((s) => s.aborted)).toBe(false);
    subscription.unsubscribe();
    expect(signals.every((s) => s.aborted)).toBe(true);
    expect((signals[0]!.reason as Error).name).toBe('AbortError');
  });

  it('aborts the other items’ signals when one fails, but never a finished item’s', async () => {
    const signals: AbortSignal[] = [];
    const gates = [deferred<number>(), deferred<number>(), deferred<number>()];
    const failed = lastValueFrom(
      of(0, 1, 2).pipe(
        boundedMap((i, _index, ctx) => {
          signals.push(ctx.signal);
          return gates[i]!.promise;
        }, 3),
      ),
    );
    gates[0]!.resolve(0);
    await tick();
    gates[1]!.reject(new Error('one failed'));
    await expect(failed).rejects.toThrow('one failed');
    expect(signals.map((s) => s.aborted)).toEqual([false, false, true]);
  });

  it('creates no AbortController when the project never reads the signal', async () => {
    const count = countAbortControllers();
    try {
      const subscription = range(0, 100)
        .pipe(boundedMap((x) => timer(1000).pipe(map(() => x)), 5))
        .subscribe();
      await lastValueFrom(range(0, 100).pipe(boundedMap((x) => Promise.resolve(x), 5), toArray()));
      subscription.unsubscribe();
      expect(count.created).toBe(0);
    } finally {
      count.restore();
    }
  });

  it('hands fetch-style work a signal that stops it', async () => {
    const stopped: number[] = [];
    const work = (id: number, _index: number, { signal }: TaskContext) =>
      new Promise<number>((resolve, reject) => {
        const timeout = setTimeout(() => resolve(id), 10_000);
        signal.addEventListener('abort', () => {
          clearTimeout(timeout);
          stopped.push(id);
          reject(signal.reason);
        });
      });
    const subscription = of(1, 2).pipe(boundedMap(work, 2)).subscribe();
    subscription.unsubscribe();
    expect(stopped).toEqual([1, 2]);
  });
});

describe('pull: lazy reading', () => {
  it('reads item k + limit only after a slot frees', async () => {
    const read: number[] = [];
    function* items() {
      for (let i = 0; i < 10; i++) {
        read.push(i);
        yield i;
      }
    }
    const gates = Array.from({ length: 10 }, () => deferred<number>());
    const result = lastValueFrom(pull(items).pipe(boundedMap((i) => gates[i]!.promise, 3, { ordered: false }), toArray()));
    expect(read).toEqual([0, 1, 2]);
    gates[1]!.resolve(1);
    await tick();
    expect(read).toEqual([0, 1, 2, 3]);
    for (const gate of gates) gate.resolve(0);
    await result;
    expect(read).toHaveLength(10);
  });

  it('reads an async iterable one item per free slot', async () => {
    const read: number[] = [];
    async function* items() {
      for (let i = 0; i < 6; i++) {
        read.push(i);
        yield i;
      }
    }
    const gates = Array.from({ length: 6 }, () => deferred<number>());
    const result = lastValueFrom(pull(items).pipe(boundedMap((i) => gates[i]!.promise, 2), toArray()));
    await tick();
    expect(read).toEqual([0, 1]);
    gates[0]!.resolve(10);
    await tick();
    expect(read).toEqual([0, 1, 2]);
    gates.forEach((g, i) => g.resolve(i * 10));
    await expect(result).resolves.toEqual([10, 10, 20, 30, 40, 50]);
  });

  it('calls the iterator’s return() when the output is unsubscribed early or errors', async () => {
    const closed: string[] = [];
    function* items(name: string) {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed.push(name);
      }
    }
    const subscription = pull(() => items('unsubscribed'))
      .pipe(boundedMap(() => new Promise<never>(() => undefined), 2))
      .subscribe();
    subscription.unsubscribe();
    await expect(
      lastValueFrom(pull(() => items('errored')).pipe(boundedMap((i) => (i === 3 ? throwError(() => 'x') : of(i)), 2))),
    ).rejects.toBe('x');
    expect(closed).toEqual(['unsubscribed', 'errored']);
  });

  it('closes an async generator when cancelled', async () => {
    let closed = false;
    async function* items() {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    }
    const out = await lastValueFrom(pull(items).pipe(boundedMap((x) => of(x), 2), take(3), toArray()));
    expect(out).toEqual([0, 1, 2]);
    await tick();
    expect(closed).toBe(true);
  });

  it('errors when the iterator throws, and pull subscribed on its own emits everything', async () => {
    function* failing() {
      yield 1;
      throw new Error('iterator broke');
    }
    await expect(lastValueFrom(pull(failing).pipe(boundedMap((x) => of(x), 2)))).rejects.toThrow('iterator broke');
    await expect(lastValueFrom(pull([1, 2, 3]).pipe(toArray()))).resolves.toEqual([1, 2, 3]);
    async function* three() {
      yield* [1, 2, 3];
    }
    await expect(lastValueFrom(pull(three).pipe(toArray()))).resolves.toEqual([1, 2, 3]);
  });

  it('a factory is called afresh for each subscription; a bare generator object is read once', async () => {
    const reusable = pull(() => [1, 2]);
    expect(await lastValueFrom(reusable.pipe(toArray()))).toEqual([1, 2]);
    expect(await lastValueFrom(reusable.pipe(toArray()))).toEqual([1, 2]);
  });
});

describe('re-entrancy', () => {
  it('a Subject source fed from the output keeps going in order', () => {
    const source = new Subject<number>();
    const out: number[] = [];
    source.pipe(boundedMap((x) => of(x), 2)).subscribe((x) => {
      out.push(x);
      if (x < 5) source.next(x + 1);
      else source.complete();
    });
    source.next(0);
    expect(out).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('an inner that emits again from inside the consumer keeps order', () => {
    const inner = new Subject<string>();
    const source = new Subject<string>();
    const out: string[] = [];
    source.pipe(boundedMap((x) => (x === 'a' ? inner : of(x)), 2)).subscribe((v) => {
      out.push(v);
      if (v === 'a1') inner.next('a2');
    });
    source.next('a');
    source.next('b');
    inner.next('a1');
    inner.complete();
    expect(out).toEqual(['a1', 'a2', 'b']);
  });

  it('unsubscribing from inside next stops everything', () => {
    const out: number[] = [];
    const started: number[] = [];
    const source = new Subject<number>();
    const subscription = source
      .pipe(
        boundedMap((x) => {
          started.push(x);
          return of(x);
        }, 3),
      )
      .subscribe((x) => {
        out.push(x);
        if (x === 4) subscription.unsubscribe();
      });
    for (let i = 0; i < 100; i++) source.next(i);
    expect(source.observed).toBe(false);
    expect(out).toEqual([0, 1, 2, 3, 4]);
    expect(started).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('the function forms', () => {
  it('executeConcurrently: promises, arrays, async iterables; empty source gives []', async () => {
    await expect(lastValueFrom(executeConcurrently((x: number) => Promise.resolve(x * 2), [1, 2, 3]))).resolves.toEqual([2, 4, 6]);
    async function* source() {
      yield* [3, 2, 1];
    }
    await expect(lastValueFrom(executeConcurrently((x: number) => timer(x).pipe(map(() => x)), source()))).resolves.toEqual([3, 2, 1]);
    await expect(lastValueFrom(executeConcurrently((x: number) => of(x), []))).resolves.toEqual([]);
    await expect(lastValueFrom(executeConcurrently((x: number) => of(x, x + 1), Promise.resolve(1)))).resolves.toEqual([2]);
  });

  it('executeConcurrently with settle reports each outcome', async () => {
    const result = await lastValueFrom(
      executeConcurrently((x: number) => (x % 2 ? Promise.reject(new Error(`odd ${x}`)) : Promise.resolve(x)), [1, 2], { settle: true }),
    );
    expect(result).toEqual([
      { status: 'rejected', reason: new Error('odd 1') },
      { status: 'fulfilled', value: 2 },
    ]);
  });

  it('concurrently calls factories only when a slot is free', async () => {
    const calls: number[] = [];
    const gates = [deferred<string>(), deferred<string>(), deferred<string>()];
    const tasks = [0, 1, 2].map((i) => () => {
      calls.push(i);
      return gates[i]!.promise;
    });
    const result = lastValueFrom(concurrently(tasks, { concurrentTasks: 2 }));
    expect(calls).toEqual([0, 1]);
    gates[0]!.resolve('a');
    await tick();
    expect(calls).toEqual([0, 1, 2]);
    gates[1]!.resolve('b');
    gates[2]!.resolve('c');
    await expect(result).resolves.toEqual(['a', 'b', 'c']);
  });

  it('every fan-out function pulls async iterables of tasks or items, lazily, one per free slot', async () => {
    const read: number[] = [];
    async function* tasks(): AsyncGenerator<() => Promise<number>> {
      for (let i = 0; i < 4; i++) {
        read.push(i);
        yield () => Promise.resolve(i * 10);
      }
    }
    async function* items(): AsyncGenerator<number> {
      for (let i = 0; i < 4; i++) yield i;
    }
    await expect(lastValueFrom(concurrently(tasks(), { concurrentTasks: 2 }))).resolves.toEqual([0, 10, 20, 30]);
    expect(read).toEqual([0, 1, 2, 3]);
    await expect(lastValueFrom(concurrently(tasks(), { settle: true }))).resolves.toEqual([0, 10, 20, 30].map((value) => ({ status: 'fulfilled', value })));
    await expect(lastValueFrom(completionStream(tasks()).pipe(map((c) => c.value), toArray()))).resolves.toEqual([0, 10, 20, 30]);
    await expect(lastValueFrom(executeConcurrently((x: number) => Promise.resolve(x + 1), items()))).resolves.toEqual([1, 2, 3, 4]);
    const seen: number[] = [];
    await lastValueFrom(processConcurrently(items(), (x: number) => Promise.resolve(seen.push(x))), { defaultValue: undefined });
    expect(seen).toEqual([0, 1, 2, 3]);
    await expect(lastValueFrom(from(items()).pipe(boundedMap((x: number) => of(x * 2), 2), toArray()))).resolves.toEqual([0, 2, 4, 6]);
  });

  it('a thenable that calls back twice, and Promise subclasses, cannot disturb other items (native promises share reusable callbacks)', async () => {
    const twice = (x: number): PromiseLike<number> => ({
      then(onFulfilled) {
        setTimeout(() => {
          onFulfilled?.(x);
          onFulfilled?.(-1);
        });
        return undefined as never;
      },
    });
    class Eager<T> extends Promise<T> {}
    const project = (x: number) => (x % 3 === 0 ? twice(x) : x % 3 === 1 ? Eager.resolve(x) : Promise.resolve(x));
    const items = Array.from({ length: 30 }, (_, i) => i);
    await expect(lastValueFrom(pull(items).pipe(boundedMap(project, 4), toArray()))).resolves.toEqual(items);
    await expect(lastValueFrom(pull(items).pipe(boundedMap(project, 4, { ordered: false }), toArray()))).resolves.toHaveLength(30);
  });

  it('every fan-out function finalizes the task that decides its outcome before the consumer hears of it', () => {
    const log: string[] = [];
    const task = (name: string, value: unknown, gate: Subject<void>) => gated(name, value, gate, log);
    const run = (label: string, make: (gate: Subject<void>) => Observable<unknown>): void => runGated(log, label, make);
    run('concurrently', (gate) => concurrently([task('a', 1, gate)]));
    run('failing', (gate) => concurrently([task('b', new Error('x'), gate)]));
    run('completionStream', (gate) => completionStream([task('c', 1, gate)]));
    run('executeConcurrently', (gate) => executeConcurrently(() => task('d', 1, gate), [0]));
    expect(log).toEqual([
      'a finalized', 'concurrently value', 'concurrently complete',
      'b finalized', 'failing error',
      'c finalized', 'completionStream value', 'completionStream complete',
      'd finalized', 'executeConcurrently value', 'executeConcurrently complete',
    ]);
  });

  it('concurrently: a task completing empty errors naming its index', async () => {
    await expect(lastValueFrom(concurrently([of(1), EMPTY]))).rejects.toEqual(new EmptyTaskError(1));
    await expect(lastValueFrom(concurrently([of(1), EMPTY]))).rejects.toThrow('Expected task 1 to emit a value');
  });

  it('completionStream: settle never errors; take(1) aborts the losers’ signals', async () => {
    const signals: AbortSignal[] = [];
    const first = await lastValueFrom(
      completionStream([
        (ctx: TaskContext) => (signals.push(ctx.signal), timer(50).pipe(map(() => 'slow'))),
        (ctx: TaskContext) => (signals.push(ctx.signal), Promise.resolve('fast')),
      ]).pipe(take(1)),
    );
    expect(first).toEqual({ index: 1, value: 'fast' });
    expect(signals.map((s) => s.aborted)).toEqual([true, false]);
    const settled = await lastValueFrom(completionStream([Promise.reject('no'), Promise.resolve('yes')], { settle: true }).pipe(toArray()));
    expect(settled).toEqual(
      expect.arrayContaining([
        { index: 0, status: 'rejected', reason: 'no' },
        { index: 1, status: 'fulfilled', value: 'yes' },
      ]),
    );
  });

  it('processConcurrently: default onError is console.error; a throwing onError errors the output', async () => {
    const spy = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      await lastValueFrom(processConcurrently([1], () => throwError(() => 'logged'), { ignoreErrors: true }), { defaultValue: null });
      expect(spy).toHaveBeenCalledWith('logged');
    } finally {
      spy.mockRestore();
    }
    const broken = new Error('onError broke');
    await expect(
      lastValueFrom(
        processConcurrently([1, 2], () => throwError(() => 'x'), {
          ignoreErrors: true,
          onError: () => {
            throw broken;
          },
        }),
      ),
    ).rejects.toBe(broken);
  });

  it('processConcurrently: a source error propagates even with ignoreErrors', async () => {
    await expect(
      lastValueFrom(processConcurrently(throwError(() => 'source broke'), () => of(1), { ignoreErrors: true })),
    ).rejects.toBe('source broke');
  });
});

describe('bad input is rejected when the operator is created', () => {
  it.each([0, -1, 1.5, NaN, '2', null])('limit %p → RangeError naming it and the value', (limit) => {
    expect(() => boundedMap((x) => of(x), limit as number)).toThrow(RangeError);
    expect(() => boundedMap((x) => of(x), limit as number)).toThrow(/Expected `limit` to be an integer from 1 and up or `Infinity`(, an Observable of such numbers, or a CapacityLimiter)?, got `/);
    expect(() => executeConcurrently((x) => of(x), [], { concurrentTasks: limit as number })).toThrow(/`options.concurrentTasks`/);
    expect(() => processConcurrently([], (x) => of(x), { concurrentTasks: limit as number })).toThrow(/`options.concurrentTasks`/);
    expect(() => concurrently([], { concurrentTasks: limit as number })).toThrow(/`options.concurrentTasks`/);
    expect(() => completionStream([], { limit: limit as number })).toThrow(/`options.limit`/);
  });

  it('non-function project or handler → TypeError', () => {
    expect(() => boundedMap('nope' as never, 2)).toThrow(new TypeError('Expected `project` to be a function, got `"nope"` (string)'));
    expect(() => executeConcurrently(null as never, [])).toThrow(TypeError);
    expect(() => processConcurrently([], 1 as never)).toThrow(TypeError);
    expect(() => processConcurrently([], () => EMPTY, { onError: 'log' as never })).toThrow(/`options.onError`/);
  });

  it('bad options → TypeError naming the option', () => {
    expect(() => boundedMap((x) => of(x), 2, { ordered: 'yes' as never })).toThrow(/`options.ordered` to be a boolean/);
    expect(() => boundedMap((x) => of(x), 2, { order: true } as never)).toThrow(/Unknown option `options.order`; expected one of `ordered`, `settle`/);
    expect(() => boundedMap((x) => of(x), 2, 5 as never)).toThrow(/`options` to be an object/);
    expect(() => pull(42 as never)).toThrow(/Expected `source` to be an Iterable, an AsyncIterable or a function/);
    expect(() => concurrently(5 as never)).toThrow(/Expected `tasks` to be an Iterable/);
  });

  it('boundedMap window: an integer from limit and up, or Infinity', () => {
    expect(() => boundedMap((x) => of(x), 4, { window: 3 })).toThrow(new RangeError('Expected `options.window` to be an integer from 4 and up or `Infinity`, got `3` (number)'));
    expect(() => boundedMap((x) => of(x), 4, { window: 4.5 })).toThrow(RangeError);
    expect(() => boundedMap((x) => of(x), 4, { window: '8' as never })).toThrow(/`options.window`/);
    expect(() => boundedMap((x) => of(x), 4, { window: 4 })).not.toThrow();
    expect(() => boundedMap((x) => of(x), 4, { window: Infinity, ordered: true })).not.toThrow();
  });

  it('Infinity is allowed as a limit', () => {
    expect(() => boundedMap((x) => of(x), Infinity)).not.toThrow();
  });
});

describe('invariants (fast-check, virtual time)', () => {
  /** One random run: items with durations (0 = a synchronous inner), a limit, and maybe a failure or an early unsubscribe. */
  const runArb = fc.record({
    durations: fc.array(fc.integer({ min: 0, max: 8 }), { maxLength: 25 }),
    limit: fc.integer({ min: 1, max: 5 }),
    ordered: fc.boolean(),
    failAt: fc.option(fc.nat({ max: 30 }), { nil: undefined }),
    stopAt: fc.option(fc.nat({ max: 40 }), { nil: undefined }),
    lazy: fc.boolean(),
  });

  it('never more than limit in flight; every input accounted for once; order kept when promised; nothing left after teardown', () => {
    fc.assert(
      fc.property(runArb, ({ durations, limit, ordered, failAt, stopAt, lazy }) => {
        const scheduler = new VirtualTimeScheduler();
        let inFlight = 0;
        let most = 0;
        const startedAfterTeardown: number[] = [];
        let tornDown = false;
        const out: number[] = [];
        let error: unknown;
        let completed = false;
        const inner = (i: number) =>
          defer(() => {
            if (tornDown) startedAfterTeardown.push(i);
            inFlight++;
            most = Math.max(most, inFlight);
            const d = durations[i]!;
            const body = i === failAt ? throwError(() => `fail ${i}`) : d === 0 ? of(i) : timer(d, scheduler).pipe(map(() => i));
            return body.pipe(finalize(() => inFlight--));
          });
        const indices = durations.map((_, i) => i);
        const source = lazy ? pull(indices) : from(indices);
        const subscription = source.pipe(boundedMap(inner, limit, { ordered })).subscribe({
          next: (v) => out.push(v),
          error: (e) => (error = e),
          complete: () => (completed = true),
        });
        if (stopAt !== undefined) {
          scheduler.schedule(() => {
            subscription.unsubscribe();
            tornDown = true;
            expect(inFlight).toBe(0);
            // Cancelled timers leave the virtual scheduler's queue: nothing is left scheduled.
            expect(scheduler.actions).toHaveLength(0);
          }, stopAt);
        }
        scheduler.flush();

        expect(most).toBeLessThanOrEqual(limit);
        expect(inFlight).toBe(0);
        expect(startedAfterTeardown).toEqual([]);
        // Each index at most once; with no failure and no stop, each exactly once.
        expect(new Set(out).size).toBe(out.length);
        const failed = failAt !== undefined && failAt < durations.length;
        if (!failed && !tornDown) {
          expect(completed).toBe(true);
          expect([...out].sort((a, b) => a - b)).toEqual(indices);
        }
        if (failed && !completed && error === undefined) expect(tornDown).toBe(true);
        if (error !== undefined) expect(error).toBe(`fail ${failAt}`);
        // Ordered output is always a prefix of input order.
        if (ordered) expect(out).toEqual(indices.slice(0, out.length));
      }),
      { numRuns: 300 },
    );
  });

  it('settle gives exactly one outcome per input, in input order', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.boolean())), fc.integer({ min: 1, max: 4 }), (items, limit) => {
        const scheduler = new VirtualTimeScheduler();
        const out: unknown[] = [];
        from(items.map((_, i) => i))
          .pipe(
            boundedMap(
              (i) => {
                const [d, fails] = items[i]!;
                const body = fails ? throwError(() => i) : of(i);
                return d === 0 ? body : timer(d, scheduler).pipe(concatMap(() => body));
              },
              limit,
              { settle: true },
            ),
          )
          .subscribe((s) => out.push(s));
        scheduler.flush();
        expect(out).toEqual(items.map(([, fails], i) => (fails ? { status: 'rejected', reason: i } : { status: 'fulfilled', value: i })));
      }),
      { numRuns: 200 },
    );
  });
});
