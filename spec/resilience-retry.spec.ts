import { Observable, defer, lastValueFrom, of, take, throwError, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { DeadlineError } from '../lib/errors';
import { backoffDelay, retryBackoff } from '../lib/resilience/retryBackoff';

/** A source whose subscription number n (1-based) runs `attempt(n)`. */
function attempts<T>(attempt: (n: number) => Observable<T>): { source: Observable<T>; count: () => number } {
  let n = 0;
  return { source: defer(() => attempt(++n)), count: () => n };
}

/** Runs `body` in a TestScheduler run and returns what the output did, with frames. */
function record<T>(make: (ts: TestScheduler) => Observable<T>): { events: string[]; error: unknown } {
  const ts = new TestScheduler((a, e) => expect(a).toEqual(e));
  const events: string[] = [];
  let error: unknown = undefined;
  ts.run(() => {
    make(ts).subscribe({
      next: (v) => events.push(`${ts.now()}:${String(v)}`),
      error: (e: unknown) => {
        error = e;
        events.push(`${ts.now()}:error`);
      },
      complete: () => events.push(`${ts.now()}:complete`),
    });
  });
  return { events, error };
}

describe('retryBackoff: options are validated at creation', () => {
  it.each([
    [{ attempts: 0 }, /`options.attempts`.*integer from 1 and up or `Infinity`.*`0`/],
    [{ attempts: 1.5 }, /`options.attempts`.*`1.5`/],
    [{ attempts: NaN }, /`options.attempts`/],
    [{ baseDelay: -1 }, /`options.baseDelay`.*from 0 and up.*`-1`/],
    [{ maxDelay: Infinity }, /`options.maxDelay`.*finite/],
    [{ jitter: -0.1 }, /`options.jitter`.*`-0.1`/],
    [{ deadline: -5 }, /`options.deadline`.*`-5`/],
    [{ deadline: new Date(NaN) }, /`options.deadline`.*Invalid Date/],
  ])('%p → RangeError', (options, message) => {
    expect(() => retryBackoff(options as never)).toThrow(RangeError);
    expect(() => retryBackoff(options as never)).toThrow(message);
  });

  it.each([
    [{ retryOn: 'TypeError' }, /`options.retryOn`.*an error class, an array of error classes or a predicate/],
    [{ retryOn: [TypeError, 'x'] }, /`options.retryOn`/],
    [{ onRetry: 1 }, /`options.onRetry`.*function/],
    [{ random: 0.5 }, /`options.random`.*function/],
    [{ resetOnSuccess: 'yes' }, /`options.resetOnSuccess`.*boolean/],
    [{ deadline: '10' }, /`options.deadline`.*Date or a number/],
    [{ atempts: 5 }, /Unknown option `options.atempts`; expected one of `attempts`, `baseDelay`/],
  ])('%p → TypeError', (options, message) => {
    expect(() => retryBackoff(options as never)).toThrow(TypeError);
    expect(() => retryBackoff(options as never)).toThrow(message);
  });

  it('an empty retryOn list → RangeError (it would never retry)', () => {
    expect(() => retryBackoff({ retryOn: [] })).toThrow(RangeError);
    expect(() => retryBackoff({ retryOn: [] })).toThrow(/`options.retryOn` to list at least one error class/);
  });

  it.each([null, 5, 'fast', [1]])('options %p that is not an object → TypeError naming `options`', (bad) => {
    expect(() => retryBackoff(bad as never)).toThrow(TypeError);
    expect(() => retryBackoff(bad as never)).toThrow(/`options`.*an object.*got/);
  });

  it('a scheduler that is not one → TypeError naming `scheduler`, at creation', () => {
    for (const bad of [5, null, {}, { now: () => 0 }]) {
      expect(() => retryBackoff({ scheduler: bad as never })).toThrow(TypeError);
      expect(() => retryBackoff({ scheduler: bad as never })).toThrow(/`options.scheduler`.*now\(\).*schedule\(\).*got/);
    }
  });

  it('accepts attempts Infinity and attempts 1 (no retry at all)', () => {
    expect(() => retryBackoff({ attempts: Infinity })).not.toThrow();
    const { source, count } = attempts(() => throwError(() => new Error('x')));
    source.pipe(retryBackoff({ attempts: 1 })).subscribe({ error: () => undefined });
    expect(count()).toBe(1);
  });
});

describe('backoffDelay', () => {
  it('follows min(maxDelay, baseDelay * 2^(k-1)) * (1 + random() * jitter)', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((k) => backoffDelay(k, 100, 2000, 0, Math.random))).toEqual([100, 200, 400, 800, 1600, 2000, 2000]);
    expect(backoffDelay(3, 100, 2000, 0.5, () => 0.5)).toBe(500);
    expect(backoffDelay(10, 100, 2000, 0.1, () => 1)).toBeCloseTo(2200, 9);
  });

  it('does not call random when jitter is 0', () => {
    const random = jest.fn(() => 0.5);
    backoffDelay(1, 100, 2000, 0, random);
    expect(random).not.toHaveBeenCalled();
  });
});

