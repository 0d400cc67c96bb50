import { defer, of, take, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { DeadlineError } from '../lib/errors';
import { deadlineError } from '../lib/internal/clock';
import { retryBackoff } from '../lib/resilience/retryBackoff';
import { scope } from '../lib/scope/scope';

const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const boom = new Error('boom');
const zero = (): number => 0;

describe('retryBackoff (marbles)', () => {
  it('attempts 3: three subscriptions, 100 ms then 200 ms apart, then the error', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('#', undefined, boom);
      expectObservable(source.pipe(retryBackoff({ attempts: 3, random: zero }))).toBe('300ms #', undefined, boom);
      expectSubscriptions(source.subscriptions).toBe(['(^!)', '100ms (^!)', '300ms (^!)']);
    });
  });

  it('delays 100, 200, 400, 800, 1600, 2000, 2000 with maxDelay 2000', () => {
    const delays: number[] = [];
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-#', undefined, boom);
      const out = source.pipe(retryBackoff({ attempts: 8, maxDelay: 2000, random: zero, onRetry: (_e, _k, d) => delays.push(d) }));
      // Each attempt fails 1 ms after it starts, then waits its delay.
      expectObservable(out).toBe('7108ms #', undefined, boom);
      expectSubscriptions(source.subscriptions).toBe([
        '^!',
        '101ms ^!',
        '302ms ^!',
        '703ms ^!',
        '1504ms ^!',
        '3105ms ^!',
        '5106ms ^!',
        '7107ms ^!',
      ]);
    });
    expect(delays).toEqual([100, 200, 400, 800, 1600, 2000, 2000]);
  });

  it('jitter 0.1 with random 0.99: each delay in [d, 1.1 d)', () => {
    const delays: number[] = [];
    const starts: number[] = [];
    const ts = scheduler();
    ts.run(({ expectObservable }) => {
      const source = defer(() => {
        starts.push(ts.now());
        throw boom;
      });
      const out = source.pipe(retryBackoff({ attempts: 4, jitter: 0.1, random: () => 0.99, onRetry: (_e, _k, d) => delays.push(d) }));
      expectObservable(out).toBe('769.3ms #', undefined, boom);
    });
    [100, 200, 400].forEach((d, i) => {
      expect(delays[i]).toBeGreaterThanOrEqual(d);
      expect(delays[i]).toBeLessThan(1.1 * d);
      expect(delays[i]).toBeCloseTo(1.099 * d, 9);
    });
    expect(starts).toEqual([0, delays[0], delays[0]! + delays[1]!, delays[0]! + delays[1]! + delays[2]!]);
  });

  it('an error retryOn rejects propagates at once: one subscription', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('--#', undefined, new RangeError('bad input'));
      expectObservable(source.pipe(retryBackoff({ attempts: 5, retryOn: [TypeError] }))).toBe('--#', undefined, new RangeError('bad input'));
      expectSubscriptions(source.subscriptions).toBe('^-!');
    });
  });

  it('deadline 50 ms, attempts 50, baseDelay 10: the last error by 50 ms, no subscription after it', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-#', undefined, boom);
      // Fails at 1, retries at 11 (fails 12), at 32 (fails 33); the next delay, 40, would end at 73 > 50.
      expectObservable(source.pipe(retryBackoff({ attempts: 50, baseDelay: 10, deadline: 50, random: zero }))).toBe('33ms #', undefined, boom);
      expectSubscriptions(source.subscriptions).toBe(['^!', '11ms ^!', '32ms ^!']);
    });
  });

  it('deadline: an attempt still running when it passes is unsubscribed with a DeadlineError', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-#', undefined, boom);
      const slow = cold('-------');
      let first = true;
      const out = defer(() => (first ? ((first = false), source) : slow)).pipe(retryBackoff({ attempts: 5, baseDelay: 10, deadline: 30, random: zero }));
      expectObservable(out).toBe('30ms #', undefined, new DeadlineError(30, 'retryBackoff: not finished within 30 ms', 'retryBackoff'));
      expectSubscriptions(source.subscriptions).toBe('^!');
      expectSubscriptions(slow.subscriptions).toBe('11ms ^ 18ms !');
    });
  });

  it('resetOnSuccess: a value resets the count, so every failure waits baseDelay again', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('(a#)', undefined, boom);
      expectObservable(source.pipe(retryBackoff({ attempts: 2, resetOnSuccess: true, random: zero }), take(3))).toBe('a 99ms a 99ms (a|)');
      expectSubscriptions(source.subscriptions).toBe(['(^!)', '100ms (^!)', '200ms (^!)']);
    });
  });

  it('without resetOnSuccess the same source gives up after attempts', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('(a#)', undefined, boom);
      expectObservable(source.pipe(retryBackoff({ attempts: 2, random: zero }), take(3))).toBe('a 99ms (a#)', undefined, boom);
      expectSubscriptions(source.subscriptions).toBe(['(^!)', '100ms (^!)']);
    });
  });

  it('onRetry gets the error, the retry number and the delay', () => {
    const calls: unknown[][] = [];
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('--#', undefined, boom);
      const out = source.pipe(retryBackoff({ attempts: 3, baseDelay: 5, jitter: 0.5, random: () => 0.5, onRetry: (...args) => calls.push(args) }));
      // Delays 5 * 1.25 = 6.25 and 10 * 1.25 = 12.5.
      expectObservable(out).toBe('24.75ms #', undefined, boom);
      expectSubscriptions(source.subscriptions).toBe(['^-!', '8.25ms ^-!', '22.75ms ^-!']);
    });
    expect(calls).toEqual([
      [boom, 1, 6.25],
      [boom, 2, 12.5],
    ]);
  });

  it('unsubscribing during a wait: no resubscription afterwards', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-#', undefined, boom);
      expectObservable(source.pipe(retryBackoff({ attempts: 3, random: zero })), '^ 50ms !').toBe('');
      expectSubscriptions(source.subscriptions).toBe('^!');
    });
  });

  it('a source that completes or emits is passed through untouched', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-b-|');
      expectObservable(source.pipe(retryBackoff())).toBe('-a-b-|');
      expectSubscriptions(source.subscriptions).toBe('^----!');
    });
  });

  it('uses the scheduler passed in the options', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('#', undefined, boom);
      expectObservable(source.pipe(retryBackoff({ attempts: 2, baseDelay: 7, jitter: 0, scheduler: ts }))).toBe('7ms #', undefined, boom);
      expectSubscriptions(source.subscriptions).toBe(['(^!)', '7ms (^!)']);
    });
  });
});

