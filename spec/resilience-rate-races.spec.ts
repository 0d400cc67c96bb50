import { Subscription, VirtualTimeScheduler, type SchedulerLike } from 'rxjs';
import { RateLimiter, type RateTicket } from '../lib/resilience/rateLimiter';
import { RateLimitExceededError } from '../lib/resilience/errors';
import { LocalRateStore, type RateStore } from '../lib/resilience/store';
import { manualStore } from './support/manual-rate-store';

// What the limiter asks its store, and when: the races of an asynchronous store (answers given by
// hand), of a retry timer that a scheduler runs synchronously, and of requests arriving from
// inside a `state$` listener. Store calls are the contract here: a remote store pays a round trip
// for each, so an attempt that cannot succeed is a cost, and one that is never made is a hang.


/** The default store, counting the attempts made on it. */
function countingStore() {
  const local = new LocalRateStore();
  const counter = { calls: 0 };
  const store: RateStore = {
    key: 'counted',
    acquire: (request) => {
      counter.calls++;
      return local.acquire(request);
    },
    peek: (request) => local.peek(request),
  };
  return { store, counter };
}

/** Lets the store's Promises settle. */
const flush = () => new Promise((r) => setTimeout(r, 0));

describe('RateLimiter: attempts at the store', () => {
  it('a request queued behind a head that waits for its retry timer asks nothing; a higher priority asks at once', () => {
    const scheduler = new VirtualTimeScheduler();
    const { store, counter } = countingStore();
    const limiter = new RateLimiter({ limit: 1, interval: 10, scheduler, store });
    const granted: string[] = [];
    const take = (name: string, priority?: number) => limiter.acquire(() => granted.push(`${name}@${scheduler.now()}`), priority === undefined ? {} : { priority });
    take('a');
    take('b'); // refused: waits for the timer (10 ms)
    expect(counter.calls).toBe(2);
    take('c'); // behind b: the refusal holds for it too
    expect(counter.calls).toBe(2);
    take('d', 1); // ahead of b: may cost less, asks at once
    expect(counter.calls).toBe(3);
    scheduler.flush();
    expect(granted).toEqual(['a@0', 'd@10', 'b@20', 'c@30']);
  });

  it('a waiter behind the head leaving asks nothing (the head still waits for its timer); the head leaving lets the next ask at once', () => {
    const scheduler = new VirtualTimeScheduler();
    const { store, counter } = countingStore();
    const limiter = new RateLimiter({ limit: 1, interval: 10, scheduler, store });
    const granted: string[] = [];
    const take = (name: string, cost = 1) => limiter.acquire(() => granted.push(`${name}@${scheduler.now()}`), { cost });
    take('a');
    const b = take('b');
    const c = take('c');
    expect(counter.calls).toBe(2);
    c.cancel();
    expect(counter.calls).toBe(2);
    take('d');
    b.cancel(); // the head: d asks at once (refused until 10)
    expect(counter.calls).toBe(3);
    scheduler.flush();
    expect(granted).toEqual(['a@0', 'd@10']);
  });

  it('with `concurrency` 2 the second attempt is for the second waiter, with its cost', async () => {
    const { store, calls } = manualStore(2);
    const limiter = new RateLimiter({ limit: 10, interval: 1000, store });
    limiter.acquire(() => {}, { cost: 1 });
    limiter.acquire(() => {}, { cost: 3 });
    expect(calls.map((c) => c.request.cost)).toEqual([1, 3]);
  });

  it('a higher priority arriving while an attempt is in flight: the refusal of equal cost still holds (one retry, after it)', async () => {
    const scheduler = new VirtualTimeScheduler();
    const { store, calls } = manualStore();
    const limiter = new RateLimiter({ limit: 5, interval: 100, scheduler, store });
    const granted: string[] = [];
    limiter.acquire(() => granted.push('a'));
    limiter.acquire(() => granted.push('b'), { priority: 1 }); // the new head, while a's attempt is out
    expect(calls).toHaveLength(1);
    calls[0]!.answer(30);
    await flush();
    expect(calls).toHaveLength(1); // waits 30 ms; not asked again at once
    scheduler.flush();
    expect(calls).toHaveLength(2);
    expect(scheduler.now()).toBe(30);
    calls[1]!.answer(0);
    await flush();
    expect(granted).toEqual(['b']);
  });

  it('a refusal answered after its waiter left and the queue emptied arms no timer: the next request asks at once', async () => {
    const scheduler = new VirtualTimeScheduler();
    const { store, calls } = manualStore(2);
    const limiter = new RateLimiter({ limit: 5, interval: 100, scheduler, store });
    const granted: string[] = [];
    limiter.acquire(() => granted.push('a'));
    const b = limiter.acquire(() => granted.push('b'));
    expect(calls).toHaveLength(2);
    b.cancel(); // not the head
    calls[0]!.answer(0); // a granted: nobody waits
    await flush();
    calls[1]!.answer(30); // b's refusal, for nobody
    await flush();
    limiter.acquire(() => granted.push('c'));
    expect(calls).toHaveLength(3);
    calls[2]!.answer(0);
    await flush();
    expect(granted).toEqual(['a', 'c']);
  });

  it('a refusal armed for a head that was then granted still holds for the next arrival of equal cost (no attempt before it)', async () => {
    const scheduler = new VirtualTimeScheduler();
    const { store, calls } = manualStore(2);
    const limiter = new RateLimiter({ limit: 5, interval: 100, scheduler, store });
    const granted: string[] = [];
    limiter.acquire(() => granted.push('a'));
    const b = limiter.acquire(() => granted.push('b'));
    b.cancel(); // not the head
    calls[1]!.answer(30); // the window is full for a cost of 1 until 30: a waits for the timer
    await flush();
    calls[0]!.answer(0); // a's own attempt was granted meanwhile: nobody waits
    await flush();
    expect(granted).toEqual(['a']);
    limiter.acquire(() => granted.push(`c@${scheduler.now()}`));
    expect(calls).toHaveLength(2); // it would be refused too
    scheduler.flush();
    expect(calls).toHaveLength(3);
    calls[2]!.answer(0);
    await flush();
    expect(granted).toEqual(['a', 'c@30']);
  });

  it('two refusals in flight: only the later retry timer acts', async () => {
    const scheduler = new VirtualTimeScheduler();
    const { store, calls } = manualStore(2);
    const limiter = new RateLimiter({ limit: 5, interval: 100, scheduler, store });
    limiter.acquire(() => {});
    limiter.acquire(() => {});
    calls[0]!.answer(30);
    await flush();
    calls[1]!.answer(50);
    await flush();
    scheduler.maxFrames = 40;
    scheduler.flush(); // the first timer fires at 30: superseded, it does nothing
    expect(calls).toHaveLength(2);
    scheduler.maxFrames = Infinity;
    scheduler.flush();
    expect(scheduler.now()).toBe(50);
    expect(calls).toHaveLength(4);
  });
});

