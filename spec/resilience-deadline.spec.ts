import { NEVER, Observable, firstValueFrom, interval, lastValueFrom, of, timer, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { DeadlineError } from '../lib/errors';
import { failAfter } from '../lib/resilience/failAfter';
import { failAt } from '../lib/resilience/failAt';
import { moveOnAfter } from '../lib/resilience/moveOnAfter';
import { moveOnAt } from '../lib/resilience/moveOnAt';
import { retryBackoff } from '../lib/resilience/retryBackoff';

const live = (ts: TestScheduler): number => ts.actions.filter((a) => !a.closed).length;

describe('deadlines: validation at creation', () => {
  it.each([
    ['failAfter', failAfter],
    ['moveOnAfter', moveOnAfter],
  ] as const)('%s rejects a negative, infinite or non-number duration with a RangeError naming `ms`', (_name, op) => {
    for (const bad of [-1, NaN, Infinity, '5']) {
      expect(() => op(bad as number)).toThrow(RangeError);
      expect(() => op(bad as number)).toThrow(/`ms`.*finite number from 0 and up.*got/);
    }
  });

  it.each([
    ['failAt', failAt],
    ['moveOnAt', moveOnAt],
  ] as const)('%s rejects an invalid Date (RangeError) and a non-date (TypeError), naming `date`', (_name, op) => {
    expect(() => op(new Date(NaN))).toThrow(RangeError);
    expect(() => op(new Date(NaN))).toThrow(/`date`.*valid Date.*Invalid Date/);
    expect(() => op(Infinity)).toThrow(RangeError);
    expect(() => op('2030-01-01' as unknown as Date)).toThrow(TypeError);
    expect(() => op('2030-01-01' as unknown as Date)).toThrow(/`date`.*Date or a number.*"2030-01-01"/);
  });

  it.each([
    ['failAfter', failAfter],
    ['moveOnAfter', moveOnAfter],
    ['failAt', failAt],
    ['moveOnAt', moveOnAt],
  ] as const)('%s rejects a scheduler that is not one with a TypeError naming `scheduler`, even with a null deadline', (name, op) => {
    // (`{}` is an empty options object to moveOnAfter/moveOnAt: accepted there, below.)
    const lookAlike = { now: () => 0, schedule: () => undefined };
    for (const bad of ['async', null, lookAlike, ...(name.startsWith('fail') ? [{}, { schedule: () => undefined }] : [])]) {
      expect(() => op(5, bad as never)).toThrow(TypeError);
      expect(() => op(5, bad as never)).toThrow(/`scheduler`.*now\(\).*schedule\(\).*got/);
      expect(() => op(null, bad as never)).toThrow(/`scheduler`/);
    }
  });

  it.each([
    ['moveOnAfter', moveOnAfter],
    ['moveOnAt', moveOnAt],
  ] as const)('%s takes `{ scheduler?, onTimeout? }` instead of a scheduler, read at creation', (_name, op) => {
    const ts = new TestScheduler(() => undefined);
    expect(() => op(5, {})).not.toThrow();
    expect(() => op(5, { scheduler: ts, onTimeout: () => undefined })).not.toThrow();
    expect(() => op(null, { onTimeout: 5 as never })).toThrow(/`options\.onTimeout`.*function.*got `5`/);
    expect(() => op(5, { scheduler: {} as never })).toThrow(/`options\.scheduler`.*now\(\).*schedule\(\)/);
    expect(() => op(5, { ontimeout: () => undefined } as never)).toThrow(/Unknown option `options\.ontimeout`; expected one of `scheduler`, `onTimeout`/);
    // Only an object with both `now` and `schedule` is read as a scheduler: a misspelt `scheduler` is an unknown option.
    expect(() => op(5, { schedule: ts } as never)).toThrow(/Unknown option `options\.schedule`; expected one of `scheduler`, `onTimeout`/);
    for (const bad of [5, 'x', true, [], () => 0]) {
      expect(() => op(5, bad as never)).toThrow(/`scheduler`.*or `options` to be an object `\{ scheduler\?, onTimeout\? \}`/);
    }
  });

  it('null and undefined mean no deadline: the very same source comes back', () => {
    const source = of(1);
    for (const op of [failAfter, moveOnAfter, failAt, moveOnAt]) {
      expect(source.pipe(op<number>(null))).toBe(source);
      expect(source.pipe(op<number>(undefined))).toBe(source);
    }
  });
});

describe('deadlines', () => {
  it('DeadlineError is an Error named DeadlineError carrying the deadline', async () => {
    const ts = new TestScheduler(() => undefined);
    const promise = firstValueFrom(NEVER.pipe(failAfter(25, ts)));
    ts.flush();
    const error: unknown = await promise.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeadlineError);
    expect(error).toBeInstanceOf(Error);
    expect((error as DeadlineError).name).toBe('DeadlineError');
    expect((error as DeadlineError).deadline).toBe(25);
  });

  it('a synchronous source that completes at once schedules no timer', () => {
    const ts = new TestScheduler(() => undefined);
    const values: number[] = [];
    const schedule = jest.spyOn(ts, 'schedule');
    of(1, 2).pipe(failAfter(10, ts)).subscribe((v) => values.push(v));
    expect(values).toEqual([1, 2]);
    expect(schedule).not.toHaveBeenCalled();
  });

  it('a zero deadline trips synchronously at subscription: a synchronous source never runs', () => {
    const ts = new TestScheduler(() => undefined);
    const seen: unknown[] = [];
    let started = 0;
    new Observable<number>((s) => {
      started++;
      s.next(1);
      s.next(2);
    })
      .pipe(failAfter(0, ts))
      .subscribe({ next: (v) => seen.push(v), error: (e: unknown) => seen.push(e) });
    expect(started).toBe(0);
    expect(seen).toEqual([new DeadlineError(0, 'failAfter(0): not finished within 0 ms', 'failAfter(0)')]);
  });

  it('completion before the deadline cancels its timer; unsubscription does too', () => {
    const ts = new TestScheduler(() => undefined);
    const sub = NEVER.pipe(failAfter(10, ts)).subscribe({ error: () => fail('must not trip') });
    expect(live(ts)).toBe(1);
    sub.unsubscribe();
    expect(live(ts)).toBe(0);
    ts.flush();
  });

  it('at the deadline the source is unsubscribed and nothing is left scheduled', () => {
    const ts = new TestScheduler(() => undefined);
    let unsubscribed = 0;
    const source = new Observable<never>(() => () => unsubscribed++);
    const seen: string[] = [];
    source.pipe(moveOnAfter(5, ts)).subscribe({ complete: () => seen.push(`complete@${ts.now()}`) });
    ts.flush();
    expect(seen).toEqual(['complete@5']);
    expect(unsubscribed).toBe(1);
    expect(live(ts)).toBe(0);
  });

  it('a tie at the deadline goes to whichever was scheduled first (as the README says)', () => {
    const ts = new TestScheduler(() => undefined);
    const seen: string[] = [];
    const log = (tag: string) => ({ next: (v: number) => seen.push(`${tag}${ts.now()}:${v}`), complete: () => seen.push(`${tag}${ts.now()}:|`) });
    interval(1, ts).pipe(moveOnAfter(3, ts)).subscribe(log('i')); // the tick for 3 is scheduled at 2: the deadline wins
    timer(3, ts).pipe(moveOnAfter(3, ts)).subscribe(log('t')); // scheduled at subscription: the value wins
    ts.flush();
    expect(seen).toEqual(['i1:0', 'i2:1', 'i3:|', 't3:0', 't3:|']);
  });

  it('works on the default asyncScheduler in real time', async () => {
    await expect(lastValueFrom(NEVER.pipe(failAfter(5)))).rejects.toBeInstanceOf(DeadlineError);
    expect(await lastValueFrom(NEVER.pipe(moveOnAfter(5), toArray()))).toEqual([]);
    await expect(lastValueFrom(NEVER.pipe(failAt(new Date(Date.now() - 1000))))).rejects.toBeInstanceOf(DeadlineError);
    expect(await lastValueFrom(of(1).pipe(moveOnAt(new Date(Date.now() + 60_000))))).toBe(1);
  });

  it('failAt: the error carries the configured moment even when it was already past', () => {
    const ts = new TestScheduler(() => undefined);
    ts.schedule(() => undefined, 100);
    ts.flush(); // now = 100
    let error: unknown;
    NEVER.pipe(failAt(40, ts)).subscribe({ error: (e: unknown) => (error = e) });
    // Already past: it trips synchronously inside subscribe, before any work.
    expect((error as DeadlineError).deadline).toBe(40);
  });
});

