import { finalize, tap } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { DeadlineError } from '../lib/errors';
import { failAfter } from '../lib/resilience/failAfter';
import { failAt } from '../lib/resilience/failAt';
import { moveOnAfter } from '../lib/resilience/moveOnAfter';
import { moveOnAt } from '../lib/resilience/moveOnAt';

const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('failAfter / failAt (marbles)', () => {
  it('failAfter(0): a deadline already passed trips at subscription, before the source is subscribed', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a--b|');
      expectObservable(source.pipe(failAfter(0))).toBe('#', undefined, new DeadlineError(0, 'failAfter(0): not finished within 0 ms', 'failAfter(0)'));
      expectSubscriptions(source.subscriptions).toBe([]);
    });
  });

  it('failAfter(5): the source is unsubscribed when the deadline trips', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('--a---b|');
      expectObservable(source.pipe(failAfter(5))).toBe('--a--#', undefined, new DeadlineError(5, 'failAfter(5): not finished within 5 ms', 'failAfter(5)'));
      expectSubscriptions(source.subscriptions).toBe('^----!');
    });
  });

  it('failAfter: the deadline counts from subscription', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('--a---b|');
      expectObservable(source.pipe(failAfter(5)), '10ms ^').toBe('10ms --a--#', undefined, new DeadlineError(15, 'failAfter(5): not finished within 5 ms', 'failAfter(5)'));
      expectSubscriptions(source.subscriptions).toBe('10ms ^----!');
    });
  });

  it('failAfter: a source that completes in time is untouched', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('--a-|');
      expectObservable(source.pipe(failAfter(10))).toBe('--a-|');
      expectSubscriptions(source.subscriptions).toBe('^---!');
    });
  });

  it('failAfter: an error of the source before the deadline passes through', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('--#', undefined, new Error('own'));
      expectObservable(source.pipe(failAfter(10))).toBe('--#', undefined, new Error('own'));
      expectSubscriptions(source.subscriptions).toBe('^-!');
    });
  });

  it('failAfter(null): no deadline', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('--a 100ms b|');
      expectObservable(source.pipe(failAfter(null))).toBe('--a 100ms b|');
      expectSubscriptions(source.subscriptions).toBe('^ 103ms !');
    });
  });

  it('failAt(date): errors at the absolute moment', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('--a---b|');
      expectObservable(source.pipe(failAt(new Date(5))), '2ms ^').toBe('2ms --a#', undefined, new DeadlineError(5, 'failAt(1970-01-01T00:00:00.005Z): not finished by 1970-01-01T00:00:00.005Z', 'failAt(1970-01-01T00:00:00.005Z)'));
      expectSubscriptions(source.subscriptions).toBe('2ms ^--!');
    });
  });

  it('failAt: a deadline already past trips at subscription; the source is never subscribed', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a--b|');
      expectObservable(source.pipe(failAt(5)), '20ms ^').toBe('20ms #', undefined, new DeadlineError(5, 'failAt(5): not finished by time 5 ms (scheduler clock)', 'failAt(5)'));
      expectSubscriptions(source.subscriptions).toBe([]);
    });
  });

  it('failAt(null): no deadline', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-----a|');
      expectObservable(source.pipe(failAt(null))).toBe('-----a|');
      expectSubscriptions(source.subscriptions).toBe('^-----!');
    });
  });
});

describe('moveOnAfter / moveOnAt (marbles)', () => {
  it('moveOnAfter on a never-ending source completes at the deadline and unsubscribes the source', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-b-c-d-e-f-');
      expectObservable(source.pipe(moveOnAfter(6))).toBe('-a-b-c|');
      expectSubscriptions(source.subscriptions).toBe('^-----!');
    });
  });

  it('moveOnAfter(0) completes at subscription without subscribing the source', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-');
      expectObservable(source.pipe(moveOnAfter(0))).toBe('|');
      expectSubscriptions(source.subscriptions).toBe([]);
    });
  });

  it('moveOnAfter(null): no deadline', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a 50ms b-');
      expectObservable(source.pipe(moveOnAfter(null)), '^ 100ms !').toBe('-a 50ms b-');
      expectSubscriptions(source.subscriptions).toBe('^ 100ms !');
    });
  });

  it('moveOnAt(date) completes at the absolute moment', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-b-c-');
      expectObservable(source.pipe(moveOnAt(new Date(4)))).toBe('-a-b|');
      expectSubscriptions(source.subscriptions).toBe('^---!');
    });
  });

  it('moveOnAt: a deadline already past completes at subscription without subscribing the source', () => {
    scheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('-a--b-c-');
      expectObservable(source.pipe(moveOnAt(1)), '3ms ^').toBe('3ms |');
      expectSubscriptions(source.subscriptions).toBe([]);
    });
  });

  it('moveOnAt(null): no deadline', () => {
    scheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('-a-b-c-|');
      expectObservable(source.pipe(moveOnAt(null))).toBe('-a-b-c-|');
      expectSubscriptions(source.subscriptions).toBe('^------!');
    });
  });
});

