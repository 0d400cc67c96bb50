import fc from 'fast-check';
import { BehaviorSubject, NEVER, Observable, Subject, from, map, take, tap, timer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import {
  boundedMap,
  CapacityLimiter,
  completionStream,
  concurrently,
  executeConcurrently,
  processConcurrently,
  pull,
} from '../lib/index.js';

// Live limits of the fan-out family: an Observable<number> or a CapacityLimiter as the limit.
// Timing with marbles is in marbles/fanout.marbles.ts; here: the invariant under random limit
// changes, a limiter budget shared with other work, and bad input refused at call time.

describe('fan-out with a live limit', () => {
  it('never starts an inner while as many as the current limit run (property)', () => {
    const arb = fc.record({
      durations: fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 30 }),
      changes: fc.array(fc.record({ at: fc.integer({ min: 0, max: 40 }), limit: fc.integer({ min: 1, max: 5 }) }), {
        minLength: 1,
        maxLength: 8,
      }),
      ordered: fc.boolean(),
    });
    fc.assert(
      fc.property(arb, ({ durations, changes, ordered }) => {
        const steps = [...changes].sort((a, b) => a.at - b.at);
        let current = 0;
        let running = 0;
        let violations = 0;
        let done = 0;
        new TestScheduler(() => undefined).run(({ flush }) => {
          const changes$ = new Observable<number>((subscriber) => {
            const subs = steps.map((step) => timer(step.at).subscribe(() => subscriber.next(step.limit)));
            return () => subs.forEach((sub) => sub.unsubscribe());
          }).pipe(tap((limit) => (current = limit)));
          from(durations)
            .pipe(
              boundedMap(
                (d) => {
                  if (running >= current) violations++;
                  running++;
                  return timer(d).pipe(tap({ finalize: () => running-- }));
                },
                changes$,
                { ordered },
              ),
            )
            .subscribe({ next: () => done++ });
          flush();
        });
        expect(violations).toBe(0);
        // Every item ran: the last limit is at least 1 and kept.
        expect(done).toBe(durations.length);
      }),
      { numRuns: 200 },
    );
  });

  it('a CapacityLimiter as the limit: each inner holds a token while it runs, shared FIFO with other work', () => {
    const limiter = new CapacityLimiter(2);
    const inners = [0, 1, 2, 3].map(() => new Subject<number>());
    const started: number[] = [];
    const out: number[] = [];
    const sub = from([0, 1, 2, 3])
      .pipe(
        boundedMap(
          (i) => {
            started.push(i);
            return inners[i]!;
          },
          limiter,
          { ordered: false },
        ),
      )
      .subscribe((v) => out.push(v));
    expect(started).toEqual([0, 1]);
    expect(limiter.borrowed).toBe(2);
    // Other work asks after the fan-out's request for item 2: it waits behind it.
    let other = false;
    const otherSub = limiter.run(() => ((other = true), NEVER)).subscribe();
    expect(limiter.waiting).toBe(2);
    inners[0]!.next(10);
    inners[0]!.complete();
    expect(started).toEqual([0, 1, 2]);
    expect(other).toBe(false);
    inners[1]!.complete();
    // The token went to the other work, first in the queue; item 3 waits for the next one.
    expect(other).toBe(true);
    expect(started).toEqual([0, 1, 2]);
    expect(limiter.borrowed).toBe(2);
    otherSub.unsubscribe();
    expect(started).toEqual([0, 1, 2, 3]);
    expect(out).toEqual([10]);
    // Unsubscribing gives back every token the fan-out holds.
    sub.unsubscribe();
    expect(limiter.borrowed).toBe(0);
    expect(limiter.waiting).toBe(0);
    expect(inners[2]!.observed).toBe(false);
    expect(inners[3]!.observed).toBe(false);
  });

  it('a CapacityLimiter: tokens go back when the fan-out completes, and a shed request errors it', () => {
    const limiter = new CapacityLimiter(1, { maxWaiting: 0 });
    const results: number[] = [];
    from([1, 2, 3])
      .pipe(boundedMap((x) => [x * 2], limiter))
      .subscribe((v) => results.push(v));
    expect(results).toEqual([2, 4, 6]);
    expect(limiter.borrowed).toBe(0);
    const hold = limiter.run(() => NEVER).subscribe();
    let error: unknown;
    from([1])
      .pipe(boundedMap((x) => [x], limiter))
      .subscribe({ error: (e) => (error = e) });
    expect((error as Error).name).toBe('CapacityExceededError');
    hold.unsubscribe();
    expect(limiter.borrowed).toBe(0);
  });

  it('the other fan-out functions take a live limit too', async () => {
    const limit$ = new BehaviorSubject(1);
    let running = 0;
    let most = 0;
    const task = () =>
      new Promise<number>((resolve) => {
        running++;
        most = Math.max(most, running);
        setTimeout(() => {
          running--;
          resolve(1);
        }, 1);
      });
    await new Promise<void>((resolve) =>
      concurrently([task, task, task], { concurrentTasks: limit$ }).subscribe({ complete: () => resolve() }),
    );
    expect(most).toBe(1);
    const limiter = new CapacityLimiter(2);
    await new Promise<void>((resolve) =>
      executeConcurrently(() => task(), [1, 2, 3, 4], { concurrentTasks: limiter }).subscribe({ complete: () => resolve() }),
    );
    expect(most).toBe(2);
    expect(limiter.borrowed).toBe(0);
    await new Promise<void>((resolve) =>
      processConcurrently([1, 2], () => task(), { concurrentTasks: new BehaviorSubject(5) }).subscribe({ complete: () => resolve() }),
    );
    await new Promise<void>((resolve) => completionStream([task, task], { limit: limiter }).subscribe({ complete: () => resolve() }));
    expect(limiter.borrowed).toBe(0);
  });

  it('refuses a limit that is neither a number, an Observable nor a CapacityLimiter, at call time', () => {
    const f = (x: number) => [x];
    expect(() => boundedMap(f, 'many' as never)).toThrow(
      new RangeError(
        'Expected `limit` to be an integer from 1 and up or `Infinity`, an Observable of such numbers, or a CapacityLimiter, got `"many"` (string)',
      ),
    );
    expect(() => processConcurrently([1], f, { concurrentTasks: {} as never })).toThrow(RangeError);
    expect(() => completionStream([], { limit: null as never })).toThrow(RangeError);
    expect(() => boundedMap(f, 0)).toThrow(RangeError);
  });

  it('names the option in the error of a bad emitted value', () => {
    let error: unknown;
    processConcurrently([1], (x) => [x], { concurrentTasks: new BehaviorSubject(-1) }).subscribe({ error: (e) => (error = e) });
    expect(error).toEqual(new RangeError('Expected `options.concurrentTasks` (an Observable) to emit integers from 1 and up or `Infinity`, got `-1` (number)'));
  });

  it('each entry point names its own limit option, and boundedMap its `limit$`', () => {
    const failure = (subscribe: (observer: { error: (e: unknown) => void }) => unknown) => {
      let error: unknown;
      subscribe({ error: (e) => (error = e) });
      return (error as Error).message;
    };
    const bad = () => new BehaviorSubject(0);
    const got = 'to emit integers from 1 and up or `Infinity`, got `0` (number)';
    expect(failure((o) => executeConcurrently((x: number) => [x], [1], { concurrentTasks: bad() }).subscribe(o))).toBe(`Expected \`options.concurrentTasks\` (an Observable) ${got}`);
    expect(failure((o) => concurrently([() => [1]], { concurrentTasks: bad() }).subscribe(o))).toBe(`Expected \`options.concurrentTasks\` (an Observable) ${got}`);
    expect(failure((o) => completionStream([() => [1]], { limit: bad() }).subscribe(o))).toBe(`Expected \`options.limit\` (an Observable) ${got}`);
    expect(failure((o) => from([1]).pipe(boundedMap((x) => [x], bad())).subscribe(o))).toBe(`Expected \`limit$\` ${got}`);
  });

  it('a source that ends while every token is held elsewhere waits: its items run when tokens come back, then it completes', () => {
    for (const source of [from([1, 2, 3]), pull([1, 2, 3])]) {
      const limiter = new CapacityLimiter(1);
      const hold = limiter.run(() => NEVER).subscribe();
      const out: number[] = [];
      let completed = false;
      const sub = source.pipe(boundedMap((x) => [x * 10], limiter)).subscribe({ next: (v) => out.push(v), complete: () => (completed = true) });
      expect(out).toEqual([]);
      expect(completed).toBe(false);
      hold.unsubscribe();
      expect(out).toEqual([10, 20, 30]);
      expect(completed).toBe(true);
      expect(limiter.borrowed).toBe(0);
      sub.unsubscribe();
    }
  });
});

