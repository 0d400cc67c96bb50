import { EMPTY, catchError, of, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { EmptyTaskError } from '../lib/errors';
import { firstSuccess } from '../lib/combinators/firstSuccess';
import { firstToFinish } from '../lib/combinators/firstToFinish';
import { gather } from '../lib/combinators/gather';
import { streamConcurrently } from '../lib/combinators/streamConcurrently';
import { streamConcurrentlyWith } from '../lib/combinators/streamConcurrentlyWith';

let testScheduler: TestScheduler;
beforeEach(() => {
  testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
});

const boom = new Error('boom');

/** Turns an error into a plain summary value, so an AggregateError can be compared field by field. */
function summarize<T>(source: Observable<T>): Observable<T | { name: string; message: string; errors: unknown[] }> {
  return source.pipe(
    catchError((error: AggregateError) => of({ name: error.name, message: error.message, errors: error.errors })),
  );
}

describe('streamConcurrently', () => {
  it('non-exhaustive: a source that is empty at once completes the output with no values', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('--a--b--|');
      const e = cold('|');
      expectObservable(streamConcurrently(a, e)).toBe('|');
      expectSubscriptions(a.subscriptions).toBe('(^!)');
      expectSubscriptions(e.subscriptions).toBe('(^!)');
    });
  });

  it('non-exhaustive: a synchronously empty source listed first means the others are never subscribed', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('--a--b--|');
      expectObservable(streamConcurrently(EMPTY, a)).toBe('|');
      expectSubscriptions(a.subscriptions).toBe([]);
    });
  });

  it('exhaustive: an empty source does not stop the other, whose values all come through', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('--a--b--|');
      const e = cold('|');
      expectObservable(streamConcurrently(a, e, { exhaustive: true })).toBe('--a--b--|');
      expectSubscriptions(a.subscriptions).toBe('^-------!');
      expectSubscriptions(e.subscriptions).toBe('(^!)');
    });
  });

  it('early completion of one source unsubscribes the slow one at that frame', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const fast = cold('-x-y|');
      const slow = cold('--1-----2-----|');
      expectObservable(streamConcurrently(fast, slow)).toBe('-x1y|');
      expectSubscriptions(fast.subscriptions).toBe('^---!');
      expectSubscriptions(slow.subscriptions).toBe('^---!');
    });
  });

  it('a source error after one value errors the output, keeps the value, unsubscribes the rest', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const failing = cold('-x--#', undefined, boom);
      const other = cold('---1-----2|');
      expectObservable(streamConcurrently(failing, other, { exhaustive: true })).toBe('-x-1#', undefined, boom);
      expectSubscriptions(failing.subscriptions).toBe('^---!');
      expectSubscriptions(other.subscriptions).toBe('^---!');
    });
  });

  it('the consumer unsubscribing tears both sources down', () => {
    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const a = cold('-x---y-|');
      const b = hot('--1--2--3--|');
      expectObservable(streamConcurrently(a, b), '^---!').toBe('-x1-');
      expectSubscriptions(a.subscriptions).toBe('^---!');
      expectSubscriptions(b.subscriptions).toBe('^---!');
    });
  });

  it('three sources: values interleave; the first completion ends it, or the last with exhaustive', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('a-----a---|');
      const b = cold('-b-----|');
      const c = cold('--c--c-------c|');
      expectObservable(streamConcurrently(a, b, c)).toBe('abc--ca|');
      expectObservable(streamConcurrently(a, b, c, { exhaustive: true })).toBe('abc--ca------c|');
      expectSubscriptions(a.subscriptions).toBe(['^------!', '^---------!']);
      expectSubscriptions(b.subscriptions).toBe(['^------!', '^------!']);
      expectSubscriptions(c.subscriptions).toBe(['^------!', '^-------------!']);
    });
  });

  it('a factory source is called on subscription, and its observable torn down like the others', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('---|');
      const made = cold('-1-2-3|');
      expectObservable(streamConcurrently(a, () => made)).toBe('-1-|');
      expectSubscriptions(a.subscriptions).toBe('^--!');
      expectSubscriptions(made.subscriptions).toBe('^--!');
    });
  });

  it('never-ending sources: never completes, and nothing is torn down until unsubscribe', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('-');
      const b = cold('--x-');
      expectObservable(streamConcurrently(a, b), '^-----!').toBe('--x---');
      expectSubscriptions(a.subscriptions).toBe('^-----!');
      expectSubscriptions(b.subscriptions).toBe('^-----!');
    });
  });
});