describe('one deadline rule: a deadline already past at subscription trips at once, before any work runs', () => {
  // A synchronous source that counts its subscriptions and would emit at once: if the deadline
  // did not trip first, `started` would be 1 and values would be seen.
  const cases = [
    ['failAfter(0)', (ts: TestScheduler) => failAfter<number>(0, ts), 'error'],
    ['failAt(past)', (ts: TestScheduler) => failAt<number>(new Date(ts.now() - 1), ts), 'error'],
    ['failAt(now)', (ts: TestScheduler) => failAt<number>(ts.now(), ts), 'error'],
    ['moveOnAfter(0)', (ts: TestScheduler) => moveOnAfter<number>(0, ts), 'complete'],
    ['moveOnAt(past)', (ts: TestScheduler) => moveOnAt<number>(ts.now() - 5, ts), 'complete'],
    ['retryBackoff({ deadline: 0 })', (ts: TestScheduler) => retryBackoff<number>({ deadline: 0, scheduler: ts }), 'error'],
    ['retryBackoff({ deadline: past Date })', (ts: TestScheduler) => retryBackoff<number>({ deadline: new Date(ts.now() - 1), scheduler: ts }), 'error'],
  ] as const;

  it.each(cases)('%s: synchronously inside subscribe, the source never subscribed', (_name, make, outcome) => {
    const ts = new TestScheduler(() => undefined);
    ts.run(() => {
      ts.schedule(() => undefined, 10); // the clock moved on: "past" is before 10
    });
    let started = 0;
    const seen: string[] = [];
    new Observable<number>((s) => {
      started++;
      s.next(1);
      s.complete();
    })
      .pipe(make(ts))
      .subscribe({ next: (v) => seen.push(`next ${v}`), error: (e: unknown) => seen.push(`error ${(e as Error).name}`), complete: () => seen.push('complete') });
    // Nothing was flushed: all of this happened inside subscribe().
    expect(started).toBe(0);
    expect(seen).toEqual([outcome === 'error' ? 'error DeadlineError' : 'complete']);
    expect(live(ts)).toBe(0);
  });
});

