import { EMPTY, NEVER, Observable, Subject, firstValueFrom, interval, lastValueFrom, map, of, take, throwError, timer, type ObservableInput } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { EmptyTaskError } from '../lib/errors';
import * as api from '../lib/index';
import { firstSuccess } from '../lib/combinators/firstSuccess';
import { firstToFinish } from '../lib/combinators/firstToFinish';
import { gather } from '../lib/combinators/gather';
import { streamConcurrently } from '../lib/combinators/streamConcurrently';
import { streamConcurrentlyWith } from '../lib/combinators/streamConcurrentlyWith';
import type { TaskContext } from '../lib/types';
import { countAbortControllers } from './support/abort';
import { gated, runGated } from './support/gated';

/** Collects what an Observable does synchronously on subscribe. */
function runSync<T>(source: Observable<T>): { values: T[]; error?: unknown; completed: boolean } {
  const result: { values: T[]; error?: unknown; completed: boolean } = { values: [], completed: false };
  source.subscribe({
    next: (value) => result.values.push(value),
    error: (error: unknown) => (result.error = error),
    complete: () => (result.completed = true),
  });
  return result;
}

/** A factory task that records its signal and never finishes unless `finish` is given. */
function spyTask<T>(finish?: () => ObservableInput<T>): { task: (ctx: TaskContext) => ObservableInput<T>; signals: AbortSignal[]; calls: number } {
  const spy = {
    signals: [] as AbortSignal[],
    calls: 0,
    task: (ctx: TaskContext): ObservableInput<T> => {
      spy.calls++;
      spy.signals.push(ctx.signal);
      return finish ? finish() : NEVER;
    },
  };
  return spy;
}

/** An instrumented, bounded generator: counts how many items were read. */
function counted(limit = 100_000): { items: Iterable<number>; read: () => number } {
  let read = 0;
  return {
    items: (function* () {
      while (read < limit) yield ++read;
    })(),
    read: () => read,
  };
}

const delay = <T>(ms: number, value: T): Promise<T> => new Promise((resolve) => setTimeout(resolve, ms, value));
const fail = (ms: number, error: unknown): Promise<never> => new Promise((_, reject) => setTimeout(reject, ms, error));

describe('exports', () => {
  it('lib/index exports every combinator', () => {
    expect(api.streamConcurrently).toBe(streamConcurrently);
    expect(api.streamConcurrentlyWith).toBe(streamConcurrentlyWith);
    expect(api.gather).toBe(gather);
    expect(api.firstToFinish).toBe(firstToFinish);
    expect(api.firstSuccess).toBe(firstSuccess);
  });
});