// The diagrams of the JSDoc and the README, frame for frame: if one of these fails, fix the docs too.
describe('documented diagrams', () => {
  it('JSDoc: attempts 3, baseDelay 10, jitter 0 over a source that fails 2 ms in', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('--#', undefined, boom);
      expectObservable(source.pipe(retryBackoff({ attempts: 3, baseDelay: 10, jitter: 0 }))).toBe('36ms #', undefined, boom);
      expectSubscriptions(source.subscriptions).toBe(['^-!', '12ms ^-!', '34ms ^-!']);
    });
  });

  it('README: attempts 3, random 0 over a source that fails 1 ms in', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-#', undefined, boom);
      expectObservable(source.pipe(retryBackoff({ attempts: 3, random: zero }))).toBe('303ms #', undefined, boom);
      expectSubscriptions(source.subscriptions).toBe(['^!', '101ms ^!', '302ms ^!']);
    });
  });
});

describe('retryBackoff under a scope deadline (context)', () => {
  // Every attempt fails 2 ms after it starts; delays 10, 20, 40, … (jitter 0). The scope's
  // deadline is 50: after the third failure (36) the next delay (40) would end at 76, past it.
  const backoff = { attempts: 10, baseDelay: 10, jitter: 0 };

  it('a spawned task passing its ctx stops retrying when the next delay would end past the scope deadline: the last error, at once', () => {
    testScope(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('--#', undefined, boom);
      const result = scope('app', (s) => s.spawn((ctx) => source.pipe(retryBackoff({ ...backoff, context: ctx }))), { deadline: 50 });
      expectObservable(result).toBe('36ms #', undefined, boom);
      expectSubscriptions(source.subscriptions).toBe(['^-!', '12ms ^-!', '34ms ^-!']);
    });
  });

  it('without the context it sleeps on and the scope ends it at its deadline with a DeadlineError', () => {
    testScope(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('--#', undefined, boom);
      const result = scope('app', (s) => s.spawn(() => source.pipe(retryBackoff(backoff))), { deadline: 50 });
      expectObservable(result).toBe('50ms #', undefined, deadlineError(50, { origin: 'scope "app"', within: 50 }));
      expectSubscriptions(source.subscriptions).toBe(['^-!', '12ms ^-!', '34ms ^-!']);
    });
  });

  it('the scope itself as the context, in its body; an inherited deadline counts (a child scope without its own)', () => {
    testScope(({ cold, expectObservable, expectSubscriptions }) => {
      const inBody = cold('--#', undefined, boom);
      const inChild = cold('--#', undefined, boom);
      expectObservable(scope('app', (s) => inBody.pipe(retryBackoff({ ...backoff, context: s })), { deadline: 50 })).toBe('36ms #', undefined, boom);
      const nested = scope('app', (s) => s.scope('child', (c) => c.spawn((ctx) => inChild.pipe(retryBackoff({ ...backoff, context: ctx })))), { deadline: 50 });
      expectObservable(nested).toBe('36ms #', undefined, boom);
      expectSubscriptions(inBody.subscriptions).toBe(['^-!', '12ms ^-!', '34ms ^-!']);
      expectSubscriptions(inChild.subscriptions).toBe(['^-!', '12ms ^-!', '34ms ^-!']);
    });
  });

  it('a delay that would end exactly at the deadline is not made; one that ends before it is (and the scope cuts that attempt)', () => {
    testScope(({ cold, expectObservable, expectSubscriptions }) => {
      // At 14 the next delay is 20: deadline 34 leaves exactly 20 (not made), deadline 35 leaves 21
      // (made: the attempt starts at 34, and the scope ends it at its deadline, 35).
      const exact = cold('--#', undefined, boom);
      const room = cold('--#', undefined, boom);
      expectObservable(scope('a', (s) => s.spawn((ctx) => exact.pipe(retryBackoff({ ...backoff, context: ctx }))), { deadline: 34 })).toBe('14ms #', undefined, boom);
      expectObservable(scope('b', (s) => s.spawn((ctx) => room.pipe(retryBackoff({ ...backoff, context: ctx }))), { deadline: 35 })).toBe('35ms #', undefined, deadlineError(35, { origin: 'scope "b"', within: 35 }));
      expectSubscriptions(exact.subscriptions).toBe(['^-!', '12ms ^-!']);
      expectSubscriptions(room.subscriptions).toBe(['^-!', '12ms ^-!', '34ms ^!']);
    });
  });

  it('the earlier of its own deadline and the scope’s bounds the retries; a task that succeeds in time is untouched', () => {
    testScope(({ cold, expectObservable, expectSubscriptions }) => {
      const failing = cold('--#', undefined, boom);
      const flaky = cold('--#', undefined, boom);
      const ok = cold('--a|');
      let attempt = 0;
      const healing = defer(() => (++attempt === 1 ? flaky : ok));
      expectObservable(scope('a', (s) => s.spawn((ctx) => failing.pipe(retryBackoff({ ...backoff, deadline: 20, context: ctx }))), { deadline: 100 })).toBe('14ms #', undefined, boom);
      expectObservable(scope('b', (s) => s.spawn((ctx) => healing.pipe(retryBackoff({ ...backoff, context: ctx }))), { deadline: 50 })).toBe('15ms (a|)');
      expectSubscriptions(failing.subscriptions).toBe(['^-!', '12ms ^-!']);
      expectSubscriptions(flaky.subscriptions).toBe('^-!');
      expectSubscriptions(ok.subscriptions).toBe('12ms ^--!');
    });
  });

  it('a background task has no scope deadline: it retries on past it', () => {
    testScope(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('--#', undefined, boom);
      let result!: Observable<unknown>;
      const app = scope(
        'app',
        (s) => {
          result = s.spawnBackground((ctx) => source.pipe(retryBackoff({ ...backoff, attempts: 4, context: ctx })));
          return of('started');
        },
        { deadline: 50 },
      );
      expectObservable(app).toBe('(x|)', { x: 'started' });
      expectObservable(defer(() => result)).toBe('78ms #', undefined, boom);
      expectSubscriptions(source.subscriptions).toBe(['^-!', '12ms ^-!', '34ms ^-!', '76ms ^-!']);
    });
  });
});

/** `TestScheduler.run` for scopes (their default `asyncScheduler` runs in virtual time there). */
function testScope(callback: Parameters<TestScheduler['run']>[0]): void {
  scheduler().run(callback);
}
