import fc from 'fast-check';
import { NEVER, Observable, VirtualTimeScheduler, config, defer, lastValueFrom, merge, of, take, toArray, type Subscription } from 'rxjs';
import { RateLimiter, type RateState, type RateTicket } from '../lib/resilience/rateLimiter';
import { withRate } from '../lib/resilience/withRate';
import { RateLimitExceededError, StoreUnavailableError } from '../lib/resilience/errors';
import { LocalRateStore } from '../lib/resilience/store';
import { PromiseRateStore, until } from './support/promise-store';
import { DeadlineError } from '../lib/errors';
import { QueueModel } from './support/queue-order';

const virtual = (): VirtualTimeScheduler => new VirtualTimeScheduler();

describe('RateLimiter: bad input throws at construction, naming the value', () => {
  it.each([
    [{ limit: 0, interval: 100 }, RangeError, 'Expected `options.limit` to be an integer from 1 and up, got `0` (number)'],
    [{ limit: NaN, interval: 100 }, RangeError, 'Expected `options.limit` to be an integer from 1 and up, got `NaN` (number)'],
    [{ limit: 1.5, interval: 100 }, RangeError, '`1.5` (number)'],
    [{ limit: Infinity, interval: 100 }, RangeError, '`Infinity` (number)'],
    [{ limit: '3', interval: 100 }, RangeError, '`"3"` (string)'],
    [{ interval: 100 }, TypeError, 'Expected `options.limit` (required) to be an integer from 1 and up, got `undefined` (undefined)'],
    [{ limit: 3, interval: 0 }, RangeError, 'Expected `options.interval` to be a finite number above 0, got `0` (number)'],
    [{ limit: 3, interval: -5 }, RangeError, '`-5` (number)'],
    [{ limit: 3, interval: NaN }, RangeError, '`NaN` (number)'],
    [{ limit: 3, interval: Infinity }, RangeError, '`Infinity` (number)'],
    [{ limit: 3 }, TypeError, 'Expected `options.interval` (required) to be a finite number above 0 (ms), got `undefined` (undefined)'],
    [{ limit: 3, interval: 10, limt: 4 }, TypeError, 'Unknown option `options.limt`; expected one of `limit`, `interval`, `spread`, `maxWaiting`, `scheduler`, `store`'],
    [{ limit: 3, interval: 10, spread: 'yes' }, TypeError, '`options.spread` to be a boolean'],
    [{ limit: 3, interval: 10, maxWaiting: -1 }, RangeError, '`options.maxWaiting` to be an integer from 0 and up or `Infinity`, got `-1` (number)'],
    [{ limit: 3, interval: 10, scheduler: {} }, TypeError, '`options.scheduler` to be a scheduler'],
    [{ limit: 3, interval: 10, store: { key: 'x', acquire() {} } }, TypeError, 'Expected `options.store` to be a RateStore (an object with `key` (string), `acquire()`, `peek()`)'],
  ])('%p', (options, kind, message) => {
    expect(() => new RateLimiter(options as never)).toThrow(kind);
    expect(() => new RateLimiter(options as never)).toThrow(message);
  });

  it('rejects a missing options object', () => {
    expect(() => new (RateLimiter as new (o?: unknown) => RateLimiter)()).toThrow('Expected `options.limit` (required)');
    expect(() => new RateLimiter(null as never)).toThrow('Expected `options` to be an object, got `null` (null)');
  });

  it('a cost above the limit (or not an integer ≥ 1) throws when the operator or task is created', () => {
    const limiter = new RateLimiter({ limit: 3, interval: 10 });
    expect(() => withRate(limiter, { cost: 4 })).toThrow(new RangeError('Expected `options.cost` to be an integer from 1 to the limit 3, got `4` (number)'));
    expect(() => withRate(limiter, { cost: 0 })).toThrow(RangeError);
    expect(() => withRate(limiter, { cost: 1.5 })).toThrow('`1.5` (number)');
    expect(() => withRate(limiter, { cots: 1 } as never)).toThrow('Unknown option `options.cots`; expected one of `cost`');
    expect(() => limiter.run(() => of(1), { cost: 4 })).toThrow('to the limit 3, got `4`');
    expect(() => limiter.acquire(() => {}, { cost: 4 })).toThrow('Expected `options.cost` to be an integer from 1 to the limit 3, got `4` (number)');
    expect(() => limiter.acquire(42 as never)).toThrow('Expected `onGranted` to be a function, got `42` (number)');
    expect(() => limiter.run(42 as never)).toThrow('Expected `task` to be a task');
    expect(() => withRate({} as never)).toThrow('Expected `limiter` to be a RateLimiter, got `{}` (object)');
    expect(() => limiter.run(42 as never)).toThrow(TypeError);
  });

  it('setters validate and keep the old value on error', () => {
    const limiter = new RateLimiter({ limit: 3, interval: 10 });
    expect(() => (limiter.limit = 0)).toThrow('Expected `limit` to be an integer from 1 and up, got `0` (number)');
    expect(() => (limiter.interval = -1)).toThrow('Expected `interval` to be a finite number above 0, got `-1` (number)');
    expect(limiter.limit).toBe(3);
    expect(limiter.interval).toBe(10);
  });
});

