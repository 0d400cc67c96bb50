import { map, merge, mergeMap, timer, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { RateLimiter } from '../lib/resilience/rateLimiter';
import { withRate } from '../lib/resilience/withRate';
import { CapacityLimiter } from '../lib/resilience/capacityLimiter';
import { withCapacity } from '../lib/resilience/withCapacity';
import { RateLimitExceededError } from '../lib/resilience/errors';
import { DeadlineError } from '../lib/errors';
import { deadlineError } from '../lib/internal/clock';

const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('withRate (marbles)', () => {
  it('exact sliding window: at most limit grants in every window, however it is placed', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const limiter = new RateLimiter({ limit: 2, interval: 4, scheduler: ts });
      const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map((v) => cold(`${v}|`));
      // Requests at frames 0, 1, 2, 3 and 5. a, b are granted at once; c waits for a to leave the
      // window (0 + 4), d for b (1 + 4); e, at 5, for c (4 + 4). Fixed 4 ms buckets (p-queue's
      // intervalCap) would start c and d both at 4: b, c and d within [1, 5), three in one window.
      expectObservable(a!.pipe(withRate(limiter)), '^').toBe('a|');
      expectObservable(b!.pipe(withRate(limiter)), '-^').toBe('-b|');
      expectObservable(c!.pipe(withRate(limiter)), '--^').toBe('----c|');
      expectObservable(d!.pipe(withRate(limiter)), '---^').toBe('-----d|');
      expectObservable(e!.pipe(withRate(limiter)), '-----^').toBe('--------e|');
      expectSubscriptions(a!.subscriptions).toBe('^!');
      expectSubscriptions(b!.subscriptions).toBe('-^!');
      expectSubscriptions(c!.subscriptions).toBe('----^!');
      expectSubscriptions(d!.subscriptions).toBe('-----^!');
      expectSubscriptions(e!.subscriptions).toBe('--------^!');
    });
  });

  it('spread: grants spaced one per interval / limit ms', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const limiter = new RateLimiter({ limit: 2, interval: 4, spread: true, scheduler: ts });
      const sources = ['a', 'b', 'c', 'd'].map((v) => cold(`${v}|`));
      sources.forEach((s, i) => expectObservable(s.pipe(withRate(limiter))).toBe(`${'--'.repeat(i)}${'abcd'[i]}|`));
      sources.forEach((s, i) => expectSubscriptions(s.subscriptions).toBe(`${'--'.repeat(i)}^!`));
    });
  });

  it('spread with costs: a grant of cost c is followed by c * interval / limit ms without grants', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const limiter = new RateLimiter({ limit: 4, interval: 8, spread: true, scheduler: ts });
      const a = cold('a|');
      const b = cold('b|');
      const c = cold('c|');
      expectObservable(a.pipe(withRate(limiter, { cost: 3 }))).toBe('a|'); // then 6 ms of gap
      expectObservable(b.pipe(withRate(limiter))).toBe('------b|'); // then 2 ms
      expectObservable(c.pipe(withRate(limiter))).toBe('--------c|');
      expectSubscriptions(a.subscriptions).toBe('^!');
      expectSubscriptions(b.subscriptions).toBe('------^!');
      expectSubscriptions(c.subscriptions).toBe('--------^!');
    });
  });

  it('FIFO with costs: a cheap request does not overtake an expensive one waiting before it', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const limiter = new RateLimiter({ limit: 3, interval: 10, scheduler: ts });
      const a = cold('a|');
      const b = cold('b|');
      const c = cold('c|');
      expectObservable(a.pipe(withRate(limiter, { cost: 2 }))).toBe('a|');
      // b (cost 2) must wait for a to leave the window at 10; c (cost 1) would fit now, but waits behind b.
      expectObservable(b.pipe(withRate(limiter, { cost: 2 }))).toBe('----------b|');
      expectObservable(c.pipe(withRate(limiter)), '-^').toBe('----------c|');
      expectSubscriptions(a.subscriptions).toBe('^!');
      expectSubscriptions(b.subscriptions).toBe('----------^!');
      expectSubscriptions(c.subscriptions).toBe('----------^!');
    });
  });

  it('a waiter that unsubscribes leaves at once: never subscribed, and the next one moves up', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const limiter = new RateLimiter({ limit: 3, interval: 10, scheduler: ts });
      const a = cold('a|');
      const b = cold('b|');
      const c = cold('c|');
      expectObservable(a.pipe(withRate(limiter, { cost: 2 }))).toBe('a|');
      // b (cost 3) waits for a to leave; it gives up at 3, and c (cost 1, behind it) fits at once.
      expectObservable(b.pipe(withRate(limiter, { cost: 3 })), '^--!').toBe('');
      expectObservable(c.pipe(withRate(limiter)), '-^').toBe('---c|');
      expectSubscriptions(a.subscriptions).toBe('^!');
      expectSubscriptions(b.subscriptions).toBe([]);
      expectSubscriptions(c.subscriptions).toBe('---^!');
    });
  });

  it('maxWaiting sheds requests beyond it with RateLimitExceededError', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const limiter = new RateLimiter({ limit: 1, interval: 5, maxWaiting: 1, scheduler: ts });
      const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map((v) => cold(`${v}|`));
      const shed = new RateLimitExceededError(1);
      expectObservable(a!.pipe(withRate(limiter))).toBe('a|');
      expectObservable(b!.pipe(withRate(limiter))).toBe('-----b|'); // the one waiter
      expectObservable(c!.pipe(withRate(limiter))).toBe('#', undefined, shed);
      expectObservable(d!.pipe(withRate(limiter)), '--^').toBe('--#', undefined, shed);
      expectObservable(e!.pipe(withRate(limiter)), '------^').toBe('----------e|'); // room again after 5
      expectSubscriptions(a!.subscriptions).toBe('^!');
      expectSubscriptions(b!.subscriptions).toBe('-----^!');
      expectSubscriptions(c!.subscriptions).toBe([]);
      expectSubscriptions(d!.subscriptions).toBe([]);
      expectSubscriptions(e!.subscriptions).toBe('----------^!');
    });
  });

  it('limit raised at run time lets waiters in at once; lowered, it holds the new limit', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const limiter = new RateLimiter({ limit: 1, interval: 10, scheduler: ts });
      const sources = ['a', 'b', 'c', 'd'].map((v) => cold(`${v}|`));
      ts.schedule(() => (limiter.limit = 3), 2);
      ts.schedule(() => (limiter.limit = 1), 3);
      // a at 0; at 2 the limit becomes 3: b and c in; d waits for a window with at most 0 others
      // under the limit of 1: a leaves at 10, b and c at 12 → d at 12.
      const at = [0, 2, 2, 12];
      sources.forEach((s, i) => expectObservable(s.pipe(withRate(limiter))).toBe(`${'-'.repeat(at[i]!)}${'abcd'[i]}|`));
      sources.forEach((s, i) => expectSubscriptions(s.subscriptions).toBe(`${'-'.repeat(at[i]!)}^!`));
    });
  });

  it('interval shortened at run time re-examines the waiters at once', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const limiter = new RateLimiter({ limit: 1, interval: 10, scheduler: ts });
      const a = cold('a|');
      const b = cold('b|');
      const c = cold('c|');
      ts.schedule(() => (limiter.interval = 3), 5);
      expectObservable(a.pipe(withRate(limiter))).toBe('a|');
      expectObservable(b.pipe(withRate(limiter))).toBe('-----b|'); // a left the 3 ms window long ago
      expectObservable(c.pipe(withRate(limiter))).toBe('--------c|'); // 3 ms after b
      expectSubscriptions(a.subscriptions).toBe('^!');
      expectSubscriptions(b.subscriptions).toBe('-----^!');
      expectSubscriptions(c.subscriptions).toBe('--------^!');
    });
  });

  it('interval shortened, then lengthened again at run time: the longer window counts the grants the shorter one let go', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const limiter = new RateLimiter({ limit: 2, interval: 10, scheduler: ts });
      const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((v) => cold(`${v}|`));
      ts.schedule(() => (limiter.interval = 2), 1);
      ts.schedule(() => (limiter.interval = 10), 3);
      // a, b at 0; c at 2 (a and b left the 2 ms window); at 3 the window is 10 ms again, so at 4
      // it holds a, b and c: d waits until a and b leave it, at 10.
      expectObservable(a!.pipe(withRate(limiter))).toBe('a|');
      expectObservable(b!.pipe(withRate(limiter))).toBe('b|');
      expectObservable(c!.pipe(withRate(limiter)), '--^').toBe('--c|');
      expectObservable(d!.pipe(withRate(limiter)), '----^').toBe('----------d|');
      expectSubscriptions(a!.subscriptions).toBe('^!');
      expectSubscriptions(b!.subscriptions).toBe('^!');
      expectSubscriptions(c!.subscriptions).toBe('--^!');
      expectSubscriptions(d!.subscriptions).toBe('----------^!');
    });
  });

  it('a waiter whose cost is above a lowered limit errors with a RangeError naming it', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const limiter = new RateLimiter({ limit: 3, interval: 10, scheduler: ts });
      const a = cold('a|');
      const b = cold('b|');
      const c = cold('c|');
      ts.schedule(() => (limiter.limit = 2), 4);
      expectObservable(a.pipe(withRate(limiter, { cost: 2 }))).toBe('a|');
      expectObservable(b.pipe(withRate(limiter, { cost: 3 }))).toBe('----#', undefined, new RangeError('Expected `cost` to be an integer from 1 to the limit 2, got `3` (number)'));
      expectObservable(c.pipe(withRate(limiter))).toBe('----------c|');
      expectSubscriptions(a.subscriptions).toBe('^!');
      expectSubscriptions(b.subscriptions).toBe([]);
      expectSubscriptions(c.subscriptions).toBe('----------^!');
    });
  });

  it('run(task, { cost }): the factory is called at the grant', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const limiter = new RateLimiter({ limit: 2, interval: 6, scheduler: ts });
      const a = cold('--a|');
      const b = cold('b|');
      expectObservable(limiter.run(() => a, { cost: 2 })).toBe('--a|');
      expectObservable(limiter.run(() => b)).toBe('------b|');
      expectSubscriptions(a.subscriptions).toBe('^--!');
      expectSubscriptions(b.subscriptions).toBe('------^!');
    });
  });

  it('state$: grants in the window, waiting, and when the next grant is possible', () => {
    const ts = scheduler();
    const seen: [number, object][] = [];
    ts.run(({ cold, expectObservable }) => {
      const limiter = new RateLimiter({ limit: 2, interval: 4, scheduler: ts });
      // Four requests, at 0, 0, 0 and 1: a, b granted at 0; c and d at 4 (a and b left the window).
      const jobs = merge(...[0, 0, 0, 1].map((at) => timer(at).pipe(mergeMap(() => cold('x|').pipe(withRate(limiter))))));
      expectObservable(jobs.pipe(map(() => ts.now()), toArray())).toBe('-----(a|)', { a: [0, 0, 4, 4] });
      limiter.state$.subscribe((state) => seen.push([ts.now(), state]));
    });
    const state = (granted: number, waiting: number, nextAt: number) => ({ limit: 2, interval: 4, granted, waiting, nextAt });
    expect(seen).toEqual([
      [0, state(0, 0, 0)],
      [0, state(1, 0, 0)], // a granted
      [0, state(2, 0, 4)], // b granted: full until 4
      [0, state(2, 1, 4)], // c waits
      [1, state(2, 2, 4)], // d waits
      [4, state(2, 0, 8)], // c and d granted at 4
    ]);
  });

  it('the default scheduler is asyncScheduler (virtual inside run())', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const limiter = new RateLimiter({ limit: 1, interval: 3 });
      const a = cold('a|');
      const b = cold('b|');
      expectObservable(a.pipe(withRate(limiter))).toBe('a|');
      expectObservable(b.pipe(withRate(limiter))).toBe('---b|');
      expectSubscriptions(a.subscriptions).toBe('^!');
      expectSubscriptions(b.subscriptions).toBe('---^!');
    });
  });
});