describe('moveOnAfter / moveOnAt: onTimeout tells whether the deadline cut the work (anyio cancelled_caught)', () => {
  /** A log of what happened, with the frame: `onTimeout@6`, `source finalized@6`, `complete@6`. */
  const recorder = (ts: TestScheduler) => {
    const log: string[] = [];
    const note = (what: string) => () => void log.push(`${what}@${ts.now()}`);
    return { log, note };
  };

  it('called once when the deadline cuts a source: after the source is torn down, before the output completes', () => {
    const ts = scheduler();
    const { log, note } = recorder(ts);
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-b-c-d-e-');
      const cut = source.pipe(finalize(note('source finalized')), moveOnAfter(6, { onTimeout: note('onTimeout') }), tap({ complete: note('complete') }));
      expectObservable(cut).toBe('-a-b-c|');
      expectSubscriptions(source.subscriptions).toBe('^-----!');
    });
    expect(log).toEqual(['source finalized@6', 'onTimeout@6', 'complete@6']);
  });

  it('moveOnAt: called once at the absolute deadline, on the scheduler given in the options', () => {
    const ts = scheduler();
    const { log, note } = recorder(ts);
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('-a-b-c-d-');
      expectObservable(source.pipe(moveOnAt(new Date(4), { scheduler: ts, onTimeout: note('onTimeout') }))).toBe('-a-b|');
      expectSubscriptions(source.subscriptions).toBe('^---!');
    });
    expect(log).toEqual(['onTimeout@4']);
  });

  it('never called when the source completes first (the timer is disarmed)', () => {
    const ts = scheduler();
    const { log, note } = recorder(ts);
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-|');
      expectObservable(source.pipe(moveOnAfter(6, { onTimeout: note('onTimeout') }))).toBe('-a-|');
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
    expect(log).toEqual([]);
    expect(ts.actions.filter((a) => !a.closed)).toEqual([]);
  });

  it('never called when the source completes in the deadline frame itself (it was scheduled first)', () => {
    const ts = scheduler();
    const { log, note } = recorder(ts);
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a----|');
      expectObservable(source.pipe(moveOnAfter(6, { onTimeout: note('onTimeout') }))).toBe('-a----|');
      expectSubscriptions(source.subscriptions).toBe('^-----!');
    });
    expect(log).toEqual([]);
  });

  it('never called when the source errors first', () => {
    const ts = scheduler();
    const { log, note } = recorder(ts);
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-#', undefined, new Error('own'));
      expectObservable(source.pipe(moveOnAfter(6, { onTimeout: note('onTimeout') }))).toBe('-a-#', undefined, new Error('own'));
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
    expect(log).toEqual([]);
  });

  it('never called when the output is unsubscribed first', () => {
    const ts = scheduler();
    const { log, note } = recorder(ts);
    ts.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-b-c-d-');
      const live = hot('-x-y-z-');
      expectObservable(source.pipe(moveOnAfter(6, { onTimeout: note('onTimeout') })), '^--!').toBe('-a-');
      expectObservable(live.pipe(moveOnAt(5, { onTimeout: note('onTimeout at') })), '^-!').toBe('-x-');
      expectSubscriptions(source.subscriptions).toBe('^--!');
      expectSubscriptions(live.subscriptions).toBe('^-!');
    });
    expect(log).toEqual([]);
  });

  it('a deadline already past at subscription: called once, synchronously, and the source is never subscribed', () => {
    const ts = scheduler();
    const { log, note } = recorder(ts);
    ts.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-');
      const live = hot('-a--b-c-');
      expectObservable(source.pipe(moveOnAfter(0, { onTimeout: note('after(0)') }))).toBe('|');
      expectObservable(live.pipe(moveOnAt(1, { onTimeout: note('at(1)') })), '3ms ^').toBe('3ms |');
      expectSubscriptions(source.subscriptions).toBe([]);
      expectSubscriptions(live.subscriptions).toBe([]);
    });
    expect(log).toEqual(['after(0)@0', 'at(1)@3']);
  });

  it('once per subscription that the deadline cut', () => {
    const ts = scheduler();
    const { log, note } = recorder(ts);
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const slow = cold('---a|');
      const guarded = slow.pipe(moveOnAfter(2, { onTimeout: note('onTimeout') }));
      expectObservable(guarded).toBe('--|');
      expectObservable(guarded, '5ms ^').toBe('5ms --|');
      expectObservable(cold('-a|').pipe(moveOnAfter(2, { onTimeout: note('never') }))).toBe('-a|');
      expectSubscriptions(slow.subscriptions).toBe(['^-!', '5ms ^-!']);
    });
    expect(log).toEqual(['onTimeout@2', 'onTimeout@7']);
  });

  it('an error thrown by onTimeout errors the output with it (the source is already torn down)', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-b-c-');
      const boom = new Error('onTimeout failed');
      expectObservable(
        source.pipe(
          moveOnAfter(4, {
            onTimeout: () => {
              throw boom;
            },
          }),
        ),
      ).toBe('-a-b#', undefined, boom);
      expectSubscriptions(source.subscriptions).toBe('^---!');
    });
  });

  it('the deadline operators tear the source down before the output hears of its end (the lifecycle rule)', () => {
    const ts = scheduler();
    const { log, note } = recorder(ts);
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const done = cold('-a|');
      const cut = cold('-a--b-');
      expectObservable(done.pipe(finalize(note('done finalized')), failAfter(5), tap({ complete: note('complete') }))).toBe('-a|');
      expectObservable(cut.pipe(finalize(note('cut finalized')), failAfter(3), tap({ error: note('error') }))).toBe('-a-#', undefined, new DeadlineError(3, 'failAfter(3): not finished within 3 ms', 'failAfter(3)'));
      expectSubscriptions(done.subscriptions).toBe('^-!');
      expectSubscriptions(cut.subscriptions).toBe('^--!');
    });
    expect(log).toEqual(['done finalized@2', 'complete@2', 'cut finalized@3', 'error@3']);
  });
});