describe('RateLimiter: promises, synchronous inners, re-entrancy', () => {
  it('run(promise factory) with real time: the grants respect the window', async () => {
    const limiter = new RateLimiter({ limit: 2, interval: 40 });
    const starts: number[] = [];
    const t0 = performance.now();
    const results = await lastValueFrom(
      merge(...[1, 2, 3, 4, 5].map((i) => limiter.run(() => (starts.push(performance.now() - t0), Promise.resolve(i))))).pipe(toArray()),
    );
    expect(results.sort()).toEqual([1, 2, 3, 4, 5]);
    // 2 at once, 2 after one interval, 1 after two (timers never fire early).
    expect(starts[1]!).toBeLessThan(40);
    expect(starts[2]!).toBeGreaterThanOrEqual(39);
    expect(starts[4]!).toBeGreaterThanOrEqual(79);
  });

  it('a synchronous source granted at once runs inside subscribe, and take(1) stops it', () => {
    const limiter = new RateLimiter({ limit: 5, interval: 10, scheduler: virtual() });
    const seen: number[] = [];
    let emitted = 0;
    const source = new Observable<number>((s) => {
      for (let i = 0; i < 100 && !s.closed; i++) (emitted++, s.next(i));
      s.complete();
    });
    source.pipe(withRate(limiter), take(1)).subscribe((v) => seen.push(v));
    expect(seen).toEqual([0]);
    expect(emitted).toBe(1);
    expect(limiter.snapshot().granted).toBe(1);
  });

  it('re-entrancy: a grant that synchronously asks again is queued behind those already waiting', () => {
    const scheduler = virtual();
    const limiter = new RateLimiter({ limit: 2, interval: 10, scheduler });
    const order: string[] = [];
    const at = (name: string) => () => (order.push(`${name}@${scheduler.now()}`), of(0));
    const nested = defer(at('nested')).pipe(withRate(limiter));
    [defer(at('x')), defer(at('y')), defer(() => (order.push(`b@${scheduler.now()}`), nested)), defer(at('c'))].forEach((s) =>
      s.pipe(withRate(limiter)).subscribe(),
    );
    expect(order).toEqual(['x@0', 'y@0']);
    scheduler.flush();
    // At 10, b is granted and asks for nested inside its grant: nested queues behind c.
    expect(order).toEqual(['x@0', 'y@0', 'b@10', 'c@10', 'nested@20']);
  });

  it('re-entrancy: a state$ listener that raises the limit lets waiters in at once', () => {
    const scheduler = virtual();
    const limiter = new RateLimiter({ limit: 1, interval: 10, scheduler });
    const started: number[] = [];
    limiter.state$.subscribe((s: RateState) => {
      if (s.waiting === 2) limiter.limit = 3;
    });
    [0, 1, 2].forEach((i) => defer(() => (started.push(i), NEVER)).pipe(withRate(limiter)).subscribe());
    expect(started).toEqual([0, 1, 2]);
  });

  it('acquire: tickets move from waiting to granted or cancelled; cancel is idempotent', () => {
    const scheduler = virtual();
    const limiter = new RateLimiter({ limit: 1, interval: 10, scheduler });
    const granted: string[] = [];
    const a = limiter.acquire(() => granted.push('a'));
    const b = limiter.acquire(() => granted.push('b'));
    const c = limiter.acquire(() => granted.push('c'));
    expect([a.state, b.state, c.state]).toEqual(['granted', 'waiting', 'waiting']);
    b.cancel();
    b.cancel();
    a.cancel(); // granted: nothing to give back
    scheduler.flush();
    expect(granted).toEqual(['a', 'c']);
    expect([a.state, b.state, c.state]).toEqual(['granted', 'cancelled', 'granted']);
  });

  it('a store that throws: the waiter fails with StoreUnavailableError and its ticket is cancelled', () => {
    const store = { key: 'broken', acquire: () => { throw new Error('down'); }, peek: () => ({ used: 0, retryAfter: 0 }) };
    const limiter = new RateLimiter({ limit: 1, interval: 10, scheduler: virtual(), store: store as never });
    const errors: unknown[] = [];
    const ticket = limiter.acquire(() => {}, { onError: (e) => errors.push(e) });
    expect(ticket.state).toBe('cancelled');
    expect(errors[0]).toBeInstanceOf(StoreUnavailableError);
  });

  it.each([[-1, '`-1` (number)'], [Infinity, '`Infinity` (number)'], [NaN, '`NaN` (number)']])('a store answering %p: the waiter fails with StoreUnavailableError naming the answer', (answer, shown) => {
    const store = { key: 'odd', acquire: () => answer, peek: () => ({ used: 0, retryAfter: 0 }) };
    const scheduler = virtual();
    const limiter = new RateLimiter({ limit: 1, interval: 10, scheduler, store: store as never });
    const errors: unknown[] = [];
    const ticket = limiter.acquire(() => {}, { onError: (e) => errors.push(e) });
    expect(ticket.state).toBe('cancelled');
    expect((errors[0] as Error).message).toBe(`The limiter store \`odd\` is unavailable: the store answered ${shown}, expected 0 or a number of ms above 0`);
    expect(scheduler.actions.length).toBe(0);
  });

  it('maxWaiting 0: never wait, shed at once while the window is full', () => {
    const limiter = new RateLimiter({ limit: 1, interval: 10, maxWaiting: 0, scheduler: virtual() });
    const errors: unknown[] = [];
    const t1: RateTicket = limiter.acquire(() => {}, { onError: (e) => errors.push(e) });
    const t2 = limiter.acquire(() => {}, { onError: (e) => errors.push(e) });
    expect([t1.state, t2.state]).toEqual(['granted', 'cancelled']);
    expect(errors).toEqual([new RateLimitExceededError(0)]);
    expect((errors[0] as Error).message).toBe('RateLimiter: no grant possible now and 0 requests already waiting (maxWaiting 0)');
  });
});