describe('RateLimiter: a scheduler that runs the retry timer synchronously', () => {
  it('the waiter is granted at the retried time, inside acquire, and the limiter keeps working', () => {
    let clock = 0;
    // Runs each action at once, its clock moved on by the delay (a virtual clock with no queue).
    const immediate: SchedulerLike = {
      now: () => clock,
      schedule(work: (state?: unknown) => void, delay = 0, state?: unknown) {
        clock += delay;
        work.call(undefined as never, state);
        return new Subscription();
      },
    } as SchedulerLike;
    const limiter = new RateLimiter({ limit: 1, interval: 10, scheduler: immediate });
    const granted: string[] = [];
    for (const name of ['a', 'b', 'c']) limiter.acquire(() => granted.push(`${name}@${clock}`));
    expect(granted).toEqual(['a@0', 'b@10', 'c@20']);
    expect(limiter.waiting).toBe(0);
  });
});

describe('RateLimiter: maxWaiting counts what waits or is in flight at arrival', () => {
  it('a request arriving while one waits is shed, even when a state$ listener has just raised the limit', () => {
    const scheduler = new VirtualTimeScheduler();
    const limiter = new RateLimiter({ limit: 1, interval: 10, maxWaiting: 1, scheduler });
    const granted: string[] = [];
    const errors: unknown[] = [];
    limiter.acquire(() => granted.push('a'));
    let c: RateTicket | undefined;
    const sub = limiter.state$.subscribe((state) => {
      if (state.waiting !== 1 || c !== undefined) return;
      limiter.limit = 2; // b (waiting) is granted once this round ends
      c = limiter.acquire(() => granted.push('c'), { onError: (e) => errors.push(e) });
    });
    const b = limiter.acquire(() => granted.push('b'));
    sub.unsubscribe();
    expect(c?.state).toBe('cancelled');
    expect(errors).toEqual([new RateLimitExceededError(1)]);
    expect(b.state).toBe('granted');
    expect(granted).toEqual(['a', 'b']);
  });

  it('maxWaiting 0: a request arriving while an attempt is in flight is shed (its waiter left)', async () => {
    const { store, calls } = manualStore();
    const limiter = new RateLimiter({ limit: 5, interval: 100, maxWaiting: 0, store });
    const a = limiter.acquire(() => {});
    expect(a.state).toBe('waiting'); // the store's answer is on its way
    a.cancel();
    const errors: unknown[] = [];
    const b = limiter.acquire(() => {}, { onError: (e) => errors.push(e) });
    expect(b.state).toBe('cancelled');
    expect(errors).toEqual([new RateLimitExceededError(0)]);
    calls[0]!.answer(0);
    await flush();
    const c = limiter.acquire(() => {});
    expect(c.state).toBe('waiting');
    expect(calls).toHaveLength(2);
  });
});
