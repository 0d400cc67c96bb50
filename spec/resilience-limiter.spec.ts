import fc from 'fast-check';
import { NEVER, Observable, Subject, VirtualTimeScheduler, config, defer, finalize, firstValueFrom, lastValueFrom, mergeMap, of, take, timer, toArray, type OperatorFunction, type Subscription } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { CapacityLimiter, type CapacityState } from '../lib/resilience/capacityLimiter';
import { withCapacity } from '../lib/resilience/withCapacity';
import { countAbortControllers } from './support/abort';
import { DeadlineError } from '../lib/errors';
import { CapacityExceededError } from '../lib/resilience/errors';
import { QueueModel } from './support/queue-order';

/** An Observable that counts live subscriptions in `live` and tracks the peak. */
function counted<T>(source: Observable<T>, gauge: { live: number; peak: number; started: number }): Observable<T> {
  return defer(() => {
    gauge.started++;
    gauge.live++;
    gauge.peak = Math.max(gauge.peak, gauge.live);
    return source.pipe(finalize(() => gauge.live--));
  });
}

describe('CapacityLimiter: construction and total', () => {
  it.each([0, -1, 1.5, NaN, -Infinity, '3', null, undefined])('rejects total %p with a RangeError naming it', (bad) => {
    expect(() => new CapacityLimiter(bad as number)).toThrow(RangeError);
    expect(() => new CapacityLimiter(bad as number)).toThrow(/`total`.*integer from 1 and up or `Infinity`.*got/);
  });

  it('accepts Infinity', () => {
    const limiter = new CapacityLimiter(Infinity);
    const subs = Array.from({ length: 1000 }, () => NEVER.pipe(withCapacity(limiter)).subscribe());
    expect(limiter.borrowed).toBe(1000);
    expect(limiter.available).toBe(Infinity);
    subs.forEach((s) => s.unsubscribe());
    expect(limiter.borrowed).toBe(0);
  });

  it('setting total validates it and leaves the old value on error', () => {
    const limiter = new CapacityLimiter(2);
    expect(() => (limiter.total = 0)).toThrow(RangeError);
    expect(() => (limiter.total = 2.5)).toThrow(/`total`/);
    expect(limiter.total).toBe(2);
  });

  it('raising total from 2 to 4 while 1 is held leaves 3 available', () => {
    const limiter = new CapacityLimiter(2);
    const held = NEVER.pipe(withCapacity(limiter)).subscribe();
    expect(limiter.available).toBe(1);
    limiter.total = 4;
    expect(limiter.total).toBe(4);
    expect(limiter.borrowed).toBe(1);
    expect(limiter.available).toBe(3);
    held.unsubscribe();
    expect(limiter.available).toBe(4);
  });

  it('growing total lets waiters in at once, in FIFO order', () => {
    const limiter = new CapacityLimiter(1);
    const order: number[] = [];
    const subs = [0, 1, 2, 3].map((i) => defer(() => (order.push(i), NEVER)).pipe(withCapacity(limiter)).subscribe());
    expect(order).toEqual([0]);
    expect(limiter.waiting).toBe(3);
    limiter.total = 3;
    expect(order).toEqual([0, 1, 2]);
    expect(limiter.waiting).toBe(1);
    subs.forEach((s) => s.unsubscribe());
  });

  it('shrinking total lets holders finish and admits nobody until borrowed < total', () => {
    const limiter = new CapacityLimiter(3);
    const holders = [0, 1, 2].map(() => NEVER.pipe(withCapacity(limiter)).subscribe());
    let started = false;
    const waiter = defer(() => ((started = true), NEVER)).pipe(withCapacity(limiter)).subscribe();
    limiter.total = 1;
    expect(limiter.borrowed).toBe(3);
    expect(limiter.available).toBe(0);
    holders[0]!.unsubscribe();
    holders[1]!.unsubscribe();
    expect(started).toBe(false); // borrowed 1 = total 1
    holders[2]!.unsubscribe();
    expect(started).toBe(true);
    waiter.unsubscribe();
    expect(limiter.borrowed).toBe(0);
  });
});

