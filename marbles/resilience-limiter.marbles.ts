import { merge, mergeMap } from 'rxjs';
import { TestScheduler, type RunHelpers } from 'rxjs/testing';
import { CapacityLimiter } from '../lib/resilience/capacityLimiter';
import { withCapacity } from '../lib/resilience/withCapacity';
import { CapacityExceededError } from '../lib/resilience/errors';
import { DeadlineError } from '../lib/errors';
import { deadlineError } from '../lib/internal/clock';

const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('withCapacity (marbles)', () => {
  it('limit 3 over 10 streams: never more than 3 subscribed, entry in FIFO order', () => {
    const seen: string[] = [];
    const ts = scheduler();
    let sources: ReturnType<RunHelpers['cold']>[] = [];
    ts.run(({ cold, expectSubscriptions }) => {
      const limiter = new CapacityLimiter(3);
      // Different lengths, so tokens free up at different moments; stream i is subscribed at frame i.
      const lengths = [5, 2, 7, 3, 1, 4, 2, 6, 3, 1];
      sources = lengths.map((n, i) => cold(`${'-'.repeat(n - 1)}${String.fromCharCode(97 + i)}|`));
      // Stream i asks for a token at frame i, when its trigger (subscribed at 0, done at i + 1) emits.
      const triggers = lengths.map((_, i) => cold(`${'-'.repeat(i)}x|`));
      const out = merge(...sources.map((s, i) => triggers[i]!.pipe(mergeMap(() => s.pipe(withCapacity(limiter))))));
      // Hand-simulated FIFO: a token goes to the oldest waiter the moment one is released.
      //   a 0-5, b 1-3, c 2-9 (tokens full); d waits from 3, enters at 3 (b done) → 3-6
      //   e waits from 4, enters at 5 (a done) → 5-6; f waits from 5, enters at 6 (d, e done) → 6-10
      //   g enters at 6 → 6-8; h waits from 7, enters at 8 (g done) → 8-14
      //   i waits from 8, enters at 9 (c done) → 9-12; j waits from 9, enters at 10 (f done) → 10-11
      const starts = [0, 1, 2, 3, 5, 6, 6, 8, 9, 10];
      const subs = starts.map((s, i) => `${s}ms ^ ${lengths[i]! - 1}ms !`);
      // Output frames (d and e emit at the same frame 5, which a marble string cannot draw with g at 7).
      out.subscribe((v) => seen.push(`${ts.now()}:${v}`));
      sources.forEach((s, i) => expectSubscriptions(s.subscriptions).toBe(subs[i]!));
      triggers.forEach((t, i) => expectSubscriptions(t.subscriptions).toBe(`^${'-'.repeat(i)}!`));
    });
    expect(seen).toEqual(['2:b', '4:a', '5:d', '5:e', '7:g', '8:c', '9:f', '10:j', '11:i', '13:h']);
    // The cap itself, from the subscription logs: at no frame are more than 3 sources subscribed.
    const live = (frame: number): number =>
      sources.filter((s) => s.subscriptions.some((l) => l.subscribedFrame <= frame && frame < l.unsubscribedFrame)).length;
    const frames = Array.from({ length: 15 }, (_, f) => live(f));
    expect(Math.max(...frames)).toBe(3);
  });

  it('an unsubscribed waiter never runs, and the next one takes its place', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const limiter = new CapacityLimiter(1);
      const a = cold('----a|');
      const b = cold('b|');
      const c = cold('c|');
      expectObservable(a.pipe(withCapacity(limiter))).toBe('----a|');
      expectObservable(b.pipe(withCapacity(limiter)), '^-!').toBe('');
      expectObservable(c.pipe(withCapacity(limiter))).toBe('-----c|');
      expectSubscriptions(a.subscriptions).toBe('^----!');
      expectSubscriptions(b.subscriptions).toBe([]);
      expectSubscriptions(c.subscriptions).toBe('-----^!');
    });
  });

  it('unsubscribing a holder frees its token for the next waiter', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const limiter = new CapacityLimiter(1);
      const a = cold('-a-a-a-a-a');
      const b = cold('b|');
      expectObservable(a.pipe(withCapacity(limiter)), '^--!').toBe('-a-');
      expectObservable(b.pipe(withCapacity(limiter))).toBe('---b|');
      expectSubscriptions(a.subscriptions).toBe('^--!');
      expectSubscriptions(b.subscriptions).toBe('---^!');
    });
  });

  it('an error of the source passes through and frees the token', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const limiter = new CapacityLimiter(1);
      const a = cold('--#');
      const b = cold('-b|');
      expectObservable(a.pipe(withCapacity(limiter))).toBe('--#');
      expectObservable(b.pipe(withCapacity(limiter))).toBe('---b|');
      expectSubscriptions(a.subscriptions).toBe('^-!');
      expectSubscriptions(b.subscriptions).toBe('--^-!');
    });
  });

  it('two independent pipelines sharing one limiter never exceed it together', () => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const limiter = new CapacityLimiter(2);
      const jobs: Record<string, ReturnType<RunHelpers['cold']>> = {
        a: cold('---a|'),
        b: cold('---b|'),
        c: cold('---c|'),
        x: cold('---x|'),
        y: cold('---y|'),
      };
      // Each pipeline alone would run its items all at once (mergeMap without a limit).
      const left = hot('a-b-c|');
      const right = hot('-x-y|');
      const leftOut = left.pipe(mergeMap((v) => jobs[v]!.pipe(withCapacity(limiter))));
      const rightOut = right.pipe(mergeMap((v) => jobs[v]!.pipe(withCapacity(limiter))));
      // Entry order: a@0, x@1, b waits@2, y waits@3, c waits@4; a done@4 → b; x done@5 → y; b done@8 → c.
      expectObservable(leftOut).toBe('---a---b---c|');
      expectObservable(rightOut).toBe('----x---y|');
      expectSubscriptions(left.subscriptions).toBe('^----!');
      expectSubscriptions(right.subscriptions).toBe('^---!');
      expectSubscriptions(jobs['a']!.subscriptions).toBe('^---!');
      expectSubscriptions(jobs['x']!.subscriptions).toBe('-^---!');
      expectSubscriptions(jobs['b']!.subscriptions).toBe('----^---!');
      expectSubscriptions(jobs['y']!.subscriptions).toBe('-----^---!');
      expectSubscriptions(jobs['c']!.subscriptions).toBe('--------^---!');
    });
  });

  it('state$ reports total, borrowed and waiting as they change', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const limiter = new CapacityLimiter(1);
      const a = cold('--|');
      const b = cold('--|');
      expectObservable(a.pipe(withCapacity(limiter))).toBe('--|');
      expectObservable(b.pipe(withCapacity(limiter)), '-^').toBe('----|');
      expectObservable(limiter.state$, '^ 10ms !').toBe('abc-d', {
        a: { total: 1, borrowed: 1, waiting: 0 },
        b: { total: 1, borrowed: 1, waiting: 1 },
        c: { total: 1, borrowed: 1, waiting: 0 },
        d: { total: 1, borrowed: 0, waiting: 0 },
      });
      expectSubscriptions(a.subscriptions).toBe('^-!');
      expectSubscriptions(b.subscriptions).toBe('--^-!');
    });
  });
});

