import fc from 'fast-check';
import { NEVER, Observable, lastValueFrom, merge, timer, map, type Subscription } from 'rxjs';
import { CapacityLimiter } from '../lib/resilience/capacityLimiter';
import { withCapacity } from '../lib/resilience/withCapacity';
import { CapacityExceededError, LeaseLostError, StoreUnavailableError } from '../lib/resilience/errors';
import { LocalCapacityStore, type CapacityStore, type StoreListener } from '../lib/resilience/store';
import { PromiseCapacityStore, until } from './support/promise-store';

/** A task that records when it starts and ends, running `ms` of real time. */
function job(name: string, ms: number, events: string[], gauge: { live: number; peak: number }): Observable<string> {
  return new Observable<string>((subscriber) => {
    events.push(`start ${name}`);
    gauge.live++;
    gauge.peak = Math.max(gauge.peak, gauge.live);
    const t = setTimeout(() => {
      subscriber.next(name);
      subscriber.complete();
    }, ms);
    return () => {
      gauge.live--;
      clearTimeout(t);
    };
  });
}

describe('CapacityLimiter with an asynchronous store (the seam)', () => {
  it('grants asynchronously, FIFO within the process, never above total', async () => {
    const server = new PromiseCapacityStore();
    const limiter = new CapacityLimiter(2, { store: server.client() });
    const events: string[] = [];
    const gauge = { live: 0, peak: 0 };
    const jobs = ['a', 'b', 'c', 'd', 'e'].map((n) => job(n, 5, events, gauge).pipe(withCapacity(limiter)));
    // Nothing starts synchronously: the first answer is one round trip away.
    const done = lastValueFrom(merge(...jobs).pipe(map(() => events.length)));
    expect(events).toEqual([]);
    expect(limiter.waiting).toBe(5);
    await done;
    expect(events.filter((e) => e.startsWith('start'))).toEqual(['start a', 'start b', 'start c', 'start d', 'start e']);
    expect(gauge.peak).toBe(2);
    expect(server.peak).toBe(2);
    await until(() => server.held.size === 0);
    expect(limiter.borrowed).toBe(0);
  });

  it('two limiters ("processes") on one store share its total and wake each other', async () => {
    const server = new PromiseCapacityStore();
    const p1 = new CapacityLimiter(3, { store: server.client() });
    const p2 = new CapacityLimiter(3, { store: server.client() });
    const events: string[] = [];
    const gauge = { live: 0, peak: 0 };
    const all = Array.from({ length: 20 }, (_, i) => job(`${i}`, 1 + (i % 4), events, gauge).pipe(withCapacity(i % 2 ? p1 : p2)));
    await lastValueFrom(merge(...all));
    expect(events.filter((e) => e.startsWith('start'))).toHaveLength(20);
    expect(gauge.peak).toBeLessThanOrEqual(3);
    expect(server.peak).toBe(3);
    await until(() => server.held.size === 0);
  });

  it('a grant that arrives after its waiter unsubscribed goes back to the store', async () => {
    const server = new PromiseCapacityStore();
    const limiter = new CapacityLimiter(1, { store: server.client() });
    server.pause();
    let started = false;
    const sub = new Observable(() => void (started = true)).pipe(withCapacity(limiter)).subscribe();
    expect(limiter.waiting).toBe(1);
    sub.unsubscribe(); // leaves the queue at once, while its acquire is in flight
    expect(limiter.waiting).toBe(0);
    server.resume();
    await until(() => server.log.includes('release 1'));
    expect(server.log).toEqual(['grant 1', 'release 1']);
    expect(server.held.size).toBe(0);
    expect(started).toBe(false);
    expect(limiter.borrowed).toBe(0);
  });

  it('a late grant goes to the next waiter in line instead (fungible tokens, FIFO kept)', async () => {
    const server = new PromiseCapacityStore();
    const limiter = new CapacityLimiter(1, { store: server.client() });
    server.pause();
    const started: string[] = [];
    const a = new Observable(() => void started.push('a')).pipe(withCapacity(limiter)).subscribe();
    const b = new Observable(() => void started.push('b')).pipe(withCapacity(limiter)).subscribe();
    a.unsubscribe();
    server.resume();
    await until(() => started.length > 0);
    expect(started).toEqual(['b']);
    expect(server.log).toEqual(['grant 1']);
    b.unsubscribe();
    await until(() => server.held.size === 0);
  });

  it('a lost lease aborts the task signal with LeaseLostError and errors the task with it', async () => {
    const server = new PromiseCapacityStore();
    const limiter = new CapacityLimiter(1, { store: server.client() });
    let signal: AbortSignal | undefined;
    let error: unknown;
    limiter.run(({ signal: s }) => ((signal = s), new Promise(() => {}))).subscribe({ error: (e) => (error = e) });
    const nextInLine = limiter.run(() => Promise.resolve('next'));
    const next = lastValueFrom(nextInLine);
    await until(() => signal !== undefined);
    expect(limiter.borrowed).toBe(1);
    const [token] = [...server.held];
    server.lose(token!);
    expect(signal!.aborted).toBe(true);
    expect(signal!.reason).toBeInstanceOf(LeaseLostError);
    expect(error).toBe(signal!.reason);
    expect((error as LeaseLostError).key).toBe('test');
    expect(String((error as Error).message)).toMatch(/`test`.*not renewed within 100 ms/);
    expect(limiter.borrowed).toBe(0);
    // The lost token is not released (the store said it is gone), and the next waiter gets a new one.
    await expect(next).resolves.toBe('next');
    await until(() => server.held.size === 0);
    expect(server.log.filter((e) => e.startsWith('release'))).toEqual(['release 2']);
  });

  it('withCapacity: a lost lease unsubscribes the source and errors downstream', async () => {
    const server = new PromiseCapacityStore();
    const limiter = new CapacityLimiter(1, { store: server.client() });
    let live = false;
    let error: unknown;
    new Observable(() => {
      live = true;
      return () => (live = false);
    })
      .pipe(withCapacity(limiter))
      .subscribe({ error: (e) => (error = e) });
    await until(() => live);
    server.lose([...server.held][0]!);
    expect(live).toBe(false);
    expect(error).toBeInstanceOf(LeaseLostError);
  });

  it('a store failure errors the waiters with StoreUnavailableError, grants nothing, and later requests try again', async () => {
    const server = new PromiseCapacityStore('api');
    const limiter = new CapacityLimiter(2, { store: server.client() });
    const running = limiter.run(() => NEVER).subscribe();
    await until(() => limiter.borrowed === 1);
    server.down = true;
    const errors: unknown[] = [];
    const subs: Subscription[] = [];
    let started = 0;
    for (let i = 0; i < 3; i++) subs.push(limiter.run(() => (started++, NEVER)).subscribe({ error: (e) => errors.push(e) }));
    await until(() => errors.length === 3);
    expect(started).toBe(0);
    for (const e of errors) {
      expect(e).toBeInstanceOf(StoreUnavailableError);
      expect((e as StoreUnavailableError).key).toBe('api');
      expect((e as Error).message).toBe('The limiter store `api` is unavailable: connect ECONNREFUSED 127.0.0.1:6379');
      expect(((e as Error).cause as Error).message).toMatch(/ECONNREFUSED/);
    }
    expect(server.peak).toBe(1);
    expect(limiter.waiting).toBe(0);
    // The task already running keeps running; when the server is back, limiting resumes.
    expect(running.closed).toBe(false);
    server.down = false;
    await lastValueFrom(limiter.run(() => timer(1)));
    expect(server.peak).toBe(2);
    running.unsubscribe();
  });

  it('a store that throws synchronously errors the waiters with StoreUnavailableError', () => {
    const limiter = new CapacityLimiter(1, {
      store: {
        key: 'broken',
        acquire: () => {
          throw new Error('no connection');
        },
        release: () => {},
      },
    });
    let error: unknown;
    NEVER.pipe(withCapacity(limiter)).subscribe({ error: (e) => (error = e) });
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toBe('The limiter store `broken` is unavailable: no connection');
  });

  it('a refusal waits for a wake-up (a release elsewhere), not for a poll', async () => {
    const server = new PromiseCapacityStore();
    const p1 = new CapacityLimiter(1, { store: server.client() });
    const p2 = new CapacityLimiter(1, { store: server.client() });
    const holder = NEVER.pipe(withCapacity(p1)).subscribe();
    await until(() => p1.borrowed === 1);
    let started = false;
    new Observable(() => void (started = true)).pipe(withCapacity(p2)).subscribe();
    await until(() => server.log.includes('refused'));
    // Blocked: many macrotasks pass without another attempt.
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(server.log.filter((e) => e === 'refused')).toHaveLength(1);
    holder.unsubscribe(); // p1 releases; the "server" publishes; p2 tries again at once
    await until(() => started);
    expect(server.log).toEqual(['grant 1', 'refused', 'release 1', 'grant 2']);
  });

  it('a wake-up that overtakes the reply of a refusal makes that refusal stale: the waiter asks again', async () => {
    const server = new PromiseCapacityStore('test', true);
    const p1 = new CapacityLimiter(1, { store: server.client() });
    const p2 = new CapacityLimiter(1, { store: server.client() });
    const holder = NEVER.pipe(withCapacity(p1)).subscribe();
    await until(() => p1.borrowed === 1);
    let started = false;
    new Observable(() => void (started = true)).pipe(withCapacity(p2)).subscribe(); // refused on the server…
    holder.unsubscribe(); // …then p1's release and its wake-up reach p2 before that refusal does
    await until(() => started);
    expect(server.log).toEqual(['grant 1', 'refused', 'release 1', 'grant 2']);
  });

  it('maxWaiting sheds requests beyond it with CapacityExceededError', () => {
    const limiter = new CapacityLimiter(1, { maxWaiting: 2 });
    const errors: unknown[] = [];
    const subs = Array.from({ length: 5 }, () => NEVER.pipe(withCapacity(limiter)).subscribe({ error: (e) => errors.push(e) }));
    expect(limiter.borrowed).toBe(1);
    expect(limiter.waiting).toBe(2);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toBeInstanceOf(CapacityExceededError);
    expect((errors[0] as CapacityExceededError).maxWaiting).toBe(2);
    subs.forEach((s) => s.unsubscribe());
  });

  it('the default store is a LocalCapacityStore answering synchronously', () => {
    const store = new LocalCapacityStore();
    expect(store.acquire(1)).toBe(true);
    expect(store.acquire(1)).toBeNull();
    store.release();
    expect(store.acquire(1)).toBe(true);
  });

  it('total changes pass to the store: each attempt carries the current total, and resize is told', async () => {
    const server = new PromiseCapacityStore();
    const client = server.client();
    const totals: number[] = [];
    const resized: number[] = [];
    const limiter = new CapacityLimiter(1, {
      store: { ...client, acquire: (total) => (totals.push(total), client.acquire(total)), resize: (t) => void resized.push(t) },
    });
    const subs = [0, 1, 2].map(() => NEVER.pipe(withCapacity(limiter)).subscribe());
    await until(() => limiter.borrowed === 1);
    limiter.total = 3;
    await until(() => limiter.borrowed === 3);
    expect(resized).toEqual([3]);
    expect(totals).toEqual([1, 3, 3]);
    expect(server.peak).toBe(3);
    subs.forEach((s) => s.unsubscribe());
    await until(() => server.held.size === 0);
  });
});