describe('RateLimiter: a throwing consumer callback cannot corrupt its state', () => {
  it('onGranted or onError throwing: reported to config.onUnhandledError later; the grant counts, the next waiters are granted in order and on time', async () => {
    const scheduler = virtual();
    const limiter = new RateLimiter({ limit: 1, interval: 10, scheduler });
    const log: string[] = [];
    const reported: unknown[] = [];
    const previous = config.onUnhandledError;
    config.onUnhandledError = (error) => reported.push(error);
    const boom = (name: string) => (): never => {
      throw new Error(name);
    };
    try {
      const fast = limiter.acquire(boom('fast path')); // granted inside acquire
      expect(fast.state).toBe('granted');
      limiter.acquire(boom('queued')); // granted at 10, by the retry timer
      limiter.acquire(() => log.push(`c@${scheduler.now()}`), { timeout: 25, onError: boom('never called') });
      limiter.acquire(() => log.push('d'), { timeout: 5, onError: boom('timed out') });
      limiter.acquire(() => log.push(`e@${scheduler.now()}`));
      scheduler.flush();
      expect(reported).toEqual([]); // never synchronously
      await new Promise((resolve) => setTimeout(resolve, 5));
    } finally {
      config.onUnhandledError = previous;
    }
    expect(log).toEqual(['c@20', 'e@30']);
    expect(reported.map((e) => (e as Error).message)).toEqual(['fast path', 'timed out', 'queued']);
    expect(limiter.snapshot()).toMatchObject({ granted: 1, waiting: 0 });
  });
});