describe('retryBackoff', () => {
  it('the last error propagates unchanged when the attempts are used up', () => {
    const errors = [new Error('first'), new Error('second'), new Error('third')];
    const { source, count } = attempts((n) => throwError(() => errors[n - 1]));
    const { error, events } = record(() => source.pipe(retryBackoff({ attempts: 3, baseDelay: 10, random: () => 0 })));
    expect(error).toBe(errors[2]);
    expect(count()).toBe(3);
    expect(events).toEqual(['30:error']);
  });

  it('retries synchronous sources that error synchronously, and keeps their values', () => {
    const { source, count } = attempts((n) => (n < 3 ? new Observable<number>((s) => (s.next(n), s.error(new Error('e')))) : of(n)));
    const { events } = record(() => source.pipe(retryBackoff({ baseDelay: 0, jitter: 0 })));
    expect(events).toEqual(['0:1', '0:2', '0:3', '0:complete']);
    expect(count()).toBe(3);
  });

  it('an endless synchronous source stops when the downstream has enough', () => {
    let emitted = 0;
    const endless = new Observable<number>((s) => {
      while (!s.closed) s.next(emitted++);
    });
    const values: number[] = [];
    endless.pipe(retryBackoff(), take(2)).subscribe((v) => values.push(v));
    expect(values).toEqual([0, 1]);
    expect(emitted).toBe(2);
  });

  it('retryOn with classes matches subclasses with instanceof', () => {
    class NetworkError extends Error {}
    class TimeoutError extends NetworkError {}
    const { source, count } = attempts((n) => throwError(() => (n === 1 ? new TimeoutError('t') : new TypeError('bad'))));
    const { error } = record(() => source.pipe(retryBackoff({ attempts: 5, retryOn: [NetworkError], random: () => 0 })));
    expect(error).toBeInstanceOf(TypeError);
    expect(count()).toBe(2);
  });

  it('retryOn predicate receives the error and the number of the attempt that failed', () => {
    const calls: [string, number][] = [];
    const { source } = attempts((n) => throwError(() => new Error(`e${n}`)));
    const { error } = record(() =>
      source.pipe(
        retryBackoff({
          attempts: 5,
          random: () => 0,
          retryOn: (e, attempt) => {
            calls.push([(e as Error).message, attempt]);
            return attempt < 3;
          },
        }),
      ),
    );
    expect(calls).toEqual([
      ['e1', 1],
      ['e2', 2],
      ['e3', 3],
    ]);
    expect((error as Error).message).toBe('e3');
  });

  it.each([
    ['retryOn', { retryOn: () => { throw new Error('from callback'); } }],
    ['onRetry', { onRetry: () => { throw new Error('from callback'); } }],
    ['random', { random: () => { throw new Error('from callback'); } }],
  ])('an error thrown by %s errors the output with it, and nothing is retried', (_name, options) => {
    const { source, count } = attempts(() => throwError(() => new Error('source')));
    const { error, events } = record(() => source.pipe(retryBackoff({ attempts: 5, ...options })));
    expect((error as Error).message).toBe('from callback');
    expect(events).toEqual(['0:error']);
    expect(count()).toBe(1);
  });

  it('random() outside [0, 1] errors the output with a RangeError naming it', () => {
    const { error } = record(() => throwError(() => new Error('x')).pipe(retryBackoff({ random: () => 2 })));
    expect(error).toBeInstanceOf(RangeError);
    expect((error as Error).message).toMatch(/`random\(\)`.*from 0 to 1.*`2`/);
  });

  it('deadline as a Date is absolute on the scheduler clock', () => {
    const { source, count } = attempts(() => throwError(() => new Error('x')));
    const { events } = record(() => source.pipe(retryBackoff({ attempts: 10, baseDelay: 10, random: () => 0, deadline: new Date(65) })));
    // Retries at 10, 30; the next (40 ms, ending at 70) would end after 65.
    expect(events).toEqual(['30:error']);
    expect(count()).toBe(3);
  });

  it('a retry that would start exactly at the deadline is not made', () => {
    const { source, count } = attempts(() => throwError(() => new Error('x')));
    const { events } = record(() => source.pipe(retryBackoff({ attempts: 10, baseDelay: 10, random: () => 0, deadline: 30 })));
    expect(events).toEqual(['10:error']);
    expect(count()).toBe(2);
  });

  it('the deadline counts from each subscription', () => {
    const ts = new TestScheduler((a, e) => expect(a).toEqual(e));
    const starts: number[] = [];
    ts.run(({ expectObservable }) => {
      const source = defer(() => {
        starts.push(ts.now());
        return throwError(() => new Error('x'));
      });
      const out = source.pipe(retryBackoff({ attempts: 10, baseDelay: 10, random: () => 0, deadline: 25 }));
      expectObservable(out, '100ms ^').toBe('110ms #', undefined, new Error('x'));
    });
    expect(starts).toEqual([100, 110]);
  });

  it('a long attempt cut by the deadline errors with a DeadlineError carrying it', () => {
    const { error } = record(() => new Observable<never>(() => undefined).pipe(retryBackoff({ deadline: 40 })));
    expect(error).toBeInstanceOf(DeadlineError);
    expect((error as DeadlineError).deadline).toBe(40);
  });

  it('works on the default asyncScheduler in real time', async () => {
    const { source, count } = attempts((n) => (n < 3 ? throwError(() => new Error('flaky')) : of('ok')));
    const delays: number[] = [];
    const result = await lastValueFrom(source.pipe(retryBackoff({ baseDelay: 1, onRetry: (_e, _k, d) => delays.push(d) }), toArray()));
    expect(result).toEqual(['ok']);
    expect(count()).toBe(3);
    expect(delays).toHaveLength(2);
    expect(delays[0]).toBeGreaterThanOrEqual(1);
    expect(delays[0]).toBeLessThan(1.1);
    expect(delays[1]).toBeGreaterThanOrEqual(2);
    expect(delays[1]).toBeLessThan(2.2);
  });

  it('nothing stays scheduled after unsubscribing during a wait', () => {
    const ts = new TestScheduler((a, e) => expect(a).toEqual(e));
    const { source, count } = attempts(() => throwError(() => new Error('x')));
    const sub = source.pipe(retryBackoff({ attempts: 5, scheduler: ts, random: () => 0 })).subscribe({ error: () => undefined });
    expect(ts.actions.filter((a) => !a.closed)).toHaveLength(1);
    sub.unsubscribe();
    expect(ts.actions.filter((a) => !a.closed)).toHaveLength(0);
    ts.flush();
    expect(count()).toBe(1);
  });
});