describe('fan-out with a live limit: teardown', () => {
  it('a bad first value fails at subscribe and leaves limit$ unobserved', () => {
    const limit$ = new BehaviorSubject(0);
    let error: unknown;
    from([1]).pipe(boundedMap((x) => [x], limit$)).subscribe({ error: (e) => (error = e) });
    expect(error).toBeInstanceOf(RangeError);
    expect(limit$.observed).toBe(false);
  });

  it('completion and unsubscription both unsubscribe limit$', () => {
    const limit$ = new BehaviorSubject(2);
    from([1, 2]).pipe(boundedMap((x) => [x], limit$)).subscribe();
    expect(limit$.observed).toBe(false);
    const sub = from([1]).pipe(boundedMap(() => NEVER, limit$)).subscribe();
    expect(limit$.observed).toBe(true);
    sub.unsubscribe();
    expect(limit$.observed).toBe(false);
  });
});

describe('fan-out with a live limit: properties with cancellation (issue 14)', () => {
  it('boundedMap(project, limit$): no inner starts while as many as the current limit run; each item is projected once, or never when unsubscribed first; nothing left running', () => {
    const arb = fc.record({
      durations: fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 25 }),
      itemEvery: fc.integer({ min: 0, max: 2 }),
      changes: fc.array(fc.record({ at: fc.integer({ min: 0, max: 40 }), limit: fc.integer({ min: 1, max: 5 }) }), { minLength: 1, maxLength: 8 }),
      unsubscribeAt: fc.option(fc.integer({ min: 0, max: 50 }), { nil: undefined }),
      ordered: fc.boolean(),
    });
    fc.assert(
      fc.property(arb, ({ durations, itemEvery, changes, unsubscribeAt, ordered }) => {
        const steps = [...changes].sort((a, b) => a.at - b.at);
        let current = 0;
        let running = 0;
        const over: string[] = [];
        const projected = durations.map(() => 0);
        const emitted: number[] = [];
        let completed = false;
        let limitObserved = false;
        new TestScheduler(() => undefined).run(({ flush }) => {
          const limit$ = new Observable<number>((subscriber) => {
            limitObserved = true;
            const subs = steps.map((step) => timer(step.at).subscribe(() => subscriber.next(step.limit)));
            return () => {
              limitObserved = false;
              subs.forEach((sub) => sub.unsubscribe());
            };
          }).pipe(tap((limit) => (current = limit)));
          const items$ = itemEvery === 0 ? from(durations.map((_, i) => i)) : timer(0, itemEvery).pipe(take(durations.length));
          const sub = items$
            .pipe(
              boundedMap(
                (i) => {
                  if (running >= current) over.push(`item ${i} started with ${running} running, limit ${current}`);
                  projected[i]!++;
                  running++;
                  return timer(durations[i]!).pipe(
                    map(() => i),
                    tap({ finalize: () => running-- }),
                  );
                },
                limit$,
                { ordered },
              ),
            )
            .subscribe({ next: (i) => emitted.push(i), complete: () => (completed = true) });
          if (unsubscribeAt !== undefined) timer(unsubscribeAt).subscribe(() => sub.unsubscribe());
          flush();
        });
        expect(over).toEqual([]);
        expect(projected.every((n) => n <= 1)).toBe(true);
        expect(running).toBe(0);
        expect(limitObserved).toBe(false);
        if (completed) {
          expect(projected.every((n) => n === 1)).toBe(true);
          expect([...emitted].sort((a, b) => a - b)).toEqual(durations.map((_, i) => i));
          if (ordered) expect(emitted).toEqual(durations.map((_, i) => i));
        } else {
          expect(unsubscribeAt).toBeDefined();
          // Every emitted item was projected, once.
          for (const i of emitted) expect(projected[i]).toBe(1);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('boundedMap(project, limiter) beside other work on the same CapacityLimiter, its total changed at run time: together never above the total in force at a start; each runs once or is cancelled; every token comes back', () => {
    const arb = fc.record({
      total: fc.integer({ min: 1, max: 4 }),
      durations: fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 15 }),
      others: fc.array(fc.record({ at: fc.integer({ min: 0, max: 30 }), hold: fc.integer({ min: 0, max: 6 }) }), { maxLength: 8 }),
      changes: fc.array(fc.record({ at: fc.integer({ min: 0, max: 30 }), total: fc.integer({ min: 1, max: 4 }) }), { maxLength: 5 }),
      unsubscribeAt: fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(arb, ({ total, durations, others, changes, unsubscribeAt }) => {
        const limiter = new CapacityLimiter(total);
        let running = 0;
        const over: string[] = [];
        const projected = durations.map(() => 0);
        const otherRuns = others.map(() => 0);
        let completed = false;
        const start = (what: string): void => {
          if (running >= limiter.total) over.push(`${what} started with ${running} running, total ${limiter.total}`);
          running++;
        };
        new TestScheduler(() => undefined).run(({ flush }) => {
          changes.forEach((c) => timer(c.at).subscribe(() => (limiter.total = c.total)));
          others.forEach((o, k) =>
            timer(o.at).subscribe(() =>
              limiter
                .run(() => {
                  start(`other ${k}`);
                  otherRuns[k]!++;
                  return timer(o.hold).pipe(tap({ finalize: () => running-- }));
                })
                .subscribe(),
            ),
          );
          const sub = from(durations.map((_, i) => i))
            .pipe(
              boundedMap((i) => {
                start(`item ${i}`);
                projected[i]!++;
                return timer(durations[i]!).pipe(tap({ finalize: () => running-- }));
              }, limiter),
            )
            .subscribe({ complete: () => (completed = true) });
          if (unsubscribeAt !== undefined) timer(unsubscribeAt).subscribe(() => sub.unsubscribe());
          flush();
        });
        expect(over).toEqual([]);
        expect(projected.every((n) => n <= 1)).toBe(true);
        if (completed) expect(projected.every((n) => n === 1)).toBe(true);
        expect(otherRuns.every((n) => n === 1)).toBe(true);
        expect(running).toBe(0);
        expect(limiter.snapshot()).toEqual({ total: limiter.total, borrowed: 0, waiting: 0 });
      }),
      { numRuns: 300 },
    );
  });
});