describe('withCapacity', () => {
  it('rejects a limiter that is not one, at creation', () => {
    expect(() => withCapacity(3 as unknown as CapacityLimiter)).toThrow(TypeError);
    expect(() => withCapacity({} as CapacityLimiter)).toThrow(/`limiter`.*CapacityLimiter.*got/);
  });

  it('rejects a look-alike limiter (an object with acquire() that never grants), instead of hanging', () => {
    const lookAlike = { acquire: () => ({ state: 'waiting', release() {} }), total: 1, borrowed: 0, waiting: 0 };
    expect(() => withCapacity(lookAlike as unknown as CapacityLimiter)).toThrow(/Expected `limiter` to be a CapacityLimiter/);
  });

  it('synchronous sources run and release their token at once', async () => {
    const limiter = new CapacityLimiter(1);
    expect(await lastValueFrom(of(1, 2, 3).pipe(withCapacity(limiter), toArray()))).toEqual([1, 2, 3]);
    expect(await lastValueFrom(of(4).pipe(withCapacity(limiter)))).toBe(4);
    expect(limiter.borrowed).toBe(0);
  });

  it('an endless synchronous source stops when the downstream takes what it needs, and frees its token', () => {
    const limiter = new CapacityLimiter(1);
    let emitted = 0;
    const endless = new Observable<number>((subscriber) => {
      while (!subscriber.closed) subscriber.next(emitted++);
    });
    const values: number[] = [];
    endless.pipe(withCapacity(limiter), take(3)).subscribe((v) => values.push(v));
    expect(values).toEqual([0, 1, 2]);
    expect(emitted).toBe(3);
    expect(limiter.borrowed).toBe(0);
  });

  it('an unsubscribed waiter is never subscribed, and its place goes to the next', () => {
    const limiter = new CapacityLimiter(1);
    const gate = new Subject<void>();
    const log: string[] = [];
    gate.pipe(take(1), withCapacity(limiter)).subscribe({ complete: () => log.push('first done') });
    const waiter = defer(() => (log.push('waiter ran'), of(1))).pipe(withCapacity(limiter)).subscribe();
    defer(() => (log.push('third ran'), of(1))).pipe(withCapacity(limiter)).subscribe();
    expect(limiter.waiting).toBe(2);
    waiter.unsubscribe();
    expect(limiter.waiting).toBe(1);
    gate.next();
    expect(log).toEqual(['first done', 'third ran']);
    expect(limiter.borrowed).toBe(0);
    expect(limiter.waiting).toBe(0);
  });

  it('re-entrancy: a waiter that unsubscribes another waiter from inside its own start', () => {
    const limiter = new CapacityLimiter(1);
    const gate = new Subject<void>();
    const log: string[] = [];
    gate.pipe(take(1), withCapacity(limiter)).subscribe();
    let victim: Subscription | undefined = undefined;
    defer(() => {
      log.push('killer');
      victim?.unsubscribe();
      return of(1);
    })
      .pipe(withCapacity(limiter))
      .subscribe();
    victim = defer(() => (log.push('victim'), of(2))).pipe(withCapacity(limiter)).subscribe();
    defer(() => (log.push('last'), of(3))).pipe(withCapacity(limiter)).subscribe();
    gate.next();
    expect(log).toEqual(['killer', 'last']);
    expect(limiter.borrowed).toBe(0);
    expect(limiter.waiting).toBe(0);
  });

  it('re-entrancy: a token released synchronously from inside its grant goes to the next waiter, without recursion', () => {
    const limiter = new CapacityLimiter(1);
    const gate = new Subject<void>();
    gate.pipe(take(1), withCapacity(limiter)).subscribe();
    const order: number[] = [];
    let depth = 0;
    let maxDepth = 0;
    for (let i = 0; i < 2000; i++) {
      defer(() => {
        depth++;
        maxDepth = Math.max(maxDepth, depth);
        order.push(i);
        depth--;
        return of(i); // completes synchronously: the token is released inside its own grant
      })
        .pipe(withCapacity(limiter))
        .subscribe();
    }
    gate.next();
    expect(order).toEqual(Array.from({ length: 2000 }, (_, i) => i));
    expect(maxDepth).toBe(1);
    expect(limiter.borrowed).toBe(0);
  });

  it('a subscriber that starts a new request from its completion callback queues behind the waiters', () => {
    const limiter = new CapacityLimiter(1);
    const gate = new Subject<void>();
    const log: string[] = [];
    gate.pipe(take(1), withCapacity(limiter)).subscribe({
      complete: () => {
        defer(() => (log.push('late'), of(0))).pipe(withCapacity(limiter)).subscribe();
      },
    });
    defer(() => (log.push('early'), of(0))).pipe(withCapacity(limiter)).subscribe();
    gate.next();
    expect(log).toEqual(['early', 'late']);
  });

  it('state$ starts with the current state and sends each distinct state once', () => {
    const limiter = new CapacityLimiter(2);
    const states: CapacityState[] = [];
    const held = NEVER.pipe(withCapacity(limiter)).subscribe();
    const sub = limiter.state$.subscribe((s) => states.push(s));
    const second = NEVER.pipe(withCapacity(limiter)).subscribe();
    const third = NEVER.pipe(withCapacity(limiter)).subscribe();
    limiter.total = 2; // no change: nothing sent
    limiter.total = 3;
    held.unsubscribe();
    second.unsubscribe();
    third.unsubscribe();
    sub.unsubscribe();
    limiter.total = 5; // after unsubscription: nothing sent
    expect(states).toEqual([
      { total: 2, borrowed: 1, waiting: 0 },
      { total: 2, borrowed: 2, waiting: 0 },
      { total: 2, borrowed: 2, waiting: 1 },
      { total: 3, borrowed: 3, waiting: 0 },
      { total: 3, borrowed: 2, waiting: 0 },
      { total: 3, borrowed: 1, waiting: 0 },
      { total: 3, borrowed: 0, waiting: 0 },
    ]);
  });

  it('state$: a listener that changes total from its callback, and a late listener, both see the latest state', () => {
    const limiter = new CapacityLimiter(1);
    const first: number[] = [];
    const late: number[] = [];
    limiter.state$.subscribe((s) => {
      first.push(s.borrowed);
      if (s.waiting > 0) limiter.total = 2;
    });
    const a = NEVER.pipe(withCapacity(limiter)).subscribe();
    const b = NEVER.pipe(withCapacity(limiter)).subscribe(); // waits, the listener grows total, b enters
    limiter.state$.subscribe((s) => late.push(s.borrowed));
    a.unsubscribe();
    b.unsubscribe();
    expect(first).toEqual([0, 1, 1, 2, 1, 0]);
    expect(late).toEqual([2, 1, 0]);
  });
});

