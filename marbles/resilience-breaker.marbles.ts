import { take } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { BrokenCircuitError } from '../lib/errors';
import { CircuitBreaker, type CircuitBreakerOptions } from '../lib/resilience/breaker';
import { circuitBreaker } from '../lib/resilience/circuitBreaker';
import { retryBackoff } from '../lib/resilience/retryBackoff';

const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const boom = new Error('boom');
const states = { c: 'closed', o: 'open', h: 'halfOpen' } as const;
const open = (retryAt: number, retryAfter: number, name?: string): BrokenCircuitError => new BrokenCircuitError(name, 'open', retryAt, retryAfter);
const full = (name?: string): BrokenCircuitError => new BrokenCircuitError(name, 'halfOpen', null, null);

/** A breaker on the test's clock (asyncScheduler is virtual inside `run`). */
const breaker = (options: CircuitBreakerOptions): CircuitBreaker => new CircuitBreaker(options);

describe('CircuitBreaker (marbles): closed → open → half-open → closed', () => {
  it('threshold 2: two failures open it; while open a subscription fails at once without subscribing; the trial after halfOpenAfter closes it', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const b = breaker({ threshold: 2, halfOpenAfter: 10 });
      const fail = cold('-#', undefined, boom);
      const ok = cold('-a|');
      expectObservable(b.state$).toBe('c--o---------h-c', states);
      expectObservable(fail.pipe(circuitBreaker(b))).toBe('-#', undefined, boom);
      expectObservable(fail.pipe(circuitBreaker(b)), '--^').toBe('---#', undefined, boom); // opens at 3: trials from 13
      expectObservable(ok.pipe(circuitBreaker(b)), '-----^').toBe('-----#', undefined, open(13, 8));
      expectObservable(ok.pipe(circuitBreaker(b)), '-------------^').toBe('--------------a|');
      expectSubscriptions(fail.subscriptions).toBe(['^!', '--^!']);
      expectSubscriptions(ok.subscriptions).toBe(['-------------^-!']); // not at 5
    });
  });

  it('a success while closed resets the count of failures in a row', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const b = breaker({ threshold: 2, halfOpenAfter: 10 });
      const fail = cold('-#', undefined, boom);
      const ok = cold('-|');
      expectObservable(b.state$).toBe('c-------o---------h', states);
      expectObservable(fail.pipe(circuitBreaker(b))).toBe('-#', undefined, boom);
      expectObservable(ok.pipe(circuitBreaker(b)), '--^').toBe('---|');
      expectObservable(fail.pipe(circuitBreaker(b)), '----^').toBe('-----#', undefined, boom);
      expectObservable(fail.pipe(circuitBreaker(b)), '-------^').toBe('--------#', undefined, boom);
      expectSubscriptions(fail.subscriptions).toBe(['^!', '----^!', '-------^!']);
      expectSubscriptions(ok.subscriptions).toBe('--^!');
    });
  });

  it('a failed trial re-opens it with the next backoff delay (4, 8, 16); closing resets the backoff', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const b = breaker({ threshold: 1, halfOpenAfter: { baseDelay: 4, maxDelay: 100 } });
      const fail = cold('-#', undefined, boom);
      const ok = cold('-a|');
      // o at 1 (trials from 5), h 5, o 6 (from 14), h 14, o 15 (from 31), h 31, c 33, o 41 (from 45 again), h 45
      expectObservable(b.state$).toBe('co---ho-------ho---------------h-c-------o---h', states);
      expectObservable(fail.pipe(circuitBreaker(b))).toBe('-#', undefined, boom);
      expectObservable(fail.pipe(circuitBreaker(b)), '5ms ^').toBe('6ms #', undefined, boom);
      expectObservable(ok.pipe(circuitBreaker(b)), '10ms ^').toBe('10ms #', undefined, open(14, 4));
      expectObservable(fail.pipe(circuitBreaker(b)), '14ms ^').toBe('15ms #', undefined, boom);
      expectObservable(ok.pipe(circuitBreaker(b)), '20ms ^').toBe('20ms #', undefined, open(31, 11));
      expectObservable(ok.pipe(circuitBreaker(b)), '31ms ^').toBe('32ms a|');
      expectObservable(fail.pipe(circuitBreaker(b)), '40ms ^').toBe('41ms #', undefined, boom);
      expectObservable(ok.pipe(circuitBreaker(b)), '42ms ^').toBe('42ms #', undefined, open(45, 3));
      expectSubscriptions(fail.subscriptions).toBe(['^!', '5ms ^!', '14ms ^!', '40ms ^!']);
      expectSubscriptions(ok.subscriptions).toBe(['31ms ^-!']);
    });
  });

  it('halfOpenMax 2: two trials run, a third is turned away; the first trial to end decides, the other one\'s later outcome counts for nothing', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const b = breaker({ threshold: 1, halfOpenAfter: 5, halfOpenMax: 2, name: 'api' });
      const fail = cold('-#', undefined, boom);
      const quick = cold('--a|');
      const slowFail = cold('----#', undefined, boom);
      const later = cold('-|');
      expectObservable(b.state$).toBe('co----h--c', states);
      expectObservable(fail.pipe(circuitBreaker(b))).toBe('-#', undefined, boom);
      expectObservable(quick.pipe(circuitBreaker(b)), '6ms ^').toBe('8ms a|');
      expectObservable(slowFail.pipe(circuitBreaker(b)), '7ms ^').toBe('11ms #', undefined, boom);
      expectObservable(later.pipe(circuitBreaker(b)), '8ms ^').toBe('8ms #', undefined, full('api'));
      expectObservable(later.pipe(circuitBreaker(b)), '12ms ^').toBe('13ms |'); // still closed after the slow failure
      expectSubscriptions(quick.subscriptions).toBe('6ms ^--!');
      expectSubscriptions(slowFail.subscriptions).toBe('7ms ^---!');
      expectSubscriptions(later.subscriptions).toBe('12ms ^!');
    });
  });

  it('an unsubscribed trial frees its slot and counts as neither: the next subscription is the trial', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const b = breaker({ threshold: 1, halfOpenAfter: 5 });
      const fail = cold('-#', undefined, boom);
      const slow = cold('-----a|');
      const ok = cold('-a|');
      expectObservable(b.state$).toBe('co----h-----c', states);
      expectObservable(fail.pipe(circuitBreaker(b))).toBe('-#', undefined, boom);
      expectObservable(slow.pipe(circuitBreaker(b)), '6ms ^--!').toBe('');
      expectObservable(ok.pipe(circuitBreaker(b)), '8ms ^').toBe('8ms #', undefined, full());
      expectObservable(ok.pipe(circuitBreaker(b)), '10ms ^').toBe('11ms a|');
      expectSubscriptions(slow.subscriptions).toBe('6ms ^--!');
      expectSubscriptions(ok.subscriptions).toBe('10ms ^-!');
    });
  });

  it('a trial unsubscribed after a value (take(1) on a one-shot call) is a success: the circuit closes', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const b = breaker({ threshold: 1, halfOpenAfter: 5 });
      const fail = cold('-#', undefined, boom);
      const answer = cold('-a-----|');
      expectObservable(b.state$).toBe('co----hc', states);
      expectObservable(fail.pipe(circuitBreaker(b))).toBe('-#', undefined, boom);
      expectObservable(answer.pipe(circuitBreaker(b), take(1)), '6ms ^').toBe('7ms (a|)');
      expectSubscriptions(answer.subscriptions).toBe('6ms ^!');
    });
  });

  it('a call begun while closed that fails after the circuit opened changes nothing (its outcome is from another state)', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const b = breaker({ threshold: 1, halfOpenAfter: 10 });
      const fast = cold('--#', undefined, boom);
      const slow = cold('-----#', undefined, boom);
      const ok = cold('-|');
      expectObservable(b.state$).toBe('c-o---------hc', states);
      expectObservable(slow.pipe(circuitBreaker(b))).toBe('-----#', undefined, boom);
      expectObservable(fast.pipe(circuitBreaker(b))).toBe('--#', undefined, boom);
      expectObservable(ok.pipe(circuitBreaker(b)), '6ms ^').toBe('6ms #', undefined, open(12, 6)); // not pushed back by the slow failure at 5
      expectObservable(ok.pipe(circuitBreaker(b)), '12ms ^').toBe('13ms |');
      expectSubscriptions(slow.subscriptions).toBe('^----!');
      expectSubscriptions(ok.subscriptions).toBe('12ms ^!');
    });
  });

  it('isFailure: an error it rejects passes through and counts as a success (the service answered)', () => {
    class NotFound extends Error {}
    const notFound = new NotFound('no such order');
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const b = breaker({ threshold: 2, halfOpenAfter: 10, isFailure: (e) => !(e instanceof NotFound) });
      const fail = cold('-#', undefined, boom);
      const missing = cold('-#', undefined, notFound);
      expectObservable(b.state$).toBe('c-------o---------h', states);
      expectObservable(fail.pipe(circuitBreaker(b))).toBe('-#', undefined, boom);
      expectObservable(missing.pipe(circuitBreaker(b)), '2ms ^').toBe('3ms #', undefined, notFound);
      expectObservable(fail.pipe(circuitBreaker(b)), '4ms ^').toBe('5ms #', undefined, boom);
      expectObservable(fail.pipe(circuitBreaker(b)), '7ms ^').toBe('8ms #', undefined, boom);
      expectSubscriptions(missing.subscriptions).toBe('2ms ^!');
    });
  });

  it('ratio 1 over a window of 10 with minimumCalls 2: successes age out of the window', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const b = breaker({ ratio: 1, window: 10, minimumCalls: 2, halfOpenAfter: 100 });
      const fail = cold('-#', undefined, boom);
      const ok = cold('-|');
      // Ends: ok 1, ok 3, fail 12 (window (2, 12]: ok 3 + fail 12 = 1/2), fail 14 (window (4, 14]: 2/2 → open).
      expectObservable(b.state$).toBe('c-------------o 99ms h', states);
      expectObservable(ok.pipe(circuitBreaker(b))).toBe('-|');
      expectObservable(ok.pipe(circuitBreaker(b)), '2ms ^').toBe('3ms |');
      expectObservable(fail.pipe(circuitBreaker(b)), '11ms ^').toBe('12ms #', undefined, boom);
      expectObservable(fail.pipe(circuitBreaker(b)), '13ms ^').toBe('14ms #', undefined, boom);
      expectObservable(ok.pipe(circuitBreaker(b)), '15ms ^').toBe('15ms #', undefined, open(114, 99));
      expectSubscriptions(fail.subscriptions).toBe(['11ms ^!', '13ms ^!']);
      expectSubscriptions(ok.subscriptions).toBe(['^!', '2ms ^!']);
    });
  });

  it('ratio: fewer calls than minimumCalls in the window never open it, however many fail', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const b = breaker({ ratio: 0.5, window: 5, minimumCalls: 3, halfOpenAfter: 100 });
      const fail = cold('-#', undefined, boom);
      // Failures end at 1, 4, 7, 10: never 3 within 5 ms.
      expectObservable(b.state$).toBe('c', states);
      for (const at of [0, 3, 6, 9]) expectObservable(fail.pipe(circuitBreaker(b)), `${at}ms ^`).toBe(`${at + 1}ms #`, undefined, boom);
    });
  });

  it('many pipelines share one breaker: failures of one open it for all', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const b = breaker({ threshold: 2, halfOpenAfter: 10, name: 'db' });
      const users = cold('-#', undefined, boom);
      const orders = cold('--#', undefined, boom);
      const reports = cold('-r|');
      expectObservable(users.pipe(circuitBreaker(b))).toBe('-#', undefined, boom);
      expectObservable(orders.pipe(circuitBreaker(b))).toBe('--#', undefined, boom);
      expectObservable(reports.pipe(circuitBreaker(b)), '3ms ^').toBe('3ms #', undefined, open(12, 9, 'db'));
      expectSubscriptions(reports.subscriptions).toBe([]);
    });
  });
});