describe('RateLimiter with an asynchronous store (the seam)', () => {
  it('grants through round trips on the server clock, FIFO, and every window holds at most limit', async () => {
    const server = new PromiseRateStore();
    const p1 = new RateLimiter({ limit: 3, interval: 30, store: server.client() });
    const p2 = new RateLimiter({ limit: 3, interval: 30, store: server.client() });
    const order: number[] = [];
    const all = Array.from({ length: 12 }, (_, i) => (i % 2 ? p1 : p2).run(() => (order.push(i), Promise.resolve(i))));
    // Nothing is granted synchronously: the first answer is one round trip away.
    const done = lastValueFrom(merge(...all).pipe(toArray()));
    expect(order).toEqual([]);
    await done;
    expect(order.filter((i) => i % 2 === 1)).toEqual([1, 3, 5, 7, 9, 11]); // FIFO in each "process"
    for (const { at } of server.grants) {
      const inWindow = server.grants.filter((g) => g.at >= at && g.at < at + 30).reduce((n, g) => n + g.cost, 0);
      expect(inWindow).toBeLessThanOrEqual(3);
    }
    expect(server.grants).toHaveLength(12);
  });

  it('a store failure errors every waiter queued then with StoreUnavailableError; later ones try again', async () => {
    const server = new PromiseRateStore('api-rate');
    const limiter = new RateLimiter({ limit: 1, interval: 10_000, store: server.client() });
    server.down = true;
    const errors: unknown[] = [];
    for (let i = 0; i < 3; i++) limiter.run(() => of(i)).subscribe({ error: (e) => errors.push(e) });
    await until(() => errors.length === 3);
    for (const e of errors) {
      expect(e).toBeInstanceOf(StoreUnavailableError);
      expect((e as Error).message).toBe('The limiter store `api-rate` is unavailable: timed out after 50 ms');
    }
    expect(server.grants).toHaveLength(0);
    expect(limiter.waiting).toBe(0);
    server.down = false;
    await expect(lastValueFrom(limiter.run(() => of('back')))).resolves.toBe('back');
  });

  it('a grant arriving after its waiter left goes to the next waiter that costs no more', async () => {
    const server = new PromiseRateStore();
    const limiter = new RateLimiter({ limit: 5, interval: 10_000, store: server.client() });
    const started: string[] = [];
    const a = defer(() => (started.push('a'), NEVER)).pipe(withRate(limiter, { cost: 2 })).subscribe();
    defer(() => (started.push('b'), NEVER)).pipe(withRate(limiter)).subscribe();
    a.unsubscribe(); // leaves while its attempt (cost 2) is in flight
    await until(() => started.length > 0);
    expect(started).toEqual(['b']);
    expect(server.grants.map((g) => g.cost)).toEqual([2]); // b used a's grant (the unused 1 is simply lost)
  });

  it('a late grant is not handed to a next waiter that costs more: that one asks for itself', async () => {
    const server = new PromiseRateStore();
    const limiter = new RateLimiter({ limit: 5, interval: 10_000, store: server.client() });
    const started: string[] = [];
    const a = defer(() => (started.push('a'), NEVER)).pipe(withRate(limiter)).subscribe();
    defer(() => (started.push('b'), NEVER)).pipe(withRate(limiter, { cost: 3 })).subscribe();
    a.unsubscribe();
    await until(() => started.length > 0);
    expect(started).toEqual(['b']);
    expect(server.grants.map((g) => g.cost)).toEqual([1, 3]);
  });

  it('a wake-up retries the head at once instead of waiting for its timer', async () => {
    const server = new PromiseRateStore();
    const limiter = new RateLimiter({ limit: 1, interval: 60_000, store: server.client() });
    await lastValueFrom(limiter.run(() => of(1)));
    let started = false;
    limiter.run(() => ((started = true), of(2))).subscribe();
    await until(() => server.answers.length === 2);
    expect(server.answers[1]).toBeGreaterThan(59_000); // refused: retry in a minute
    server.reset(); // the window is emptied server-side (another process lowered its use, an admin)…
    await new Promise((r) => setTimeout(r, 20));
    expect(started).toBe(false); // …but nobody asks before its timer…
    server.wakeAll(); // …unless woken
    await until(() => started);
  });

  it('a wake-up during an attempt makes its refusal stale: the head asks again at once', async () => {
    const replies: ((wait: number) => void)[] = [];
    let wake = (): void => {};
    const limiter = new RateLimiter({
      limit: 1,
      interval: 60_000,
      store: {
        key: 'k',
        attach: (listener) => void (wake = listener.wake),
        acquire: () => new Promise<number>((resolve) => replies.push(resolve)),
        peek: () => ({ used: 0, retryAfter: 0 }),
      },
    });
    let started = false;
    limiter.run(() => ((started = true), of(1))).subscribe();
    expect(replies).toHaveLength(1);
    wake(); // capacity may be free: but the attempt is still in flight…
    expect(replies).toHaveLength(1); // …so no second one yet
    replies[0]!(60_000); // …and its refusal, decided before the wake-up, is stale
    await until(() => replies.length === 2);
    replies[1]!(0);
    await until(() => started);
  });

  it('the default store is a LocalRateStore: an exact log, not buckets', () => {
    const store = new LocalRateStore();
    const req = (now: number, cost = 1) => ({ cost, limit: 2, interval: 10, spread: false, now });
    expect(store.acquire(req(0))).toBe(0);
    expect(store.acquire(req(5))).toBe(0);
    expect(store.acquire(req(9))).toBe(1); // 0 leaves the window at 10
    expect(store.acquire(req(10))).toBe(0);
    expect(store.acquire(req(12, 2))).toBe(8); // both 5 and 10 must leave: at 20
    expect(store.peek(req(12))).toEqual({ used: 2, retryAfter: 3 });
  });

  it('LocalRateStore: a grant leaves the window exactly when its retry time says, also at fractional times (spread)', () => {
    // What the property found: 32.33333333333333 - 10 rounds below 22.333333333333332, so the
    // store still counted that grant while granting at the time it computed for its leaving.
    const store = new LocalRateStore();
    const req = (now: number, cost = 1) => ({ cost, limit: 3, interval: 10, spread: false, now });
    const t = 19 + 10 / 3;
    expect(store.acquire(req(t))).toBe(0);
    expect(store.acquire(req(t + 10 / 3))).toBe(0);
    expect(store.acquire(req(t + 1, 2))).toBeCloseTo(9); // waits for t to leave, at t + 10
    expect(store.acquire(req(t + 10, 2))).toBe(0);
    expect(store.peek(req(t + 10)).used).toBe(3);
  });

  it('LocalRateStore: the log reaches back the longest interval asked for, so a window lengthened again counts what a shorter one let go', () => {
    const store = new LocalRateStore();
    const req = (now: number, interval: number, cost = 1) => ({ cost, limit: 2, interval, spread: false, now });
    expect(store.acquire(req(0, 10))).toBe(0);
    expect(store.acquire(req(0, 10))).toBe(0);
    expect(store.acquire(req(2, 2))).toBe(0); // the two at 0 left the 2 ms window
    expect(store.peek(req(2, 2)).used).toBe(1);
    expect(store.acquire(req(4, 10))).toBe(6); // 10 ms again: they are back in it, until 10
    expect(store.peek(req(4, 10)).used).toBe(3);
    expect(store.acquire(req(10, 10))).toBe(0);
    expect(store.acquire(req(25, 10, 2))).toBe(0); // all forgotten past the longest window
    expect(store.peek(req(25, 10)).used).toBe(2);
  });
});