describe('CapacityLimiter.acquire', () => {
  it('grants synchronously when free and queues otherwise; release is idempotent', () => {
    const limiter = new CapacityLimiter(1);
    const granted: string[] = [];
    const a = limiter.acquire(() => granted.push('a'));
    const b = limiter.acquire(() => granted.push('b'));
    expect([a.state, b.state]).toEqual(['held', 'waiting']);
    a.release();
    a.release();
    expect(granted).toEqual(['a', 'b']);
    expect(limiter.borrowed).toBe(1);
    b.release();
    expect(limiter.borrowed).toBe(0);
    expect(b.state).toBe('released');
  });

  it('a callback that throws frees its token, keeps the queue moving, and the error is reported', () => {
    jest.useFakeTimers();
    try {
      const limiter = new CapacityLimiter(1);
      const first = limiter.acquire(() => undefined);
      limiter.acquire(() => {
        throw new Error('bad callback');
      });
      let third = false;
      limiter.acquire(() => (third = true));
      first.release();
      expect(third).toBe(true);
      expect(limiter.borrowed).toBe(1);
      expect(() => jest.runAllTimers()).toThrow('bad callback');
    } finally {
      jest.useRealTimers();
    }
  });

  it('rejects a callback that is not a function', () => {
    expect(() => new CapacityLimiter(1).acquire(5 as unknown as () => void)).toThrow(/`onGranted`.*function/);
  });
});