describe('withRate with withCapacity (marbles)', () => {
  it('pipe(withRate(rate), withCapacity(cap)): the token first, then the grant; the source starts at its grant', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const rate = new RateLimiter({ limit: 2, interval: 4, scheduler: ts });
      const cap = new CapacityLimiter(1);
      const sources = ['a', 'b', 'c'].map((v) => cold(`--${v}|`));
      // One at a time (capacity 1, 3 ms each), at most 2 starts per 4 ms: a at 0, b at 3 (a done),
      // c at 6 (b done, and only b in the window (2, 6]).
      sources.forEach((s, i) => expectObservable(s.pipe(withRate(rate), withCapacity(cap))).toBe(`${'---'.repeat(i)}--${'abc'[i]}|`));
      sources.forEach((s, i) => expectSubscriptions(s.subscriptions).toBe(`${'---'.repeat(i)}^--!`));
      // Who waits where: at 1 the two others wait for the token (the outer operator), none for the rate.
      ts.schedule(() => {
        expect(cap.waiting).toBe(2);
        expect(rate.waiting).toBe(0);
      }, 1);
    });
  });

  it('the other order spends grants before tokens: starts bunch above the rate', () => {
    // Capacity 2, at most 2 starts per 4 ms. a and b run 8 ms, c..f 1 ms each.
    const run = (rateFirst: boolean): number[] => {
      const ts = scheduler();
      let starts: number[] = [];
      ts.run(({ cold }) => {
        const rate = new RateLimiter({ limit: 2, interval: 4, scheduler: ts });
        const cap = new CapacityLimiter(2);
        const sources = [8, 8, 1, 1, 1, 1].map((n) => cold(`${'-'.repeat(n - 1)}x|`));
        for (const s of sources) (rateFirst ? s.pipe(withCapacity(cap), withRate(rate)) : s.pipe(withRate(rate), withCapacity(cap))).subscribe();
        ts.flush();
        starts = sources.map((s) => s.subscriptions[0]!.subscribedFrame);
      });
      return starts;
    };
    const most = (starts: number[]): number => Math.max(...starts.map((t) => starts.filter((u) => u >= t && u < t + 4).length));
    // Recommended: a token, then the grant, then the start: c, d at 8 (tokens free, window empty),
    // e, f at 12 (c, d left the window).
    expect(run(false)).toEqual([0, 0, 8, 8, 12, 12]);
    expect(most(run(false))).toBe(2);
    // withRate outermost: grants at 0, 0, 4, 4, 8, 8, but c, d start at 8 when tokens free and
    // e, f at 9: four starts within 2 ms.
    expect(run(true)).toEqual([0, 0, 8, 8, 9, 9]);
    expect(most(run(true))).toBe(4);
  });
});