describe('RateLimiter property', () => {
  it('every window of interval holds at most limit cost; every acquire is granted, shed or cancelled exactly once', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 20 }),
        fc.boolean(),
        fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
        fc.array(
          fc.record({
            at: fc.integer({ min: 0, max: 60 }),
            cost: fc.integer({ min: 1, max: 6 }),
            cancelAfter: fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }),
          }),
          { maxLength: 30 },
        ),
        (limit, interval, spread, maxWaiting, requests) => {
          const scheduler = virtual();
          const limiter = new RateLimiter({ limit, interval, spread, scheduler, ...(maxWaiting === undefined ? {} : { maxWaiting }) });
          const grants: { at: number; cost: number; i: number }[] = [];
          const outcomes = requests.map(() => [] as string[]);
          requests.forEach((r, i) => {
            const cost = Math.min(r.cost, limit);
            scheduler.schedule(() => {
              const ticket = limiter.acquire(
                () => {
                  outcomes[i]!.push('granted');
                  grants.push({ at: scheduler.now(), cost, i });
                },
                { cost, onError: (e) => outcomes[i]!.push(e instanceof RateLimitExceededError ? 'shed' : `error ${String(e)}`) },
              );
              if (r.cancelAfter !== undefined) {
                scheduler.schedule(() => {
                  if (ticket.state === 'waiting') {
                    ticket.cancel();
                    outcomes[i]!.push('cancelled');
                  }
                }, r.cancelAfter);
              }
            }, r.at);
          });
          scheduler.flush();
          for (const o of outcomes) {
            expect(o).toHaveLength(1);
            expect(['granted', 'shed', 'cancelled']).toContain(o[0]);
          }
          expect(limiter.waiting).toBe(0);
          for (const { at } of grants) {
            const inWindow = grants.filter((g) => g.at >= at && g.at < at + interval).reduce((n, g) => n + g.cost, 0);
            expect(inWindow).toBeLessThanOrEqual(limit);
          }
          if (spread) {
            for (let k = 1; k < grants.length; k++) {
              expect(grants[k]!.at - grants[k - 1]!.at).toBeGreaterThanOrEqual((grants[k - 1]!.cost * interval) / limit - 1e-9);
            }
          }
          // FIFO: grants come in arrival order (requests sorted by arrival; ties keep array order).
          const arrivalOrder = requests.map((r, i) => ({ at: r.at, i })).sort((x, y) => x.at - y.at || x.i - y.i);
          const grantedInOrder = arrivalOrder.filter(({ i }) => outcomes[i]![0] === 'granted').map(({ i }) => i);
          expect(grants.map((g) => g.i)).toEqual(grantedInOrder);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('RateLimiter property: limit and interval changed at run time', () => {
  it('each grant fits the settings in force at it (window and spacing); every request is granted, times out, is cancelled, shed or refused as too costly exactly once, in queue order', () => {
    const change = fc.record({
      at: fc.integer({ min: 0, max: 50 }),
      limit: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
      interval: fc.option(fc.integer({ min: 1, max: 12 }), { nil: undefined }),
    });
    const request = fc.record({
      at: fc.integer({ min: 0, max: 50 }),
      cost: fc.integer({ min: 1, max: 4 }),
      priority: fc.integer({ min: -1, max: 1 }),
      timeout: fc.option(fc.integer({ min: 0, max: 15 }), { nil: undefined }),
      cancelAfter: fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 10 }),
        fc.boolean(),
        fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
        fc.array(change, { maxLength: 6 }),
        fc.array(request, { maxLength: 25 }),
        (limit, interval, spread, maxWaiting, changes, requests) => {
          const scheduler = virtual();
          const limiter = new RateLimiter({ limit, interval, spread, scheduler, ...(maxWaiting === undefined ? {} : { maxWaiting }) });
          const model = new QueueModel(requests.length);
          const grants: { at: number; cost: number; horizon: number }[] = [];
          let horizon = 0;
          const unfit: string[] = [];
          changes.forEach((c) =>
            scheduler.schedule(() => {
              if (c.limit !== undefined) limiter.limit = c.limit;
              if (c.interval !== undefined) limiter.interval = c.interval;
            }, c.at),
          );
          requests.forEach((r, i) => {
            scheduler.schedule(() => {
              const cost = Math.min(r.cost, limiter.limit); // a cost above the limit throws at the call
              model.arrive(i, r.priority);
              const ticket = limiter.acquire(
                () => {
                  const now = scheduler.now();
                  const { limit: max, interval: window } = limiter;
                  const last = grants.at(-1);
                  horizon = Math.max(horizon, window);
                  grants.push({ at: now, cost, horizon });
                  // A grant counts over the interval in force, but at most the longest interval
                  // in force at a grant until it (how far back the store's log reaches).
                  const used = grants.filter((g) => g.at + Math.min(window, g.horizon) > now).reduce((n, g) => n + g.cost, 0);
                  if (used > max) unfit.push(`${used} in the window (${now - window}, ${now}] over the limit ${max}`);
                  if (spread && last !== undefined && now - last.at < (last.cost * window) / max - 1e-9) unfit.push(`spread: ${last.at} then ${now}`);
                  model.granted(i);
                },
                {
                  cost,
                  priority: r.priority,
                  ...(r.timeout === undefined ? {} : { timeout: r.timeout }),
                  onError: (e) =>
                    model.end(
                      i,
                      e instanceof DeadlineError ? 'timed out' : e instanceof RateLimitExceededError ? 'shed' : e instanceof RangeError ? 'too costly' : `error ${String(e)}`,
                    ),
                },
              );
              if (r.cancelAfter !== undefined) {
                scheduler.schedule(() => {
                  if (ticket.state === 'waiting') {
                    model.end(i, 'cancelled');
                    ticket.cancel();
                  }
                }, r.cancelAfter);
              }
            }, r.at);
          });
          scheduler.flush();
          expect(unfit).toEqual([]);
          model.expectEachOnce(['granted', 'timed out', 'cancelled', 'shed', 'too costly']);
          requests.forEach((r, i) => {
            if (r.timeout === undefined && r.cancelAfter === undefined) expect(['granted', 'shed', 'too costly']).toContain(model.outcomes[i]![0]);
          });
          expect(limiter.waiting).toBe(0);
          expect(scheduler.actions).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('RateLimiter: priority and queue-wait limits', () => {
  it.each([
    [{ priority: NaN }, RangeError, 'Expected `options.priority` to be a finite number, got `NaN` (number)'],
    [{ priority: -Infinity }, RangeError, '`options.priority` to be a finite number'],
    [{ timeout: -1 }, RangeError, 'Expected `options.timeout` to be a finite number from 0 and up, got `-1` (number)'],
    [{ timeout: NaN }, RangeError, '`options.timeout`'],
    [{ timout: 5 }, TypeError, 'Unknown option `options.timout`; expected one of `cost`, `priority`, `timeout`'],
  ])('withRate and run reject %p at creation', (options, kind, message) => {
    const limiter = new RateLimiter({ limit: 2, interval: 10 });
    expect(() => withRate(limiter, options as never)).toThrow(kind);
    expect(() => withRate(limiter, options as never)).toThrow(message);
    expect(() => limiter.run(of(1), options as never)).toThrow(message);
  });

  it('acquire rejects a bad priority or timeout, and lists them among its keys', () => {
    const limiter = new RateLimiter({ limit: 2, interval: 10 });
    expect(() => limiter.acquire(() => undefined, { priority: NaN })).toThrow('`options.priority`');
    expect(() => limiter.acquire(() => undefined, { timeout: -1 })).toThrow('`options.timeout`');
    expect(() => limiter.acquire(() => undefined, { prio: 1 } as never)).toThrow('expected one of `cost`, `onError`, `priority`, `timeout`');
    expect(limiter.waiting).toBe(0);
  });

  it('a head cancelled when its grant is due hands it to the next waiter inside cancel(), before cancel() returns', () => {
    const scheduler = virtual();
    const limiter = new RateLimiter({ limit: 1, interval: 9, scheduler });
    const log: string[] = [];
    const at = (name: string) => () => log.push(`${name}@${scheduler.now()}`);
    limiter.acquire(at('first'));
    limiter.acquire(at('low'));
    limiter.acquire(at('high'), { priority: 1 });
    let head: RateTicket | undefined;
    scheduler.schedule(() => (head = limiter.acquire(at('head'), { priority: 1 })), 8);
    scheduler.schedule(() => {
      log.push('cancel');
      head!.cancel(); // the head, at 18: its grant was due now
      log.push('cancelled');
    }, 18);
    scheduler.flush();
    expect(log).toEqual(['first@0', 'high@9', 'cancel', 'low@18', 'cancelled']);
    expect(head!.state).toBe('cancelled');
  });

  it('property: every request is granted, times out or is cancelled exactly once; every window holds at most limit; no one overtakes a waiter of higher priority or an older one of its own', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 10 }),
        fc.array(
          fc.record({
            at: fc.integer({ min: 0, max: 40 }),
            priority: fc.integer({ min: -1, max: 2 }),
            timeout: fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined }),
            cancelAfter: fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }),
          }),
          { maxLength: 25 },
        ),
        (limit, interval, requests) => {
          const scheduler = virtual();
          const limiter = new RateLimiter({ limit, interval, scheduler });
          const grants: number[] = [];
          const model = new QueueModel(requests.length);
          requests.forEach((r, i) => {
            scheduler.schedule(() => {
              model.arrive(i, r.priority);
              const ticket = limiter.acquire(
                () => {
                  model.granted(i);
                  grants.push(scheduler.now());
                },
                {
                  priority: r.priority,
                  ...(r.timeout === undefined ? {} : { timeout: r.timeout }),
                  onError: (e) => model.end(i, e instanceof DeadlineError ? 'timed out' : `error ${String(e)}`),
                },
              );
              if (r.cancelAfter !== undefined) {
                scheduler.schedule(() => {
                  if (ticket.state === 'waiting') {
                    // Before cancel(): leaving may grant the next waiter inside the call.
                    model.end(i, 'cancelled');
                    ticket.cancel();
                  }
                }, r.cancelAfter);
              }
            }, r.at);
          });
          scheduler.flush();
          model.expectEachOnce();
          expect(limiter.waiting).toBe(0);
          for (const at of grants) expect(grants.filter((g) => g >= at && g < at + interval).length).toBeLessThanOrEqual(limit);
        },
      ),
      {
        numRuns: 300,
        // The counterexample an unseeded run once found (shrunk): at 37, 2 (priority 1) cancels
        // while it heads the queue, at the frame its grant was due; leaving retries the store at
        // once and 1 is granted inside `cancel()`. The model, told of the cancellation only after
        // `cancel()` returned, saw 1 overtake a waiter of higher priority.
        examples: [
          [
            1,
            9,
            [
              { at: 19, priority: 0, timeout: undefined, cancelAfter: undefined },
              { at: 19, priority: 0, timeout: undefined, cancelAfter: undefined },
              { at: 27, priority: 1, timeout: undefined, cancelAfter: 10 },
              { at: 19, priority: 1, timeout: undefined, cancelAfter: undefined },
            ],
          ],
        ],
      },
    );
  });
});