describe('synchronous inners', () => {
  it('streamConcurrently: a synchronous source completing first ends the output before later sources start', () => {
    const later = spyTask<number>();
    expect(runSync(streamConcurrently(of(1, 2), later.task))).toEqual({ values: [1, 2], completed: true });
    expect(later.calls).toBe(0);
  });

  it('streamConcurrently exhaustive: synchronous sources are emitted in order, then it completes', () => {
    expect(runSync(streamConcurrently(of(1, 2), [3], EMPTY, { exhaustive: true }))).toEqual({ values: [1, 2, 3], completed: true });
  });

  it('a synchronous source decides the outcome after an earlier task started: that task is torn down and aborted', () => {
    const started = spyTask<number>();
    expect(runSync(streamConcurrently(started.task, of(1)))).toEqual({ values: [1], completed: true });
    expect(started.signals[0]!.aborted).toBe(true);

    const sibling = spyTask<number>();
    const result = runSync(gather(sibling.task, EMPTY));
    expect(result.error).toEqual(new EmptyTaskError(1));
    expect(sibling.signals[0]!.aborted).toBe(true);
  });

  it('a synchronous iterable stops being read once the output closes, even before subscribe() returns', () => {
    const gen = counted();
    expect(runSync(streamConcurrently(gen.items, NEVER).pipe(take(3)))).toEqual({ values: [1, 2, 3], completed: true });
    expect(gen.read()).toBe(3);

    const winner = counted();
    const loser = counted();
    // firstToFinish: `[0]` finishes first (synchronously); the generator after it is never read.
    expect(runSync(firstToFinish([0], loser.items))).toEqual({ values: [0], completed: true });
    expect(loser.read()).toBe(0);
    // gather: the generator is read to its end (its last value), synchronously.
    expect(runSync(gather(winner.items, of('x')))).toEqual({ values: [[100_000, 'x']], completed: true });
  });

  // taskToObservable subscribes the factory's input with the consumer's own subscriber, so a
  // synchronous iterable returned by a factory stops being read as soon as the output closes.
  it('a synchronous iterable returned by a factory stops being read once the output closes', () => {
    const gen = counted();
    expect(runSync(streamConcurrently(() => gen.items, NEVER).pipe(take(3)))).toEqual({ values: [1, 2, 3], completed: true });
    expect(gen.read()).toBe(3);
  });

  it('gather: synchronous tasks, arrays and a synchronous failure that stops later factories', () => {
    expect(runSync(gather(of(1), [2, 3], of('a')))).toEqual({ values: [[1, 3, 'a']], completed: true });
    const later = spyTask<number>();
    const boom = new Error('boom');
    expect(runSync(gather(of(1), throwError(() => boom), later.task))).toEqual({ values: [], error: boom, completed: false });
    expect(later.calls).toBe(0);
  });

  it('firstToFinish and firstSuccess: a synchronous winner means later factories are never called', () => {
    const later = spyTask<number>();
    expect(runSync(firstToFinish(of(1), later.task))).toEqual({ values: [1], completed: true });
    expect(runSync(firstSuccess(throwError(() => 'no'), of(2), later.task))).toEqual({ values: [2], completed: true });
    expect(later.calls).toBe(0);
  });

  it('a consumer unsubscribing inside next (take) stops the rest', () => {
    const later = spyTask<number>();
    expect(runSync(streamConcurrently(of(1, 2, 3), later.task).pipe(take(1)))).toEqual({ values: [1], completed: true });
    expect(later.calls).toBe(0);
  });
});

describe('promises', () => {
  it('gather: results in input order whatever the finishing order', async () => {
    await expect(firstValueFrom(gather(delay(30, 'slow'), delay(1, 'fast'), Promise.resolve(3)))).resolves.toEqual(['slow', 'fast', 3]);
    await expect(firstValueFrom(gather({ a: delay(20, 1), b: Promise.resolve('b'), c: () => delay(1, true) }))).resolves.toEqual({
      a: 1,
      b: 'b',
      c: true,
    });
  });

  it('gather: the first rejection errors the output with that very error', async () => {
    const boom = new Error('boom');
    await expect(lastValueFrom(gather(delay(50, 1), fail(1, boom)))).rejects.toBe(boom);
  });

  it('gather settle: Promise.allSettled shapes', async () => {
    const boom = new Error('boom');
    await expect(firstValueFrom(gather(Promise.resolve(1), Promise.reject(boom), { settle: true }))).resolves.toEqual([
      { status: 'fulfilled', value: 1 },
      { status: 'rejected', reason: boom },
    ]);
  });

  it('firstToFinish: the first promise to settle, fulfilled or rejected', async () => {
    await expect(firstValueFrom(firstToFinish(delay(40, 'slow'), delay(1, 'fast')))).resolves.toBe('fast');
    await expect(firstValueFrom(firstToFinish(delay(40, 'slow'), fail(1, 'nope')))).rejects.toBe('nope');
  });

  it('firstSuccess: the first fulfilled; AggregateError in input order when all reject', async () => {
    await expect(firstValueFrom(firstSuccess(Promise.reject(new Error('a')), delay(5, 2)))).resolves.toBe(2);
    const error: unknown = await firstValueFrom(firstSuccess(fail(20, 'first'), fail(1, 'second'))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AggregateError);
    expect((error as AggregateError).errors).toEqual(['first', 'second']);
    expect((error as AggregateError).message).toBe('All 2 tasks failed');
  });
});