describe('withRate: priority and queue-wait limits (marbles)', () => {
  const noGrant = (at: number, within: number, origin = 'withRate'): DeadlineError => deadlineError(at, { origin, within, what: 'no grant' });

  it('higher priority first, FIFO within a priority; a timed-out waiter leaves, never subscribed', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const limiter = new RateLimiter({ limit: 1, interval: 4 });
      const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map((v) => cold(`${v}|`));
      // All ask at 0, in this order: one grant per 4 ms.
      expectObservable(a!.pipe(withRate(limiter))).toBe('a|');
      expectObservable(b!.pipe(withRate(limiter))).toBe('------------b|');
      expectObservable(c!.pipe(withRate(limiter, { priority: 2 }))).toBe('----c|');
      expectObservable(d!.pipe(withRate(limiter, { priority: 2 }))).toBe('--------d|');
      expectObservable(e!.pipe(withRate(limiter, { timeout: 6 }))).toBe('------#', undefined, noGrant(6, 6));
      expectSubscriptions(a!.subscriptions).toBe('^!');
      expectSubscriptions(c!.subscriptions).toBe('----^!');
      expectSubscriptions(d!.subscriptions).toBe('--------^!');
      expectSubscriptions(b!.subscriptions).toBe('------------^!');
      expectSubscriptions(e!.subscriptions).toBe([]);
    });
  });

  it('a cheaper request of higher priority does not wait for the timer of the head it overtakes', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const limiter = new RateLimiter({ limit: 3, interval: 10 });
      const a = cold('a|');
      const b = cold('b|');
      const c = cold('c|');
      const trigger = cold('--x|');
      expectObservable(a.pipe(withRate(limiter, { cost: 2 }))).toBe('a|');
      // b (cost 3) waits for a to leave the window at 10; c (cost 1) fits at 2 and goes ahead of it.
      expectObservable(b.pipe(withRate(limiter, { cost: 3 }))).toBe('------------b|');
      expectObservable(trigger.pipe(mergeMap(() => c.pipe(withRate(limiter, { priority: 1 }))))).toBe('--c|');
      expectSubscriptions(a.subscriptions).toBe('^!');
      expectSubscriptions(trigger.subscriptions).toBe('^--!');
      expectSubscriptions(c.subscriptions).toBe('--^!');
      // At 10 the window still holds c (granted at 2): b fits at 12.
      expectSubscriptions(b.subscriptions).toBe('------------^!');
    });
  });

  it('a head that leaves at the frame its grant is due hands the grant to the next waiter, of lower priority, at that frame', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const limiter = new RateLimiter({ limit: 1, interval: 4 });
      const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((v) => cold(`${v}|`));
      // All ask at 0: a is granted; then the queue is c, d (priority 1), b (priority 0).
      expectObservable(a!.pipe(withRate(limiter))).toBe('a|');
      expectObservable(b!.pipe(withRate(limiter))).toBe('--------b|');
      expectObservable(c!.pipe(withRate(limiter, { priority: 1 }))).toBe('----c|');
      // d heads the queue from 4 and leaves at 8, when the window opens again: b gets the grant.
      expectObservable(d!.pipe(withRate(limiter, { priority: 1 })), '^-------!').toBe('');
      expectSubscriptions(a!.subscriptions).toBe('^!');
      expectSubscriptions(c!.subscriptions).toBe('----^!');
      expectSubscriptions(d!.subscriptions).toBe([]);
      expectSubscriptions(b!.subscriptions).toBe('--------^!');
    });
  });

  it('run and acquire take priority and timeout too; timeout 0 fails at once while the window is full', () => {
    const outcomes: string[] = [];
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const limiter = new RateLimiter({ limit: 1, interval: 3 });
      const a = cold('a|');
      const b = cold('b|');
      const clock = limiter as unknown as { scheduler: { now(): number } };
      const at = (label: string) => () => outcomes.push(`${clock.scheduler.now()}: ${label}`);
      // These run now, before the marbles below subscribe (at frame 0 too, but later).
      limiter.acquire(at('first'));
      limiter.acquire(at('low'));
      limiter.acquire(at('high'), { priority: 1 });
      limiter.acquire(at('never'), { priority: 2, timeout: 1, onError: (e) => outcomes.push(`${clock.scheduler.now()}: ${(e as Error).message}`) });
      expectObservable(limiter.run(a, { timeout: 0 })).toBe('#', undefined, noGrant(0, 0, 'RateLimiter.run'));
      expectObservable(limiter.run(b, { priority: 1 })).toBe('------b|');
      expectSubscriptions(a.subscriptions).toBe([]);
      expectSubscriptions(b.subscriptions).toBe('------^!');
    });
    expect(outcomes).toEqual(['0: first', '1: RateLimiter.acquire: no grant within 1 ms', '3: high', '9: low']);
  });
});