describe('retryBackoff with attempts 1', () => {
  it('still enforces the deadline on the single attempt', () => {
    const ts = new TestScheduler((a, e) => expect(a).toEqual(e));
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-----a|');
      expectObservable(source.pipe(retryBackoff({ attempts: 1, deadline: 3 }))).toBe('---#', undefined, new DeadlineError(3, 'retryBackoff: not finished within 3 ms', 'retryBackoff'));
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });
});

describe('retryBackoff: large attempt counts and one error class', () => {
  it('the exponential delay is clamped: no Infinity or NaN for a large k', () => {
    expect(backoffDelay(5000, 100, 2000, 0, Math.random)).toBe(2000);
    expect(backoffDelay(5000, 0, 2000, 0, Math.random)).toBe(0); // 0 × 2^4999 was NaN
    expect(backoffDelay(1025, Number.MIN_VALUE, 2000, 0, Math.random)).toBe(Math.min(2000, Number.MIN_VALUE * 2 ** 1023));
    expect(backoffDelay(10_000, 100, 2000, 0.5, () => 1)).toBe(3000);
  });

  it('retryOn: SomeErrorClass without an array is one class', () => {
    class Transient extends Error {}
    const ts = new TestScheduler(() => undefined);
    const counts = { transient: 0, other: 0 };
    ts.run(() => {
      defer(() => (counts.transient++, throwError(() => new Transient('x'))))
        .pipe(retryBackoff({ attempts: 3, baseDelay: 1, jitter: 0, retryOn: Transient, scheduler: ts }))
        .subscribe({ error: () => undefined });
      defer(() => (counts.other++, throwError(() => new RangeError('y'))))
        .pipe(retryBackoff({ attempts: 3, baseDelay: 1, jitter: 0, retryOn: Transient, scheduler: ts }))
        .subscribe({ error: () => undefined });
    });
    expect(counts).toEqual({ transient: 3, other: 1 });
  });

  it('retryOn: Error (an ES5-style class) is a class, and an arrow function is a predicate', () => {
    const ts = new TestScheduler(() => undefined);
    const counts = { error: 0, predicate: 0 };
    ts.run(() => {
      defer(() => (counts.error++, throwError(() => 'not an Error')))
        .pipe(retryBackoff({ attempts: 3, baseDelay: 1, jitter: 0, retryOn: Error, scheduler: ts }))
        .subscribe({ error: () => undefined });
      defer(() => (counts.predicate++, throwError(() => 'x')))
        .pipe(retryBackoff({ attempts: 3, baseDelay: 1, jitter: 0, retryOn: (_e, attempt) => attempt < 2, scheduler: ts }))
        .subscribe({ error: () => undefined });
    });
    expect(counts).toEqual({ error: 1, predicate: 2 });
  });
});