describe('factory tasks and ctx.signal', () => {
  it('factories are called on each subscription, not when the combinator is called', async () => {
    let calls = 0;
    const task = () => {
      calls++;
      return Promise.resolve(calls);
    };
    const gathered = gather(task, task);
    expect(calls).toBe(0);
    await expect(firstValueFrom(gathered)).resolves.toEqual([1, 2]);
    await expect(firstValueFrom(gathered)).resolves.toEqual([3, 4]);
  });

  it('firstToFinish: losers\' signals abort when the winner finishes; the winner\'s does not', async () => {
    const signals: Record<string, AbortSignal> = {};
    const task = (name: string, ms: number) => (ctx: TaskContext) => {
      signals[name] = ctx.signal;
      return delay(ms, name);
    };
    await expect(firstValueFrom(firstToFinish(task('slow', 50), task('fast', 1), task('slower', 80)))).resolves.toBe('fast');
    expect(signals['fast']!.aborted).toBe(false);
    expect(signals['slow']!.aborted).toBe(true);
    expect(signals['slower']!.aborted).toBe(true);
    expect((signals['slow']!.reason as Error).name).toBe('AbortError');
  });

  it('gather: a failure aborts every sibling still running, not the ones that finished', async () => {
    const done = spyTask(() => Promise.resolve('done'));
    const pending = spyTask<string>();
    const boom = new Error('boom');
    await expect(lastValueFrom(gather(done.task, pending.task, () => fail(5, boom)))).rejects.toBe(boom);
    expect(done.signals[0]!.aborted).toBe(false);
    expect(pending.signals[0]!.aborted).toBe(true);
  });

  it('firstSuccess: the rest are aborted once one succeeds', async () => {
    const pending = spyTask<string>();
    await expect(firstValueFrom(firstSuccess(() => fail(1, 'x'), () => delay(3, 'ok'), pending.task))).resolves.toBe('ok');
    expect(pending.signals[0]!.aborted).toBe(true);
  });

  it('streamConcurrently: when one source completes the others are aborted; the consumer unsubscribing aborts all', async () => {
    const other = spyTask<string>();
    await expect(lastValueFrom(streamConcurrently(() => delay(2, 'x'), other.task))).resolves.toBe('x');
    expect(other.signals[0]!.aborted).toBe(true);

    const a = spyTask<string>();
    const b = spyTask<string>();
    const subscription = of(0).pipe(streamConcurrentlyWith(a.task, b.task, { exhaustive: true })).subscribe();
    expect(a.signals[0]!.aborted || b.signals[0]!.aborted).toBe(false);
    subscription.unsubscribe();
    expect([a.signals[0]!.aborted, b.signals[0]!.aborted]).toEqual([true, true]);
  });

  it('no AbortController is created when no task reads its signal, even when tasks are cancelled', async () => {
    const count = countAbortControllers();
    try {
      await firstValueFrom(firstToFinish(() => delay(1, 1), () => delay(30, 2), NEVER));
      await firstValueFrom(gather(() => Promise.resolve(1), of(2)));
      gather(() => NEVER, () => NEVER).subscribe().unsubscribe();
      streamConcurrently(() => NEVER, of(1)).subscribe();
      expect(count.created).toBe(0);
    } finally {
      count.restore();
    }
  });

  it('a factory that throws is that task\'s failure', async () => {
    const boom = new Error('thrown');
    const throwing = (): Observable<number> => {
      throw boom;
    };
    const sibling = spyTask<number>();
    expect(runSync(gather(sibling.task, throwing)).error).toBe(boom);
    expect(sibling.signals[0]!.aborted).toBe(true);
    expect(runSync(gather(throwing, of(1), { settle: true })).values).toEqual([
      [{ status: 'rejected', reason: boom }, { status: 'fulfilled', value: 1 }],
    ]);
    expect(runSync(firstToFinish(throwing, of(1))).error).toBe(boom);
    expect(runSync(firstSuccess(throwing, of(1))).values).toEqual([1]);
    expect(runSync(streamConcurrently(of(1), throwing, { exhaustive: true }))).toEqual({ values: [1], error: boom, completed: false });
  });

  it('re-entrancy: a consumer that makes sources emit and complete from inside next', () => {
    const a = new Subject<string>();
    const b = new Subject<string>();
    const seen: string[] = [];
    let completed = false;
    streamConcurrently(a, b).subscribe({
      next: (value) => {
        seen.push(value);
        if (value === 'a1') {
          b.next('b1');
          a.complete();
          b.next('b2');
        }
      },
      complete: () => (completed = true),
    });
    a.next('a1');
    expect(seen).toEqual(['a1', 'b1']);
    expect(completed).toBe(true);
    expect([a.observed, b.observed]).toEqual([false, false]);
  });

  it('re-entrancy: a loser the consumer makes finish from inside next was already unsubscribed: one outcome only', () => {
    for (const combine of [firstToFinish, firstSuccess]) {
      const a = new Subject<string>();
      const b = new Subject<string>();
      const seen: string[] = [];
      combine(a, b).subscribe({
        next: (value) => {
          seen.push(value, `b observed: ${b.observed}`);
          b.next('b');
          b.complete();
        },
        complete: () => seen.push('complete'),
      });
      a.next('a');
      a.complete();
      expect(seen).toEqual(['a', 'b observed: false', 'complete']);
    }
  });

  it('the rest are unsubscribed and their signals aborted before the consumer hears the outcome', () => {
    const boom = new Error('boom');
    const cases: [string, (loser: (ctx: TaskContext) => ObservableInput<string>, decider: Subject<string>) => Observable<unknown>, (d: Subject<string>) => void][] = [
      ['firstToFinish value', (l, d) => firstToFinish(l, d), (d) => (d.next('x'), d.complete())],
      ['firstToFinish error', (l, d) => firstToFinish(l, d), (d) => d.error(boom)],
      ['firstSuccess', (l, d) => firstSuccess(l, d), (d) => (d.next('x'), d.complete())],
      ['gather error', (l, d) => gather(l, d), (d) => d.error(boom)],
      ['streamConcurrently complete', (l, d) => streamConcurrently(l, d), (d) => d.complete()],
      ['streamConcurrently error', (l, d) => streamConcurrently(l, d, { exhaustive: true }), (d) => d.error(boom)],
    ];
    for (const [name, combine, decide] of cases) {
      const loser = spyTask<string>();
      const decider = new Subject<string>();
      const heard: string[] = [];
      const check = (what: string) => () => heard.push(`${name}: ${what}, loser aborted ${loser.signals[0]!.aborted}`);
      combine(loser.task, decider).subscribe({ next: check('next'), error: check('error'), complete: check('complete') });
      decide(decider);
      expect(heard.length).toBeGreaterThan(0);
      for (const line of heard) expect(line).toMatch(/loser aborted true$/);
    }
  });

  it('re-entrancy: an abort listener that unsubscribes the output does not stop the other siblings being aborted', () => {
    const first = spyTask<string>();
    const later = [spyTask<string>(), spyTask<string>()];
    const failing = new Subject<string>();
    let subscription: { unsubscribe(): void } | undefined;
    subscription = gather(
      (ctx: TaskContext) => {
        ctx.signal.addEventListener('abort', () => subscription?.unsubscribe());
        return first.task(ctx);
      },
      later[0]!.task,
      later[1]!.task,
      failing,
    ).subscribe({ error: () => undefined });
    failing.error(new Error('boom'));
    expect(first.signals[0]!.aborted).toBe(true);
    expect(later.map((t) => t.signals[0]!.aborted)).toEqual([true, true]);
  });

  it('re-entrancy: resubscribing from inside a result starts a fresh, independent run', () => {
    let runs = 0;
    const source = gather(() => of(++runs));
    const seen: unknown[] = [];
    source.subscribe((first) => {
      seen.push(first);
      source.subscribe((second) => seen.push(second));
    });
    expect(seen).toEqual([[1], [2]]);
  });
});