describe('nested deadlines', () => {
  it('failAfter inside moveOnAfter: the inner error wins when it is earlier', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a--b--c--');
      expectObservable(source.pipe(failAfter(3), moveOnAfter(5))).toBe('-a-#', undefined, new DeadlineError(3, 'failAfter(3): not finished within 3 ms', 'failAfter(3)'));
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  it('failAfter inside moveOnAfter: the outer completion wins when it is earlier', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a--b--c--');
      expectObservable(source.pipe(failAfter(5), moveOnAfter(3))).toBe('-a-|');
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  it('moveOnAfter inside failAfter: an inner move-on completes cleanly before the outer deadline', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-b-c-d-');
      expectObservable(source.pipe(moveOnAfter(4), failAfter(6))).toBe('-a-b|');
      expectSubscriptions(source.subscriptions).toBe('^---!');
    });
  });
});

// The diagrams of the JSDoc and the README, frame for frame: if one of these fails, fix the docs too.
describe('documented diagrams', () => {
  it('failAfter(7) and moveOnAfter(7) (onTimeout at 7; not called for a source that finished in time)', () => {
    const ts = scheduler();
    const calls: number[] = [];
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const finite = cold('--a---b---c---|');
      const endless = cold('--a---b---c---');
      const quick = cold('--a|');
      expectObservable(finite.pipe(failAfter(7))).toBe('--a---b#', undefined, new DeadlineError(7, 'failAfter(7): not finished within 7 ms', 'failAfter(7)'));
      expectObservable(endless.pipe(moveOnAfter(7, { onTimeout: () => calls.push(ts.now()) }))).toBe('--a---b|');
      expectObservable(quick.pipe(moveOnAfter(7, { onTimeout: () => calls.push(-1) }))).toBe('--a|');
      expectSubscriptions(finite.subscriptions).toBe('^------!');
      expectSubscriptions(endless.subscriptions).toBe('^------!');
      expectSubscriptions(quick.subscriptions).toBe('^--!');
    });
    expect(calls).toEqual([7]);
  });

  it('failAt(new Date(5)) and moveOnAt(new Date(5)) (onTimeout at 5)', () => {
    const ts = scheduler();
    const calls: number[] = [];
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const finite = cold('--a---b---c---|');
      const endless = cold('--a---b---c---');
      expectObservable(finite.pipe(failAt(new Date(5)))).toBe('--a--#', undefined, new DeadlineError(5, 'failAt(1970-01-01T00:00:00.005Z): not finished by 1970-01-01T00:00:00.005Z', 'failAt(1970-01-01T00:00:00.005Z)'));
      expectObservable(endless.pipe(moveOnAt(new Date(5), { onTimeout: () => calls.push(ts.now()) }))).toBe('--a--|');
      expectSubscriptions(finite.subscriptions).toBe('^----!');
      expectSubscriptions(endless.subscriptions).toBe('^----!');
    });
    expect(calls).toEqual([5]);
  });

  it('README: failAfter(3) and moveOnAfter(3)', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a--b--c--');
      expectObservable(source.pipe(failAfter(3))).toBe('-a-#', undefined, new DeadlineError(3, 'failAfter(3): not finished within 3 ms', 'failAfter(3)'));
      expectObservable(source.pipe(moveOnAfter(3))).toBe('-a-|');
      expectSubscriptions(source.subscriptions).toBe(['^--!', '^--!']);
    });
  });
});