describe('streamConcurrentlyWith', () => {
  it('merges the source with the others until the first completes', () => {
    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const source = hot('--1-----3-----5--|');
      const other = cold('----2-----4|');
      expectObservable(source.pipe(streamConcurrentlyWith(other))).toBe('--1-2---3-4|');
      expectSubscriptions(source.subscriptions).toBe('^----------!');
      expectSubscriptions(other.subscriptions).toBe('^----------!');
    });
  });

  it('exhaustive: completes when the source and every other have completed', () => {
    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const source = hot('--1-----3-----5--|');
      const other = cold('----2-----4|');
      expectObservable(source.pipe(streamConcurrentlyWith(other, { exhaustive: true }))).toBe('--1-2---3-4---5--|');
      expectSubscriptions(source.subscriptions).toBe('^----------------!');
      expectSubscriptions(other.subscriptions).toBe('^----------!');
    });
  });

  it('with no others mirrors the source', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-b|');
      expectObservable(source.pipe(streamConcurrentlyWith())).toBe('-a-b|');
      expectSubscriptions(source.subscriptions).toBe('^---!');
    });
  });
});

describe('gather', () => {
  it('keeps input order when the tasks finish in reverse order', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('------(a|)');
      const b = cold('----b|');
      const c = cold('-c|');
      expectObservable(gather(a, b, c)).toBe('------(r|)', { r: ['a', 'b', 'c'] });
      expectSubscriptions(a.subscriptions).toBe('^-----!');
      expectSubscriptions(b.subscriptions).toBe('^----!');
      expectSubscriptions(c.subscriptions).toBe('^-!');
    });
  });

  it('takes each task\'s last value', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('-1-2-3|');
      const b = cold('--x|');
      expectObservable(gather(a, b)).toBe('------(r|)', { r: ['3', 'x'] });
      expectSubscriptions(a.subscriptions).toBe('^-----!');
      expectSubscriptions(b.subscriptions).toBe('^--!');
    });
  });

  it('an error at 10 ms with a peer that would take 10 s errors at 10 ms and unsubscribes the peer then', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const failing = cold('10ms #', undefined, boom);
      const slow = cold('10s x|');
      expectObservable(gather(slow, failing)).toBe('10ms #', undefined, boom);
      expectSubscriptions(failing.subscriptions).toBe('^ 9ms !');
      expectSubscriptions(slow.subscriptions).toBe('^ 9ms !');
    });
  });

  it('errors: "all" — two tasks failing in the same frame: an AggregateError of both in input order (an empty task too); the others unsubscribed in that frame', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const slow = cold('10s x|');
      const late = cold('---#', undefined, new Error('late'));
      const early = cold('---#', undefined, boom);
      const empty = cold('---|');
      const after = cold('----#', undefined, new Error('after'));
      expectObservable(summarize(gather(slow, late, early, empty, after, { errors: 'all' }))).toBe('---(r|)', {
        r: { name: 'AggregateError', message: '3 tasks failed', errors: [new Error('late'), boom, new EmptyTaskError(3)] },
      });
      expectSubscriptions(slow.subscriptions).toBe('^--!');
      expectSubscriptions(late.subscriptions).toBe('^--!');
      expectSubscriptions(early.subscriptions).toBe('^--!');
      expectSubscriptions(empty.subscriptions).toBe('^--!');
      expectSubscriptions(after.subscriptions).toBe('^--!');
    });
  });

  it('errors: "all" — one failure is an AggregateError of one, in its frame; object form too', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const user = cold('-----u|');
      const orders = cold('-#', undefined, boom);
      expectObservable(summarize(gather({ user, orders }, { errors: 'all' }))).toBe('-(r|)', {
        r: { name: 'AggregateError', message: '1 task failed', errors: [boom] },
      });
      expectSubscriptions(user.subscriptions).toBe('^!');
      expectSubscriptions(orders.subscriptions).toBe('^!');
    });
  });

  it('settle mode emits a Settled per slot and never errors', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('--x|');
      const e = cold('-#', undefined, boom);
      const c = cold('---y|');
      const empty = cold('--|');
      expectObservable(gather(a, e, c, empty, { settle: true })).toBe('----(r|)', {
        r: [
          { status: 'fulfilled', value: 'x' },
          { status: 'rejected', reason: boom },
          { status: 'fulfilled', value: 'y' },
          { status: 'rejected', reason: new EmptyTaskError(3) },
        ],
      });
      expectSubscriptions(a.subscriptions).toBe('^--!');
      expectSubscriptions(e.subscriptions).toBe('^!');
      expectSubscriptions(c.subscriptions).toBe('^---!');
      expectSubscriptions(empty.subscriptions).toBe('^-!');
    });
  });

  it('object form: one object of last values under the same keys', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const user = cold('--u|');
      const orders = cold('-o-p|');
      expectObservable(gather({ user, orders })).toBe('----(r|)', { r: { user: 'u', orders: 'p' } });
      expectSubscriptions(user.subscriptions).toBe('^--!');
      expectSubscriptions(orders.subscriptions).toBe('^---!');
    });
  });

  it('object form with settle, and a failure that cancels the rest without settle', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const user = cold('--u|');
      const orders = cold('-#', undefined, boom);
      expectObservable(gather({ user, orders }, { settle: true })).toBe('---(r|)', {
        r: { user: { status: 'fulfilled', value: 'u' }, orders: { status: 'rejected', reason: boom } },
      });
      expectObservable(gather({ user, orders })).toBe('-#', undefined, boom);
      expectSubscriptions(user.subscriptions).toBe(['^--!', '^!']);
      expectSubscriptions(orders.subscriptions).toBe(['^!', '^!']);
    });
  });

  it('a task that completes without a value errors with a message naming its index or key', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('-----a|');
      const empty = cold('--|');
      expectObservable(gather(a, empty)).toBe('--#', undefined, new EmptyTaskError(1));
      expectObservable(gather({ a, profile: empty })).toBe('--#', undefined, new EmptyTaskError('profile'));
      expectSubscriptions(a.subscriptions).toBe(['^-!', '^-!']);
      expectSubscriptions(empty.subscriptions).toBe(['^-!', '^-!']);
    });
  });

  it('no tasks: emits [] (or {}) and completes at once', () => {
    testScheduler.run(({ expectObservable }) => {
      expectObservable(gather()).toBe('(r|)', { r: [] });
      expectObservable(gather({})).toBe('(r|)', { r: {} });
    });
  });

  it('the consumer unsubscribing tears every task down', () => {
    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const a = cold('-----a|');
      const b = hot('--------b|');
      expectObservable(gather(a, b), '^--!').toBe('---');
      expectSubscriptions(a.subscriptions).toBe('^--!');
      expectSubscriptions(b.subscriptions).toBe('^--!');
    });
  });
});