describe('gather with errors: "all"', () => {
  const failure = async (p: Promise<unknown>): Promise<unknown[]> => {
    const error: unknown = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AggregateError);
    return (error as AggregateError).errors;
  };

  it('synchronous failures: every task still starts, and each failure of that turn is in the error, in input order', async () => {
    const e1 = new Error('one');
    const e2 = new Error('two');
    let signal: AbortSignal | undefined;
    const p = lastValueFrom(gather(throwError(() => e1), (ctx: TaskContext) => ((signal = ctx.signal), NEVER), throwError(() => e2), { errors: 'all' }));
    expect(signal!.aborted).toBe(false); // cancelled at the end of the turn
    expect(await failure(p)).toEqual([e1, e2]);
    expect(signal!.aborted).toBe(true);
  });

  it('promises rejected in the same turn are reported together; a task that fails after the teardown is not', async () => {
    const e1 = new Error('one');
    const e2 = new Error('two');
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const p = lastValueFrom(
      gather(
        () => gate.then(() => Promise.reject(e2)),
        () => gate.then(() => Promise.reject(e1)),
        () => timer(5).pipe(map(() => { throw new Error('late'); })),
        { errors: 'all' },
      ),
    );
    release();
    expect(await failure(p)).toEqual([e2, e1]);
  });

  it('no failure: the same result as errors: "first"; an unsubscribed gather reports nothing and leaves nothing scheduled', async () => {
    await expect(lastValueFrom(gather(of(1), Promise.resolve(2), { errors: 'all' }))).resolves.toEqual([1, 2]);
    const seen: unknown[] = [];
    const sub = gather(throwError(() => new Error('x')), NEVER, { errors: 'all' }).subscribe({ error: (e: unknown) => seen.push(e) });
    sub.unsubscribe();
    await Promise.resolve();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(seen).toEqual([]);
  });

  it('every task ending in the same synchronous turn, one failing: the AggregateError comes at once, not a result', () => {
    const e = new Error('sync');
    const result = runSync(gather(throwError(() => e), of(1), { errors: 'all' }));
    expect(result.values).toEqual([]);
    expect(result.completed).toBe(false);
    expect(result.error).toBeInstanceOf(AggregateError);
    expect((result.error as AggregateError).errors).toEqual([e]);
  });

  it('no tasks (object form; gather({ errors: "all" }) alone is one task named errors): emits {} and completes', () => {
    expect(runSync(gather({}, { errors: 'all' }))).toEqual({ values: [{}], completed: true });
  });
});