describe('DeadlineError messages name their origin and budget, never a raw timestamp', () => {
  const errorOf = (source: Observable<unknown>): Promise<unknown> => lastValueFrom(source).then(() => 'no error', (e: unknown) => e);

  it('failAfter(ms): "failAfter(ms): not finished within ms ms"', async () => {
    const error = (await errorOf(NEVER.pipe(failAfter(20)))) as DeadlineError;
    expect(error).toBeInstanceOf(DeadlineError);
    expect(error.message).toBe('failAfter(20): not finished within 20 ms');
    expect(error.origin).toBe('failAfter(20)');
  });

  it('failAt(date): the date in ISO form, on both sides', async () => {
    const at = new Date(Date.now() + 20);
    const error = (await errorOf(NEVER.pipe(failAt(at)))) as DeadlineError;
    expect(error.message).toBe(`failAt(${at.toISOString()}): not finished by ${at.toISOString()}`);
    expect(error.deadline).toBe(at.getTime());
  });

  it('failAt(epoch ms) on the wall clock: shown as a date too; on a virtual clock as ms', async () => {
    const at = Date.now() + 20;
    const error = (await errorOf(NEVER.pipe(failAt(at)))) as DeadlineError;
    expect(error.message).toBe(`failAt(${new Date(at).toISOString()}): not finished by ${new Date(at).toISOString()}`);
    const ts = new TestScheduler(() => undefined);
    let virtual: unknown;
    NEVER.pipe(failAt(5, ts)).subscribe({ error: (e: unknown) => (virtual = e) });
    ts.flush();
    expect((virtual as Error).message).toBe('failAt(5): not finished by time 5 ms (scheduler clock)');
  });

  it('failAt/moveOnAt with a time beyond what a Date holds: accepted, and its message shows the number', () => {
    expect(() => moveOnAt(1e300)).not.toThrow();
    expect(() => failAt(-1e300)).not.toThrow();
  });

  it('retryBackoff: "retryBackoff: not finished within N ms", or by the ISO date', async () => {
    const within = (await errorOf(NEVER.pipe(retryBackoff({ deadline: 20 })))) as DeadlineError;
    expect(within.message).toBe('retryBackoff: not finished within 20 ms');
    const at = new Date(Date.now() + 20);
    const by = (await errorOf(NEVER.pipe(retryBackoff({ deadline: at })))) as DeadlineError;
    expect(by.message).toBe(`retryBackoff: not finished by ${at.toISOString()}`);
    expect(by.message).not.toMatch(/\d{10,}/);
  });
});