describe('firstToFinish', () => {
  it('a success at 4 ms beats errors at 5 and 6 ms; the losers are unsubscribed at 4 ms', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const ok = cold('4ms (x|)');
      const e5 = cold('5ms #');
      const e6 = cold('6ms #');
      expectObservable(firstToFinish(e5, ok, e6)).toBe('4ms (x|)');
      expectSubscriptions(ok.subscriptions).toBe('^ 3ms !');
      expectSubscriptions(e5.subscriptions).toBe('^ 3ms !');
      expectSubscriptions(e6.subscriptions).toBe('^ 3ms !');
    });
  });

  it('an error at 5 ms beats successes at 50 and 100 ms', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const s50 = cold('50ms (x|)');
      const e5 = cold('5ms #', undefined, boom);
      const s100 = cold('100ms (y|)');
      expectObservable(firstToFinish(s50, e5, s100)).toBe('5ms #', undefined, boom);
      expectSubscriptions(s50.subscriptions).toBe('^ 4ms !');
      expectSubscriptions(e5.subscriptions).toBe('^ 4ms !');
      expectSubscriptions(s100.subscriptions).toBe('^ 4ms !');
    });
  });

  it('all fail: the earliest error', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e7 = cold('7ms #', undefined, 'e7');
      const e3 = cold('3ms #', undefined, 'e3');
      const e5 = cold('5ms #', undefined, 'e5');
      expectObservable(firstToFinish(e7, e3, e5)).toBe('3ms #', undefined, 'e3');
      expectSubscriptions(e7.subscriptions).toBe('^ 2ms !');
      expectSubscriptions(e3.subscriptions).toBe('^ 2ms !');
      expectSubscriptions(e5.subscriptions).toBe('^ 2ms !');
    });
  });

  it('a single task: its result, success (last value) or error', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const ok = cold('--a-b|');
      const bad = cold('---#', undefined, boom);
      expectObservable(firstToFinish(ok)).toBe('-----(b|)');
      expectObservable(firstToFinish(bad)).toBe('---#', undefined, boom);
      expectSubscriptions(ok.subscriptions).toBe('^----!');
      expectSubscriptions(bad.subscriptions).toBe('^--!');
    });
  });

  it('waits for the first to finish, not the first to emit (unlike rxjs race)', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const chatty = cold('-1-------2|');
      const quiet = cold('----x|');
      expectObservable(firstToFinish(chatty, quiet)).toBe('-----(x|)');
      expectSubscriptions(chatty.subscriptions).toBe('^----!');
      expectSubscriptions(quiet.subscriptions).toBe('^----!');
    });
  });

  it('a winner without a value errors with EmptyTaskError naming it', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const slow = cold('---x|');
      const empty = cold('-|');
      expectObservable(firstToFinish(slow, empty)).toBe('-#', undefined, new EmptyTaskError(1));
      expectSubscriptions(slow.subscriptions).toBe('^!');
      expectSubscriptions(empty.subscriptions).toBe('^!');
    });
  });

  it('the consumer unsubscribing tears every task down', () => {
    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const a = cold('-----a|');
      const b = hot('------b|');
      expectObservable(firstToFinish(a, b), '^-!').toBe('--');
      expectSubscriptions(a.subscriptions).toBe('^-!');
      expectSubscriptions(b.subscriptions).toBe('^-!');
    });
  });
});