describe('bad input throws when the function is called', () => {
  const task = 'a task (an Observable, Promise, array, iterable, async iterable, or a function returning one)';

  it('gather given a class instance (not a plain object of tasks): TypeError naming it', () => {
    expect(() => gather(new Date(0) as never)).toThrow(TypeError);
    expect(() => gather(new Date(0) as never)).toThrow(/plain object of tasks.*\(a Date\)/);
    expect(() => gather(Object.create(null) as never)).not.toThrow();
  });

  it('gather given an object whose prototype has no constructor: TypeError calling it a class instance', () => {
    const bare = Object.create(Object.create(null) as object) as never;
    expect(() => gather(bare)).toThrow(TypeError);
    expect(() => gather(bare)).toThrow(/plain object of tasks.*\(a class instance\)$/);
  });

  it('no tasks for firstToFinish, firstSuccess or streamConcurrently: RangeError', () => {
    expect(() => firstToFinish()).toThrow(new RangeError('Expected `tasks` to hold at least 1 task, got 0'));
    expect(() => firstSuccess()).toThrow(new RangeError('Expected `tasks` to hold at least 1 task, got 0'));
    expect(() => streamConcurrently()).toThrow(new RangeError('Expected `sources` to hold at least 1 task, got 0'));
    expect(() => streamConcurrently({ exhaustive: true })).toThrow(RangeError);
  });

  it('something that is not a task: TypeError naming its position and the value', () => {
    // @ts-expect-error 5 is not a task
    expect(() => gather(of(1), 5)).toThrow(new TypeError(`Expected \`tasks[1]\` to be ${task}, or (last) an options object, got \`5\` (number)`));
    // @ts-expect-error null is not a task
    expect(() => firstToFinish(of(1), null)).toThrow(new TypeError(`Expected \`tasks[1]\` to be ${task}, got \`null\` (null)`));
    // @ts-expect-error firstSuccess takes no options
    expect(() => firstSuccess(of(1), {})).toThrow(/`tasks\[1\]`.*got `\{\}` \(object\)/);
    // @ts-expect-error undefined is not a source
    expect(() => streamConcurrently(of(1), undefined)).toThrow(/`sources\[1\]`.*got `undefined` \(undefined\)/);
    // @ts-expect-error 5 is not a source
    expect(() => streamConcurrentlyWith(5)).toThrow(/`others\[0\]`.*got `5` \(number\)/);
    // @ts-expect-error options must come last
    expect(() => gather(of(1), { settle: true }, of(2))).toThrow(/`tasks\[1\]`/);
  });

  it('object form: each value must be a task, options must be an object, at most two arguments', () => {
    // @ts-expect-error 42 is not a task
    expect(() => gather({ a: of(1), b: 42 })).toThrow(new TypeError(`Expected \`tasks.b\` to be ${task}, got \`42\` (number)`));
    // @ts-expect-error null is not a task
    expect(() => gather({ 'odd key': null })).toThrow(/`tasks\["odd key"\]`/);
    // @ts-expect-error null is not a task
    expect(() => gather({ user2: null })).toThrow(/`tasks\.user2` to be/);
    // @ts-expect-error null is not a task
    expect(() => gather({ $a_b: null })).toThrow(/`tasks\.\$a_b` to be/);
    // @ts-expect-error null is not a task
    expect(() => gather({ '2a': null })).toThrow(/`tasks\["2a"\]` to be/);
    // @ts-expect-error options must be an object
    expect(() => gather({ a: of(1) }, 5)).toThrow(new TypeError('Expected `options` to be an object, got `5` (number)'));
    // @ts-expect-error at most two arguments
    expect(() => gather({ a: of(1) }, {}, {})).toThrow(/at most 2 arguments, got 3/);
  });

  it('options of the wrong type: TypeError naming the option', () => {
    // @ts-expect-error settle is a boolean
    expect(() => gather(of(1), { settle: 'yes' })).toThrow(new TypeError('Expected `options.settle` to be a boolean, got `"yes"` (string)'));
    expect(() => gather(of(1), { errors: 'each' } as never)).toThrow(new TypeError('Expected `options.errors` to be one of `"first"`, `"all"`, got `"each"` (string)'));
    expect(() => gather({ a: of(1) }, { errors: 1 } as never)).toThrow(/`options.errors` to be one of.*`1` \(number\)/);
    // @ts-expect-error exhaustive is a boolean
    expect(() => streamConcurrently(of(1), { exhaustive: 1 })).toThrow(/`options.exhaustive`.*boolean.*`1` \(number\)/);
    // @ts-expect-error exhaustive is a boolean
    expect(() => streamConcurrentlyWith({ exhaustive: 'no' })).toThrow(/`options.exhaustive`/);
  });

  it('a misspelt option key is refused, naming the known ones', () => {
    const known = /Unknown option `options\.(settel|exhaustiv)`; expected one of `(settle|exhaustive)`/;
    expect(() => gather(of(1), { settel: true } as never)).toThrow(known);
    expect(() => gather({ a: of(1) }, { settel: true } as never)).toThrow(known);
    expect(() => streamConcurrently(of(1), { exhaustiv: true } as never)).toThrow(known);
    expect(() => streamConcurrentlyWith(of(1), { exhaustiv: true } as never)).toThrow(known);
  });
});