describe('CapacityLimiter options: bad input throws at construction, naming the value', () => {
  it.each([
    [{ maxWaiting: -1 }, RangeError, 'Expected `options.maxWaiting` to be an integer from 0 and up or `Infinity`, got `-1` (number)'],
    [{ maxWaiting: 1.5 }, RangeError, '`1.5` (number)'],
    [{ maxWaitng: 3 }, TypeError, 'Unknown option `options.maxWaitng`; expected one of `store`, `maxWaiting`'],
    [{ store: {} }, TypeError, 'Expected `options.store` to be a CapacityStore (an object with `key` (string), `acquire()`, `release()`), got `{}` (object)'],
    [{ store: { key: 1, acquire() {}, release() {} } }, TypeError, 'to be a CapacityStore'],
    [{ store: { key: 'k', acquire() {}, release() {}, attach: 1 } }, TypeError, 'to be a CapacityStore'],
    ['fast', TypeError, 'Expected `options` to be an object, got `"fast"` (string)'],
  ])('%p', (options, kind, message) => {
    expect(() => new CapacityLimiter(2, options as never)).toThrow(kind);
    expect(() => new CapacityLimiter(2, options as never)).toThrow(message);
  });

  it('acquire rejects a non-function onError', () => {
    expect(() => new CapacityLimiter(1).acquire(() => {}, 3 as never)).toThrow('Expected `onError` to be a function, got `3` (number)');
  });
});