describe('firstSuccess', () => {
  it('an error at 1 ms then a success at 5 ms: the success; the rest unsubscribed at 5 ms', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('-#', undefined, boom);
      const s5 = cold('5ms (x|)');
      const slow = cold('20ms (y|)');
      expectObservable(firstSuccess(e1, s5, slow)).toBe('5ms (x|)');
      expectSubscriptions(e1.subscriptions).toBe('^!');
      expectSubscriptions(s5.subscriptions).toBe('^ 4ms !');
      expectSubscriptions(slow.subscriptions).toBe('^ 4ms !');
    });
  });

  it('all fail: an AggregateError with every error in input order, at the last failure', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e5 = cold('5ms #', undefined, 'e5');
      const e1 = cold('1ms #', undefined, 'e1');
      const empty = cold('---|');
      expectObservable(summarize(firstSuccess(e5, e1, empty))).toBe('5ms (r|)', {
        r: { name: 'AggregateError', message: 'All 3 tasks failed', errors: ['e5', 'e1', new EmptyTaskError(2)] },
      });
      expectSubscriptions(e5.subscriptions).toBe('^ 4ms !');
      expectSubscriptions(e1.subscriptions).toBe('^!');
      expectSubscriptions(empty.subscriptions).toBe('^--!');
    });
  });

  it('a single task: its value, or an AggregateError of its one error', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const ok = cold('-a-b|');
      const bad = cold('--#', undefined, boom);
      expectObservable(firstSuccess(ok)).toBe('----(b|)');
      expectObservable(summarize(firstSuccess(bad))).toBe('--(r|)', {
        r: { name: 'AggregateError', message: 'The only task failed', errors: [boom] },
      });
      expectSubscriptions(ok.subscriptions).toBe('^---!');
      expectSubscriptions(bad.subscriptions).toBe('^-!');
    });
  });

  it('the consumer unsubscribing tears every task down', () => {
    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const a = cold('----#');
      const b = hot('------b|');
      expectObservable(firstSuccess(a, b), '^--!').toBe('---');
      expectSubscriptions(a.subscriptions).toBe('^--!');
      expectSubscriptions(b.subscriptions).toBe('^--!');
    });
  });
});