describe('nothing left scheduled', () => {
  const live = (ts: TestScheduler): number => ts.actions.filter((action) => !action.closed).length;
  const cases: [string, (ts: TestScheduler) => Observable<unknown>][] = [
    ['gather', (ts) => gather(timer(5, ts), timer(10, ts).pipe(map(() => { throw new Error('x'); })), timer(20, ts), interval(1, ts))],
    ['firstToFinish', (ts) => firstToFinish(timer(20, ts), timer(10, ts), interval(1, ts))],
    ['firstSuccess', (ts) => firstSuccess(timer(10, ts), timer(20, ts), interval(1, ts))],
    ['streamConcurrently', (ts) => streamConcurrently(interval(1, ts), timer(10, ts), timer(20, ts))],
  ];

  it.each(cases)('%s: once the outcome is decided, no timer of a task stays in the scheduler queue', (_name, make) => {
    const ts = new TestScheduler(() => undefined);
    let decidedAt = -1;
    make(ts).subscribe({ error: () => (decidedAt = ts.now()), complete: () => (decidedAt = ts.now()) });
    expect(live(ts)).toBeGreaterThan(0);
    ts.flush();
    expect(decidedAt).toBe(10);
    expect(live(ts)).toBe(0);
  });

  it.each(cases)('%s: the consumer unsubscribing empties the scheduler queue', (_name, make) => {
    const ts = new TestScheduler(() => undefined);
    const subscription = make(ts).subscribe({ error: () => undefined });
    expect(live(ts)).toBeGreaterThanOrEqual(3);
    subscription.unsubscribe();
    expect(live(ts)).toBe(0);
  });
});