// The diagrams of the JSDoc, frame for frame: if one of these fails, fix the docs too.
describe('documented diagrams', () => {
  it('withCapacity: two streams through a limiter of 1', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const limiter = new CapacityLimiter(1);
      const a = cold('--a|');
      const b = cold('--b|');
      expectObservable(merge(a.pipe(withCapacity(limiter)), b.pipe(withCapacity(limiter)))).toBe('--a--b|');
      expectSubscriptions(a.subscriptions).toBe('^--!');
      expectSubscriptions(b.subscriptions).toBe('---^--!');
    });
  });
});

describe('withCapacity maxWaiting (marbles)', () => {
  it('sheds requests beyond maxWaiting with CapacityExceededError; room again once the queue moves', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const limiter = new CapacityLimiter(1, { maxWaiting: 1 });
      const a = cold('---a|');
      const b = cold('-b|');
      const c = cold('c|');
      const d = cold('d|');
      const shed = new CapacityExceededError(1);
      expectObservable(a.pipe(withCapacity(limiter))).toBe('---a|');
      expectObservable(b.pipe(withCapacity(limiter))).toBe('-----b|');
      expectObservable(c.pipe(withCapacity(limiter)), '-^').toBe('-#', undefined, shed);
      expectObservable(d.pipe(withCapacity(limiter)), '-----^').toBe('------d|'); // b took the token at 4: one may wait again
      expectSubscriptions(a.subscriptions).toBe('^---!');
      expectSubscriptions(b.subscriptions).toBe('----^-!');
      expectSubscriptions(c.subscriptions).toBe([]);
      expectSubscriptions(d.subscriptions).toBe('------^!');
    });
  });
});

