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
  it('failAfter(7) and moveOnAfter(7)', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const finite = cold('--a---b---c---|');
      const endless = cold('--a---b---c---');
      expectObservable(finite.pipe(failAfter(7))).toBe('--a---b#', undefined, new DeadlineError(7, 'failAfter(7): not finished within 7 ms', 'failAfter(7)'));
      expectObservable(endless.pipe(moveOnAfter(7))).toBe('--a---b|');
      expectSubscriptions(finite.subscriptions).toBe('^------!');
      expectSubscriptions(endless.subscriptions).toBe('^------!');
    });
  });

  it('failAt(new Date(5)) and moveOnAt(new Date(5))', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const finite = cold('--a---b---c---|');
      const endless = cold('--a---b---c---');
      expectObservable(finite.pipe(failAt(new Date(5)))).toBe('--a--#', undefined, new DeadlineError(5, 'failAt(1970-01-01T00:00:00.005Z): not finished by 1970-01-01T00:00:00.005Z', 'failAt(1970-01-01T00:00:00.005Z)'));
      expectObservable(endless.pipe(moveOnAt(new Date(5)))).toBe('--a--|');
      expectSubscriptions(finite.subscriptions).toBe('^----!');
      expectSubscriptions(endless.subscriptions).toBe('^----!');
    });
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