// The diagrams of the JSDoc and the README, frame for frame: if one of these fails, fix the docs too.
describe('documented diagrams', () => {
  it('streamConcurrently', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('--1-----3--|');
      const b = cold('----2-----------4--|');
      expectObservable(streamConcurrently(a, b)).toBe('--1-2---3--|');
      expectObservable(streamConcurrently(a, b, { exhaustive: true })).toBe('--1-2---3-------4--|');
      expectSubscriptions(a.subscriptions).toBe(['^----------!', '^----------!']);
      expectSubscriptions(b.subscriptions).toBe(['^----------!', '^------------------!']);
    });
  });

  it('streamConcurrentlyWith', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('--1-----3-----5--|');
      const other = cold('----2-----4|');
      expectObservable(source.pipe(streamConcurrentlyWith(other))).toBe('--1-2---3-4|');
      expectObservable(source.pipe(streamConcurrentlyWith(other, { exhaustive: true }))).toBe('--1-2---3-4---5--|');
      expectSubscriptions(source.subscriptions).toBe(['^----------!', '^----------------!']);
      expectSubscriptions(other.subscriptions).toBe(['^----------!', '^----------!']);
    });
  });

  it('gather', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('----1--2|');
      const b = cold('-x|');
      const c = cold('-------y|');
      const e = cold('---#', undefined, boom);
      expectObservable(gather(a, b, c)).toBe('--------(r|)', { r: ['2', 'x', 'y'] });
      expectObservable(gather(a, e)).toBe('---#', undefined, boom);
      expectObservable(gather(a, e, { settle: true })).toBe('--------(s|)', {
        s: [{ status: 'fulfilled', value: '2' }, { status: 'rejected', reason: boom }],
      });
      expectSubscriptions(a.subscriptions).toBe(['^-------!', '^--!', '^-------!']);
      expectSubscriptions(b.subscriptions).toBe('^-!');
      expectSubscriptions(c.subscriptions).toBe('^-------!');
      expectSubscriptions(e.subscriptions).toBe(['^--!', '^--!']);
    });
  });

  it('firstToFinish', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('----(x|)');
      const b = cold('-----#');
      const c = cold('---------------y|');
      const d = cold('--#');
      expectObservable(firstToFinish(a, b, c)).toBe('----(x|)');
      expectObservable(firstToFinish(a, d)).toBe('--#');
      expectSubscriptions(a.subscriptions).toBe(['^---!', '^-!']);
      expectSubscriptions(b.subscriptions).toBe('^---!');
      expectSubscriptions(c.subscriptions).toBe('^---!');
      expectSubscriptions(d.subscriptions).toBe('^-!');
    });
  });

  it('firstSuccess', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('-#', undefined, 'error of a');
      const b = cold('-----(x|)');
      const c = cold('-----------y|');
      const d = cold('---#', undefined, 'error of d');
      expectObservable(firstSuccess(a, b, c)).toBe('-----(x|)');
      expectObservable(summarize(firstSuccess(a, d))).toBe('---(r|)', {
        r: { name: 'AggregateError', message: 'All 2 tasks failed', errors: ['error of a', 'error of d'] },
      });
      expectSubscriptions(a.subscriptions).toBe(['^!', '^!']);
      expectSubscriptions(b.subscriptions).toBe('^----!');
      expectSubscriptions(c.subscriptions).toBe('^----!');
      expectSubscriptions(d.subscriptions).toBe('^--!');
    });
  });
});