describe('the deciding task is finalized before the consumer hears the outcome, whatever its form', () => {
  const forms = {
    'a plain Observable': (o: Observable<unknown>) => o,
    'a factory': (o: Observable<unknown>) => () => o,
  };
  for (const [form, as] of Object.entries(forms)) {
    it(`${form}: gather, firstToFinish, firstSuccess, streamConcurrently`, () => {
      const log: string[] = [];
      const run = (label: string, make: (gate: Subject<void>) => Observable<unknown>): void => runGated(log, label, make);
      const t = (name: string, value: unknown, gate: Subject<void>) => as(gated(name, value, gate, log));
      run('gather', (gate) => gather(t('g', 1, gate)));
      run('gather failing', (gate) => gather(t('gf', new Error('x'), gate)));
      run('gather settle', (gate) => gather(t('gs', 1, gate), { settle: true }));
      run('firstToFinish', (gate) => firstToFinish(t('f', 1, gate)));
      run('firstSuccess', (gate) => firstSuccess(t('s', 1, gate)));
      run('streamConcurrently', (gate) => streamConcurrently(t('m', 1, gate)));
      expect(log).toEqual([
        'g finalized', 'gather value', 'gather complete',
        'gf finalized', 'gather failing error',
        'gs finalized', 'gather settle value', 'gather settle complete',
        'f finalized', 'firstToFinish value', 'firstToFinish complete',
        's finalized', 'firstSuccess value', 'firstSuccess complete',
        'streamConcurrently value', 'm finalized', 'streamConcurrently complete',
      ]);
    });
  }
});