describe('CircuitBreaker with retryBackoff: the order decides what a failure is', () => {
  it('breaker inside the retry (circuitBreaker, then retryBackoff): every attempt counts; once open, retries fail fast without touching the source', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const b = breaker({ threshold: 2, halfOpenAfter: 100 });
      const source = cold('-#', undefined, boom);
      // Attempts at 0 and 11 fail (open at 12, trials from 112); the retries at 32 and 72 meet the open circuit.
      const out = source.pipe(circuitBreaker(b), retryBackoff({ attempts: 4, baseDelay: 10, jitter: 0 }));
      expectObservable(out).toBe('72ms #', undefined, open(112, 40));
      expectSubscriptions(source.subscriptions).toBe(['^!', '11ms ^!']);
    });
  });

  it('breaker inside, retryOn skipping BrokenCircuitError: the first rejection ends the retries at once', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const b = breaker({ threshold: 2, halfOpenAfter: 100 });
      const source = cold('-#', undefined, boom);
      const out = source.pipe(
        circuitBreaker(b),
        retryBackoff({ attempts: 4, baseDelay: 10, jitter: 0, retryOn: (e) => !(e instanceof BrokenCircuitError) }),
      );
      expectObservable(out).toBe('32ms #', undefined, open(112, 80));
      expectSubscriptions(source.subscriptions).toBe(['^!', '11ms ^!']);
    });
  });

  it('breaker outside the retry (retryBackoff, then circuitBreaker): a failure is a whole operation whose retries all failed', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const b = breaker({ threshold: 2, halfOpenAfter: 100 });
      const source = cold('-#', undefined, boom);
      const op = source.pipe(retryBackoff({ attempts: 3, baseDelay: 10, jitter: 0 }), circuitBreaker(b));
      expectObservable(b.state$).toBe('c 72ms o 99ms h', states);
      expectObservable(op).toBe('33ms #', undefined, boom); // attempts at 0, 11, 32: one failure for the breaker
      expectObservable(op, '40ms ^').toBe('73ms #', undefined, boom); // attempts at 40, 51, 72: the second, opens at 73
      expectObservable(op, '80ms ^').toBe('80ms #', undefined, open(173, 93));
      expectSubscriptions(source.subscriptions).toBe(['^!', '11ms ^!', '32ms ^!', '40ms ^!', '51ms ^!', '72ms ^!']);
    });
  });
});

// The diagrams of the JSDoc and the README, frame for frame: if one of these fails, fix the docs too.
describe('documented diagrams', () => {
  it('circuitBreaker JSDoc: threshold 1, halfOpenAfter 5', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const b = breaker({ threshold: 1, halfOpenAfter: 5 });
      const a = cold('-#', undefined, boom);
      const bSource = cold('-a|');
      expectObservable(b.state$).toBe('co----h-c', states);
      expectObservable(a.pipe(circuitBreaker(b))).toBe('-#', undefined, boom);
      expectObservable(bSource.pipe(circuitBreaker(b)), '---^').toBe('---#', undefined, open(6, 3));
      expectObservable(bSource.pipe(circuitBreaker(b)), '------^').toBe('-------a|');
      expectSubscriptions(bSource.subscriptions).toBe('------^-!');
    });
  });
  // The CircuitBreaker JSDoc and the README's diagram are the first test above
  // ('threshold 2: two failures open it; …'), frame for frame.
});