describe('CapacityLimiter: a throwing consumer callback cannot corrupt its state', () => {
  /** Runs `body` with rxjs's `config.onUnhandledError` collecting reports, then waits for them. */
  async function reporting(body: (reported: unknown[]) => void): Promise<unknown[]> {
    const reported: unknown[] = [];
    const previous = config.onUnhandledError;
    config.onUnhandledError = (error) => reported.push(error);
    try {
      body(reported);
      await new Promise((resolve) => setTimeout(resolve, 5));
    } finally {
      config.onUnhandledError = previous;
    }
    return reported;
  }
  const boom = (name: string) => (): never => {
    throw new Error(name);
  };

  it('onGranted throwing (at once or from the queue): its token comes back, the next waiters are granted in order, the error goes to config.onUnhandledError later', async () => {
    const limiter = new CapacityLimiter(1);
    const log: string[] = [];
    const states: CapacityState[] = [];
    limiter.state$.subscribe((s) => states.push(s));
    const reported = await reporting((reported) => {
      const fast = limiter.acquire(boom('fast path')); // a free token: granted inside acquire
      expect(fast.state).toBe('released');
      expect(limiter.borrowed).toBe(0);
      const first = limiter.acquire(() => log.push('first'));
      limiter.acquire(boom('queued'));
      const third = limiter.acquire(() => log.push('third'));
      limiter.acquire(() => log.push('fourth'));
      first.release(); // the queued thrower gets the token, throws, gives it back: third in
      expect(log).toEqual(['first', 'third']);
      expect([limiter.borrowed, limiter.waiting]).toEqual([1, 1]);
      expect(reported).toEqual([]); // never synchronously
      third.release();
      expect(log).toEqual(['first', 'third', 'fourth']);
    });
    expect(reported.map((e) => (e as Error).message)).toEqual(['fast path', 'queued']);
    expect(limiter.snapshot()).toEqual({ total: 1, borrowed: 1, waiting: 0 });
    expect(states.at(-1)).toEqual(limiter.snapshot());
  });

  it('onError throwing (shed, timed out) is reported; the queue goes on', async () => {
    const scheduler = new VirtualTimeScheduler();
    const limiter = new CapacityLimiter(1, { maxWaiting: 1, scheduler });
    const log: string[] = [];
    const reported = await reporting(() => {
      const held = limiter.acquire(() => log.push('held'));
      withCapacity(limiter, { timeout: 5 })(defer(() => (log.push('never'), of(0)))).subscribe({ error: boom('timeout observer') });
      limiter.acquire(() => log.push('shed'), boom('shed onError')); // beyond maxWaiting 1
      scheduler.flush(); // the waiter times out at 5
      limiter.acquire(() => log.push('next'));
      held.release();
    });
    expect(log).toEqual(['held', 'next']);
    expect(reported.map((e) => (e as Error).message).sort()).toEqual(['shed onError', 'timeout observer']);
    expect([limiter.borrowed, limiter.waiting]).toEqual([1, 0]);
  });

  it('withCapacity: a source whose subscribe throws, or an observer that throws, errors or is reported; the token comes back', async () => {
    const limiter = new CapacityLimiter(1);
    const log: string[] = [];
    const reported = await reporting(() => {
      const hold = limiter.run(NEVER).subscribe();
      new Observable<number>(boom('subscribe')).pipe(withCapacity(limiter)).subscribe({ error: (e) => log.push(`error ${(e as Error).message}`) });
      of(1, 2).pipe(withCapacity(limiter)).subscribe(boom('next'));
      limiter.run(() => of('last')).subscribe((v) => log.push(v));
      hold.unsubscribe();
    });
    expect(log).toEqual(['error subscribe', 'last']);
    expect(reported.map((e) => (e as Error).message)).toEqual(['next', 'next']); // rxjs reports each throw and goes on
    expect([limiter.borrowed, limiter.waiting]).toEqual([0, 0]);
  });
});

describe('CapacityLimiter.run', () => {
  it('runs promise tasks at most total at a time, in FIFO order', async () => {
    const limiter = new CapacityLimiter(2);
    let live = 0;
    let peak = 0;
    const started: number[] = [];
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        firstValueFrom(
          limiter.run(async () => {
            started.push(i);
            live++;
            peak = Math.max(peak, live);
            await new Promise((r) => setTimeout(r, (i % 3) * 2));
            live--;
            return i * 10;
          }),
        ),
      ),
    );
    expect(results).toEqual([0, 10, 20, 30, 40, 50, 60, 70]);
    expect(peak).toBe(2);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(limiter.borrowed).toBe(0);
  });

  it('rejects something that is not a task when called, not on subscribe', () => {
    const limiter = new CapacityLimiter(1);
    expect(() => limiter.run(42 as never)).toThrow(TypeError);
    expect(() => limiter.run(null as never)).toThrow(/`task`.*a task.*got `null` \(null\)/);
    expect(limiter.waiting).toBe(0);
  });

  it('a rejected promise errors the Observable and frees the token', async () => {
    const limiter = new CapacityLimiter(1);
    await expect(firstValueFrom(limiter.run(() => Promise.reject(new Error('nope'))))).rejects.toThrow('nope');
    expect(limiter.borrowed).toBe(0);
  });

  it('never calls the factory of a task unsubscribed while it waits', () => {
    const limiter = new CapacityLimiter(1);
    const holder = limiter.run(() => NEVER).subscribe();
    const factory = jest.fn(() => Promise.resolve(1));
    limiter.run(factory).subscribe().unsubscribe();
    holder.unsubscribe();
    expect(factory).not.toHaveBeenCalled();
    expect(limiter.waiting).toBe(0);
  });

  it('aborts the signal of a running task on unsubscribe, and frees the token', () => {
    const limiter = new CapacityLimiter(1);
    let signal: AbortSignal | undefined;
    const sub = limiter
      .run((ctx) => {
        signal = ctx.signal;
        return new Promise<never>(() => undefined);
      })
      .subscribe();
    expect(signal?.aborted).toBe(false);
    sub.unsubscribe();
    expect(signal?.aborted).toBe(true);
    expect(limiter.borrowed).toBe(0);
  });

  it('creates no AbortController when the task never reads the signal', async () => {
    const counter = countAbortControllers();
    try {
      const limiter = new CapacityLimiter(2);
      await lastValueFrom(limiter.run(() => Promise.resolve(1)));
      expect(counter.created).toBe(0);
    } finally {
      counter.restore();
    }
  });
});

