import { TestScheduler } from 'rxjs/testing';
import { takeUntilAborted } from '../lib/resilience/takeUntilAborted';

const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const reason = new Error('user left');

describe('takeUntilAborted (marbles)', () => {
  it('errors with the signal\'s reason when it aborts, and unsubscribes the source then', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const controller = new AbortController();
      const source = cold('--a--b--c--');
      cold('------x|').subscribe(() => controller.abort(reason));
      expectObservable(source.pipe(takeUntilAborted(controller.signal))).toBe('--a--b#', undefined, reason);
      expectSubscriptions(source.subscriptions).toBe('^-----!');
    });
  });

  it("mode 'complete': completes instead", () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const controller = new AbortController();
      const source = cold('--a--b--c--');
      cold('------x|').subscribe(() => controller.abort(reason));
      expectObservable(source.pipe(takeUntilAborted(controller.signal, { mode: 'complete' }))).toBe('--a--b|');
      expectSubscriptions(source.subscriptions).toBe('^-----!');
    });
  });

  it('an already-aborted signal ends the stream at subscription without subscribing the source', () => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const controller = new AbortController();
      controller.abort(reason);
      const source = cold('--a|');
      const live = hot('--a--b--|');
      expectObservable(source.pipe(takeUntilAborted(controller.signal))).toBe('#', undefined, reason);
      expectObservable(live.pipe(takeUntilAborted(controller.signal, { mode: 'complete' })), '---^').toBe('---|');
      expectSubscriptions(source.subscriptions).toBe([]);
      expectSubscriptions(live.subscriptions).toBe([]);
    });
  });

  it('a source that ends first is passed through untouched; a later abort changes nothing', () => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const controller = new AbortController();
      const source = hot('-a-b|');
      cold('------x|').subscribe(() => controller.abort(reason));
      expectObservable(source.pipe(takeUntilAborted(controller.signal))).toBe('-a-b|');
      expectSubscriptions(source.subscriptions).toBe('^---!');
    });
  });

  it('unsubscribing before the abort: the source is unsubscribed at that moment, nothing after', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const controller = new AbortController();
      const source = cold('--a--b--c--');
      cold('------x|').subscribe(() => controller.abort(reason));
      expectObservable(source.pipe(takeUntilAborted(controller.signal)), '^--!').toBe('--a');
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  it('one signal ends every stream that follows it, at the same moment', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const controller = new AbortController();
      const a = cold('-a-a-a-a');
      const b = cold('--b--b--');
      cold('-----x|').subscribe(() => controller.abort(reason));
      expectObservable(a.pipe(takeUntilAborted(controller.signal))).toBe('-a-a-#', undefined, reason);
      expectObservable(b.pipe(takeUntilAborted(controller.signal, { mode: 'complete' })), '--^').toBe('----b|');
      expectSubscriptions(a.subscriptions).toBe('^----!');
      expectSubscriptions(b.subscriptions).toBe('--^--!');
    });
  });
});
