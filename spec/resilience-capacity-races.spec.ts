/**
 * CapacityLimiter races that only a store answering by hand (or counting its calls) can drive:
 * each spec pins one decision of the grant loop or of load shedding (see mutation-equivalents.md,
 * the capacityLimiter.ts section).
 */
import { NEVER, Observable } from 'rxjs';
import { CapacityLimiter, type CapacityLease } from '../lib/resilience/capacityLimiter';
import { withCapacity } from '../lib/resilience/withCapacity';
import { CapacityExceededError, LeaseLostError, StoreUnavailableError } from '../lib/resilience/errors';
import type { CapacityStore, StoreListener } from '../lib/resilience/store';

/** A store whose every acquire is answered by hand (`answer(token | null)`), oldest first. */
function heldStore(): { store: CapacityStore<number>; calls: number[]; answer(token: number | null): Promise<void> } {
  const replies: ((token: number | null) => void)[] = [];
  const calls: number[] = [];
  return {
    calls,
    store: {
      key: 'held',
      acquire: (total) => (calls.push(total), new Promise<number | null>((resolve) => replies.push(resolve))),
      release: () => undefined,
    },
    async answer(token) {
      replies.shift()!(token);
      await new Promise((r) => setImmediate(r));
    },
  };
}

/** A synchronous shared store whose `used` tokens another process holds. */
function sharedStore(state: { used: number; total: number }): { store: CapacityStore<number>; listeners: StoreListener<number>[] } {
  const listeners: StoreListener<number>[] = [];
  let next = 0;
  return {
    listeners,
    store: {
      key: 'shared',
      attach: (listener) => void listeners.push(listener),
      acquire: () => (state.used >= state.total ? null : (state.used++, ++next)),
      release: () => void state.used--,
    },
  };
}