describe('CapacityLimiter properties (fast-check, virtual time)', () => {
  const stream = fc.record({
    start: fc.integer({ min: 0, max: 20 }),
    duration: fc.integer({ min: 0, max: 15 }),
    pipeline: fc.integer({ min: 0, max: 2 }),
    cancelAfter: fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }),
  });

  it('never exceeds total across streams; every waiter runs exactly once or leaves when unsubscribed; nothing left behind', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(stream, { minLength: 1, maxLength: 25 }), (total, streams) => {
        const ts = new TestScheduler((a, e) => expect(a).toEqual(e));
        const limiter = new CapacityLimiter(total);
        const gauge = { live: 0, peak: 0, started: 0 };
        const runs = streams.map(() => 0);
        const completed = streams.map(() => false);
        let timersLive = 0;
        ts.run(() => {
          streams.forEach((s, i) => {
            const work = counted(
              defer(() => {
                runs[i]!++;
                timersLive++;
                return timer(s.duration).pipe(finalize(() => timersLive--));
              }),
              gauge,
            );
            // The pipeline number only changes when the stream asks: streams share one limiter regardless.
            const sub = timer(s.start + s.pipeline)
              .pipe(withCapacityAfter(work, limiter))
              .subscribe({ complete: () => (completed[i] = true) });
            if (s.cancelAfter !== undefined) ts.schedule(() => sub.unsubscribe(), s.cancelAfter);
          });
        });
        expect(gauge.peak).toBeLessThanOrEqual(total);
        streams.forEach((s, i) => {
          expect(runs[i]).toBeLessThanOrEqual(1);
          if (s.cancelAfter === undefined) {
            expect(runs[i]).toBe(1);
            expect(completed[i]).toBe(true);
          }
        });
        expect(gauge.started).toBe(runs.reduce((a, b) => a + b, 0));
        expect(gauge.live).toBe(0);
        expect(timersLive).toBe(0);
        expect(limiter.borrowed).toBe(0);
        expect(limiter.waiting).toBe(0);
        expect(ts.actions).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });

  it('FIFO: streams enter in the order they asked, when no one leaves the queue', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(fc.integer({ min: 0, max: 10 }), { minLength: 1, maxLength: 20 }), (total, durations) => {
        const ts = new TestScheduler((a, e) => expect(a).toEqual(e));
        const limiter = new CapacityLimiter(total);
        const entered: number[] = [];
        ts.run(() => {
          durations.forEach((d, i) => {
            timer(i)
              .pipe(withCapacityAfter(defer(() => (entered.push(i), timer(d))), limiter))
              .subscribe();
          });
        });
        expect(entered).toEqual(durations.map((_, i) => i));
      }),
      { numRuns: 100 },
    );
  });

  it('changing total at run time: never more than the total in force when a stream entered', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.integer({ min: 0, max: 30 }), total: fc.integer({ min: 1, max: 4 }) }), { maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 20 }),
        (changes, durations) => {
          const ts = new TestScheduler((a, e) => expect(a).toEqual(e));
          const limiter = new CapacityLimiter(2);
          const gauge = { live: 0, peak: 0, started: 0 };
          let violations = 0;
          ts.run(() => {
            changes.forEach((c) => ts.schedule(() => (limiter.total = c.total), c.at));
            durations.forEach((d, i) => {
              const work = counted(
                defer(() => {
                  if (gauge.live > limiter.total) violations++;
                  return timer(d);
                }),
                gauge,
              );
              timer(i).pipe(withCapacityAfter(work, limiter)).subscribe();
            });
          });
          expect(violations).toBe(0);
          expect(gauge.started).toBe(durations.length);
          expect(limiter.borrowed).toBe(0);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('CapacityLimiter property: total changed at run time, with priorities, queue-wait limits, cancellations and load shedding', () => {
  it('nothing starts while as many as the total in force run; every request is granted, times out, is cancelled or shed exactly once, in queue order; every token comes back', () => {
    const request = fc.record({
      at: fc.integer({ min: 0, max: 30 }),
      priority: fc.integer({ min: -1, max: 1 }),
      timeout: fc.option(fc.integer({ min: 0, max: 10 }), { nil: undefined }),
      hold: fc.integer({ min: 0, max: 8 }),
      cancelAfter: fc.option(fc.integer({ min: 0, max: 15 }), { nil: undefined }),
    });
    const change = fc.record({ at: fc.integer({ min: 0, max: 30 }), total: fc.integer({ min: 1, max: 4 }) });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
        fc.array(change, { maxLength: 6 }),
        fc.array(request, { maxLength: 25 }),
        (total, maxWaiting, changes, requests) => {
          const scheduler = new VirtualTimeScheduler();
          const limiter = new CapacityLimiter(total, { scheduler, ...(maxWaiting === undefined ? {} : { maxWaiting }) });
          const model = new QueueModel(requests.length);
          const over: string[] = [];
          let live = 0;
          changes.forEach((c) => scheduler.schedule(() => (limiter.total = c.total), c.at));
          requests.forEach((r, i) => {
            scheduler.schedule(() => {
              const work = new Observable<never>((subscriber) => {
                if (live >= limiter.total) over.push(`${i} started at ${scheduler.now()} with ${live} running, total ${limiter.total}`);
                model.granted(i);
                live++;
                const done = scheduler.schedule(() => subscriber.complete(), r.hold);
                return () => {
                  live--;
                  done.unsubscribe();
                };
              });
              model.arrive(i, r.priority);
              const sub = work.pipe(withCapacity(limiter, { priority: r.priority, ...(r.timeout === undefined ? {} : { timeout: r.timeout }) })).subscribe({
                error: (e) => model.end(i, e instanceof DeadlineError ? 'timed out' : e instanceof CapacityExceededError ? 'shed' : `error ${String(e)}`),
              });
              if (r.cancelAfter !== undefined) {
                scheduler.schedule(() => {
                  if (model.isWaiting(i)) model.end(i, 'cancelled');
                  sub.unsubscribe();
                }, r.cancelAfter);
              }
            }, r.at);
          });
          scheduler.flush();
          expect(over).toEqual([]);
          model.expectEachOnce(['granted', 'timed out', 'cancelled', 'shed']);
          requests.forEach((r, i) => {
            if (r.timeout === undefined && r.cancelAfter === undefined) expect(['granted', 'shed']).toContain(model.outcomes[i]![0]);
          });
          expect(live).toBe(0);
          expect(limiter.snapshot()).toEqual({ total: limiter.total, borrowed: 0, waiting: 0 });
          expect(scheduler.actions).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });
});

/** After the trigger emits, runs `work` under `limiter` (a request made at the trigger's time). */
function withCapacityAfter<T>(work: Observable<T>, limiter: CapacityLimiter): OperatorFunction<unknown, T> {
  return mergeMap(() => work.pipe(withCapacity(limiter)));
}

describe('CapacityLimiter: priority and queue-wait limits', () => {
  it.each([
    [{ priority: NaN }, RangeError, /`options.priority` to be a finite number, got `NaN`/],
    [{ priority: Infinity }, RangeError, /`options.priority` to be a finite number/],
    [{ priority: '1' }, RangeError, /`options.priority` to be a finite number, got `"1"` \(string\)/],
    [{ timeout: -1 }, RangeError, /`options.timeout` to be a finite number from 0 and up, got `-1`/],
    [{ timeout: NaN }, RangeError, /`options.timeout`/],
    [{ priorty: 1 }, TypeError, /Unknown option `options.priorty`; expected one of `priority`, `timeout`/],
  ])('rejects %p at creation, naming the value', (options, type, message) => {
    const limiter = new CapacityLimiter(1);
    expect(() => withCapacity(limiter, options as never)).toThrow(type);
    expect(() => withCapacity(limiter, options as never)).toThrow(message);
    expect(() => limiter.run(of(1), options as never)).toThrow(message);
  });

  it('rejects a bad scheduler option', () => {
    expect(() => new CapacityLimiter(1, { scheduler: {} as never })).toThrow(/`options.scheduler`/);
  });

  it('the timeout runs on the limiter scheduler, and the DeadlineError names the limiter entry point', () => {
    const scheduler = new VirtualTimeScheduler();
    const limiter = new CapacityLimiter(1, { scheduler });
    const seen: unknown[] = [];
    limiter.run(NEVER).subscribe();
    withCapacity<number>(limiter, { timeout: 500 })(of(1)).subscribe({ next: (v) => seen.push(v), error: (e) => seen.push(e) });
    expect(limiter.waiting).toBe(1);
    scheduler.flush();
    expect(limiter.waiting).toBe(0);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(DeadlineError);
    expect((seen[0] as DeadlineError).message).toBe('withCapacity: no token within 500 ms');
  });

  it('a store failure errors every waiter queued before it, whatever their priority', async () => {
    let fail = false;
    const limiter = new CapacityLimiter(1, {
      store: {
        key: 'k',
        acquire: () => (fail ? Promise.reject(new Error('down')) : Promise.resolve('t')),
        release: () => undefined,
      },
    });
    const seen: string[] = [];
    const sub = limiter.run(NEVER).subscribe();
    await Promise.resolve();
    await Promise.resolve();
    expect(limiter.borrowed).toBe(1);
    fail = true;
    for (const priority of [0, 3, -1]) limiter.run(of(priority), { priority }).subscribe({ error: (e) => seen.push(`${priority}: ${(e as Error).name}`) });
    sub.unsubscribe(); // a token is free: the limiter asks the store, which fails
    await new Promise((r) => setTimeout(r, 0));
    expect(seen.sort()).toEqual(['-1: StoreUnavailableError', '0: StoreUnavailableError', '3: StoreUnavailableError']);
    expect(limiter.waiting).toBe(0);
  });

  it('property: every request is granted, times out or is cancelled exactly once; never above total; never granted past an older waiter of its priority or any waiter of a higher one', () => {
    const request = fc.record({
      at: fc.integer({ min: 0, max: 20 }),
      priority: fc.integer({ min: -1, max: 2 }),
      timeout: fc.option(fc.integer({ min: 0, max: 10 }), { nil: undefined }),
      hold: fc.integer({ min: 1, max: 8 }),
      cancelAfter: fc.option(fc.integer({ min: 0, max: 15 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.array(request, { maxLength: 25 }), (total, requests) => {
        const scheduler = new VirtualTimeScheduler();
        const limiter = new CapacityLimiter(total, { scheduler });
        const model = new QueueModel(requests.length);
        let live = 0;
        let peak = 0;
        requests.forEach((r, i) => {
          scheduler.schedule(() => {
            const work = new Observable<never>((subscriber) => {
              model.granted(i);
              live++;
              peak = Math.max(peak, live);
              const done = scheduler.schedule(() => subscriber.complete(), r.hold);
              return () => {
                live--;
                done.unsubscribe();
              };
            });
            model.arrive(i, r.priority);
            const sub = work.pipe(withCapacity(limiter, { priority: r.priority, ...(r.timeout === undefined ? {} : { timeout: r.timeout }) })).subscribe({
              error: (e) => model.end(i, e instanceof DeadlineError ? 'timed out' : `error ${String(e)}`),
            });
            if (r.cancelAfter !== undefined) {
              scheduler.schedule(() => {
                if (model.isWaiting(i)) model.end(i, 'cancelled');
                sub.unsubscribe();
              }, r.cancelAfter);
            }
          }, r.at);
        });
        scheduler.flush();
        model.expectEachOnce();
        const outcomes = model.outcomes;
        requests.forEach((r, i) => {
          if (r.timeout === undefined && r.cancelAfter === undefined) expect(outcomes[i]).toEqual(['granted']);
        });
        expect(peak).toBeLessThanOrEqual(total);
        expect(live).toBe(0);
        expect(limiter.waiting).toBe(0);
        expect(limiter.borrowed).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