describe('withCapacity: priority and queue-wait limits (marbles)', () => {
  const noToken = (at: number, within: number, origin = 'withCapacity'): DeadlineError => deadlineError(at, { origin, within, what: 'no token' });

  it('higher priority first, FIFO within a priority', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const limiter = new CapacityLimiter(1);
      const a = cold('----a|');
      const [b, c, d, e, f] = ['b', 'c', 'd', 'e', 'f'].map((v) => cold(`-${v}|`));
      // All ask at 0, in this order; a holds the token until 5.
      expectObservable(a.pipe(withCapacity(limiter))).toBe('----a|');
      expectObservable(b!.pipe(withCapacity(limiter))).toBe('----------b|');
      expectObservable(c!.pipe(withCapacity(limiter, { priority: 5 }))).toBe('------c|');
      expectObservable(d!.pipe(withCapacity(limiter, { priority: 5 }))).toBe('--------d|');
      expectObservable(e!.pipe(withCapacity(limiter, { priority: 0 }))).toBe('------------e|');
      expectObservable(f!.pipe(withCapacity(limiter, { priority: -1 }))).toBe('--------------f|');
      expectSubscriptions(a.subscriptions).toBe('^----!');
      expectSubscriptions(c!.subscriptions).toBe('-----^-!');
      expectSubscriptions(d!.subscriptions).toBe('-------^-!');
      expectSubscriptions(b!.subscriptions).toBe('---------^-!');
      expectSubscriptions(e!.subscriptions).toBe('-----------^-!');
      expectSubscriptions(f!.subscriptions).toBe('-------------^-!');
    });
  });

  it('a waiter whose timeout passes leaves the queue with a DeadlineError, its source never subscribed; one granted in time is not cut', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const limiter = new CapacityLimiter(1);
      const a = cold('-----a|');
      const b = cold('b|');
      const c = cold('c|');
      const d = cold('--d|');
      expectObservable(a.pipe(withCapacity(limiter))).toBe('-----a|');
      expectObservable(b.pipe(withCapacity(limiter, { timeout: 3 }))).toBe('---#', undefined, noToken(3, 3));
      expectObservable(c.pipe(withCapacity(limiter))).toBe('---------c|');
      // Granted at 6, before its 10 ms run out: the limit no longer applies once it holds a token.
      expectObservable(d.pipe(withCapacity(limiter, { priority: 1, timeout: 10 }))).toBe('--------d|');
      expectSubscriptions(a.subscriptions).toBe('^-----!');
      expectSubscriptions(b.subscriptions).toBe([]);
      expectSubscriptions(d.subscriptions).toBe('------^--!');
      expectSubscriptions(c.subscriptions).toBe('---------^!');
    });
  });

  it('timeout 0: a free token is taken at once, otherwise it fails at once, synchronously', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const limiter = new CapacityLimiter(1);
      const a = cold('--a|');
      const b = cold('b|');
      const c = cold('c|');
      expectObservable(a.pipe(withCapacity(limiter, { timeout: 0 }))).toBe('--a|');
      expectObservable(b.pipe(withCapacity(limiter, { timeout: 0 }))).toBe('#', undefined, noToken(0, 0));
      expectObservable(c.pipe(withCapacity(limiter))).toBe('---c|');
      expectSubscriptions(a.subscriptions).toBe('^--!');
      expectSubscriptions(b.subscriptions).toBe([]);
      expectSubscriptions(c.subscriptions).toBe('---^!');
    });
  });

  it('run(task, { priority, timeout }): the same queue, its error names run', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const limiter = new CapacityLimiter(1);
      const a = cold('---a|');
      const b = cold('b|');
      const c = cold('c|');
      const d = cold('d|');
      expectObservable(limiter.run(a)).toBe('---a|');
      expectObservable(limiter.run(b)).toBe('-----b|');
      expectObservable(limiter.run(c, { priority: 2 })).toBe('----c|');
      expectObservable(limiter.run(d, { priority: 3, timeout: 2 })).toBe('--#', undefined, noToken(2, 2, 'CapacityLimiter.run'));
      expectSubscriptions(a.subscriptions).toBe('^---!');
      expectSubscriptions(c.subscriptions).toBe('----^!');
      expectSubscriptions(b.subscriptions).toBe('-----^!');
      expectSubscriptions(d.subscriptions).toBe([]);
    });
  });
});