describe('CapacityLimiter races (stores that hold their answers)', () => {
  it('a waiter granted later: its source is torn down before the next waiter starts', () => {
    const limiter = new CapacityLimiter(1);
    const events: string[] = [];
    const source = (name: string) =>
      new Observable<never>(() => {
        events.push(`start ${name}`);
        return () => events.push(`stop ${name}`);
      });
    const first = limiter.acquire(() => undefined);
    const a = source('a').pipe(withCapacity(limiter)).subscribe();
    source('b').pipe(withCapacity(limiter)).subscribe();
    first.release(); // a is granted from the queue
    a.unsubscribe();
    expect(events).toEqual(['start a', 'stop a', 'start b']);
  });

  it('maxWaiting counts a waiter whose store attempt is still out: the next request is shed', async () => {
    const held = heldStore();
    const limiter = new CapacityLimiter(5, { store: held.store, maxWaiting: 1 });
    const errors: unknown[] = [];
    NEVER.pipe(withCapacity(limiter)).subscribe();
    NEVER.pipe(withCapacity(limiter)).subscribe({ error: (e) => errors.push(e) });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(CapacityExceededError);
    expect(limiter.waiting).toBe(1);
    expect(held.calls).toEqual([5]);
    await held.answer(1);
    expect(limiter.borrowed).toBe(1);
  });

  it('maxWaiting: 0 after the store refused: a request with nobody waiting is shed, not queued', () => {
    const shared = sharedStore({ used: 2, total: 2 }); // another process holds both tokens
    const limiter = new CapacityLimiter(2, { store: shared.store, maxWaiting: 0 });
    const first = NEVER.pipe(withCapacity(limiter)).subscribe(); // asks, is refused, waits
    expect(limiter.waiting).toBe(1);
    first.unsubscribe();
    const errors: unknown[] = [];
    NEVER.pipe(withCapacity(limiter)).subscribe({ error: (e) => errors.push(e) });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(CapacityExceededError);
    expect(limiter.waiting).toBe(0);
  });

  it('a request made from inside a grant callback, with nobody else waiting, is granted after that callback returns', () => {
    const limiter = new CapacityLimiter(2);
    const events: string[] = [];
    const x = limiter.acquire(() => undefined);
    const y = limiter.acquire(() => undefined);
    let b: CapacityLease | undefined;
    const a = limiter.acquire(() => {
      events.push('a in');
      b = limiter.acquire(() => void events.push('b'));
      events.push('a out');
    });
    limiter.total = 4; // grants a, whose callback asks for b
    expect(events).toEqual(['a in', 'a out', 'b']);
    expect(limiter.borrowed).toBe(4);
    [x, y, a, b!].forEach((l) => l.release());
    expect(limiter.borrowed).toBe(0);
  });
  it('a release of our own token lifts a refusal even when the store sends no wake-up', () => {
    const state = { used: 1, total: 2 }; // another process holds one token
    const shared = sharedStore(state);
    const limiter = new CapacityLimiter(2, { store: shared.store });
    const a = limiter.acquire(() => undefined);
    let b = false;
    limiter.acquire(() => void (b = true)); // refused: the store is full
    expect([limiter.borrowed, limiter.waiting, b]).toEqual([1, 1, false]);
    a.release();
    expect([limiter.borrowed, limiter.waiting, b]).toEqual([1, 0, true]);
  });

  it('a store answering undefined (sync or async) refuses, like null', async () => {
    const sync = new CapacityLimiter(1, { store: { key: 's', acquire: () => undefined as unknown as null, release: () => undefined } });
    let granted = false;
    sync.acquire(() => void (granted = true));
    expect([granted, sync.borrowed, sync.waiting]).toEqual([false, 0, 1]);
    const async = new CapacityLimiter(1, { store: { key: 'a', acquire: () => Promise.resolve(undefined as unknown as null), release: () => undefined } });
    async.acquire(() => void (granted = true));
    await new Promise((r) => setImmediate(r));
    expect([granted, async.borrowed, async.waiting]).toEqual([false, 0, 1]);
  });

  it('tokens that arrive after total shrank go back to the store, beyond the new total', async () => {
    const held = heldStore();
    const released: unknown[] = [];
    const limiter = new CapacityLimiter(2, { store: { ...held.store, release: (t) => void released.push(t) } });
    const granted: number[] = [];
    limiter.acquire(() => void granted.push(1));
    limiter.acquire(() => void granted.push(2));
    expect(held.calls).toEqual([2, 2]); // two attempts out
    limiter.total = 1;
    await held.answer(11);
    await held.answer(12);
    expect(granted).toEqual([1]);
    expect(released).toEqual([12]);
    expect([limiter.borrowed, limiter.waiting]).toEqual([1, 1]);
  });

  it('a StoreUnavailableError from the store (thrown or rejected) reaches the waiter as it is', async () => {
    const thrown = new StoreUnavailableError('k', new Error('down'));
    const errors: unknown[] = [];
    const sync = new CapacityLimiter(1, { store: { key: 'k', acquire: () => { throw thrown; }, release: () => undefined } });
    sync.acquire(() => undefined, (e) => errors.push(e));
    const rejected = new StoreUnavailableError('k', new Error('timeout'));
    const async = new CapacityLimiter(1, { store: { key: 'k', acquire: () => Promise.reject(rejected), release: () => undefined } });
    async.acquire(() => undefined, (e) => errors.push(e));
    await new Promise((r) => setImmediate(r));
    expect(errors).toHaveLength(2);
    expect(errors[0]).toBe(thrown);
    expect(errors[1]).toBe(rejected);
  });
  it('a lost lease lifts a refusal: the next waiter asks again without a wake-up', () => {
    const state = { used: 0, total: 1 }; // the server's own limit: 1, below the limiter's 2
    const shared = sharedStore(state);
    const limiter = new CapacityLimiter(2, { store: shared.store });
    const errors: unknown[] = [];
    limiter.acquire(() => undefined, (e) => errors.push(e)); // token 1
    let b = false;
    limiter.acquire(() => void (b = true)); // asked, refused by the server
    state.used--; // the server dropped token 1…
    shared.listeners[0]!.lost(1, new LeaseLostError('shared', 'not renewed')); // …and says so
    expect(errors[0]).toBeInstanceOf(LeaseLostError);
    expect([b, limiter.borrowed, limiter.waiting]).toEqual([true, 1, 0]);
  });
});