describe('CapacityLimiter with an asynchronous store: property', () => {
  /** Resolves after `n` macrotasks (round trips of the test store take one each). */
  const hops = (n: number): Promise<void> => new Promise((resolve) => {
    let left = n;
    const step = (): void => (left-- <= 0 ? resolve() : void setImmediate(step));
    step();
  });

  it('two "processes" on one store: never above total, every token comes back, each request granted, shed or cancelled exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.boolean(),
        fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
        fc.array(
          fc.record({
            process: fc.integer({ min: 0, max: 1 }),
            at: fc.integer({ min: 0, max: 6 }),
            runs: fc.integer({ min: 0, max: 4 }),
            cancelAfter: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
          }),
          { maxLength: 16 },
        ),
        async (total, slowReplies, maxWaiting, requests) => {
          const server = new PromiseCapacityStore('test', slowReplies);
          const options = maxWaiting === undefined ? {} : { maxWaiting };
          const processes = [0, 1].map(() => new CapacityLimiter(total, { store: server.client(), ...options }));
          const outcomes = requests.map(() => [] as string[]);
          await Promise.all(
            requests.map(async (r, i) => {
              await hops(r.at);
              const lease = processes[r.process]!.acquire(
                (held) => {
                  outcomes[i]!.push('granted');
                  void hops(r.runs).then(() => held.release());
                },
                (error) => outcomes[i]!.push(error instanceof CapacityExceededError ? 'shed' : `error ${String(error)}`),
              );
              if (r.cancelAfter !== undefined) {
                await hops(r.cancelAfter);
                if (lease.state === 'waiting') {
                  lease.release();
                  outcomes[i]!.push('cancelled');
                }
              }
            }),
          );
          await until(() => outcomes.every((o) => o.length > 0) && server.held.size === 0 && processes.every((p) => p.borrowed === 0), 5000);
          for (const o of outcomes) {
            expect(o).toHaveLength(1);
            expect(['granted', 'shed', 'cancelled']).toContain(o[0]);
          }
          expect(server.peak).toBeLessThanOrEqual(total);
          expect(processes.map((p) => p.waiting)).toEqual([0, 0]);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('the CapacityStore JSDoc example (a synchronous shared store that wakes the others)', () => {
  it('two limiters on it hold at most total together, and a release in one lets the other in', () => {
    const held = new Map<string, number>();
    const listeners = new Set<StoreListener<number>>();
    const shared = (key: string): CapacityStore<number> => {
      let next = 0;
      return {
        key,
        attach: (listener) => void listeners.add(listener),
        acquire(total) {
          const used = held.get(key) ?? 0;
          if (used >= total) return null;
          held.set(key, used + 1);
          return ++next;
        },
        release() {
          held.set(key, (held.get(key) ?? 1) - 1);
          for (const listener of listeners) listener.wake();
        },
      };
    };
    const a = new CapacityLimiter(2, { store: shared('api') });
    const b = new CapacityLimiter(2, { store: shared('api') });
    const subs = [a, a, b, b].map((l) => NEVER.pipe(withCapacity(l)).subscribe());
    expect([a.borrowed, b.borrowed, b.waiting]).toEqual([2, 0, 2]);
    subs[0]!.unsubscribe(); // a releases; the store wakes b synchronously from inside release
    expect([a.borrowed, b.borrowed, b.waiting]).toEqual([1, 1, 1]);
    subs.forEach((s) => s.unsubscribe());
    expect(held.get('api')).toBe(0);
    expect([a.borrowed, b.borrowed, a.waiting, b.waiting]).toEqual([0, 0, 0, 0]);
  });
});
