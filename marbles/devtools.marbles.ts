import { catchError, mergeMap, of, retry, take, takeUntil } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { createRecorder, traceTasks, type TaskRecord } from '../lib/devtools/index';

/**
 * traceTasks in marbles: it must be invisible to the stream (the same values, errors,
 * completions and subscription logs as without it) while its records match the subscription
 * logs frame for frame.
 */
const testScheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

/** The timing part of the records: `[label, lane, start, end, outcome]`. */
const timing = (records: readonly TaskRecord[]) => records.map((r) => [r.label, r.lane, r.start, r.end, r.outcome]);

describe('traceTasks (marbles)', () => {
  it('passes values and completion through at the same frames and records the subscription', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const recorder = createRecorder();
      const source = cold('--a--b--|');
      expectObservable(source.pipe(traceTasks(recorder, 'x'))).toBe('--a--b--|');
      expectSubscriptions(source.subscriptions).toBe('^-------!');
      ts.flush();
      expect(recorder.records).toEqual([{ id: 0, label: 'x', lane: 0, start: 0, end: 8, outcome: 'completed', values: 2 }]);
    });
  });

  it('passes the error through unchanged', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const recorder = createRecorder();
      const failure = new Error('down');
      const source = cold('--a--#', { a: 1 }, failure);
      expectObservable(source.pipe(traceTasks(recorder, 'x'))).toBe('--a--#', { a: 1 }, failure);
      expectSubscriptions(source.subscriptions).toBe('^----!');
      ts.flush();
      expect(recorder.records).toEqual([
        { id: 0, label: 'x', lane: 0, start: 0, end: 5, outcome: 'errored', values: 1, error: 'Error: down' },
      ]);
    });
  });

  it('passes unsubscription through to a hot source and records it as cancelled', () => {
    const ts = testScheduler();
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const recorder = createRecorder();
      const source = hot('--a--b--c--d--');
      expectObservable(source.pipe(traceTasks(recorder, 'x')), '---^---!').toBe('-----b-');
      expectSubscriptions(source.subscriptions).toBe('---^---!');
      ts.flush();
      expect(timing(recorder.records)).toEqual([['x', 0, 3, 7, 'cancelled']]);
    });
  });

  it('lets a downstream take() unsubscribe the source at the frame it completes', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const recorder = createRecorder();
      const source = cold('-a-b-c-|');
      expectObservable(source.pipe(traceTasks(recorder, 'x'), take(2))).toBe('-a-(b|)');
      expectSubscriptions(source.subscriptions).toBe('^--!');
      ts.flush();
      expect(recorder.records).toMatchObject([{ start: 0, end: 3, outcome: 'cancelled', values: 2 }]);
    });
  });

  it('traces each inner of a fan-out in the frames of its subscription, lanes reused as they free up', () => {
    const ts = testScheduler();
    ts.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const recorder = createRecorder();
      const inners = { a: cold('---x|'), b: cold('--y|'), c: cold('--z|') };
      const source = hot('-a-b-c|');
      const out = source.pipe(mergeMap((k) => inners[k as keyof typeof inners].pipe(traceTasks(recorder, k)), 2));
      expectObservable(out).toBe('----xy-z|');
      expectSubscriptions(source.subscriptions).toBe('^-----!');
      expectSubscriptions(inners.a.subscriptions).toBe('-^---!');
      expectSubscriptions(inners.b.subscriptions).toBe('---^--!');
      expectSubscriptions(inners.c.subscriptions).toBe('-----^--!');
      ts.flush();
      expect(timing(recorder.records)).toEqual([
        ['a', 0, 1, 5, 'completed'],
        ['b', 1, 3, 6, 'completed'],
        ['c', 0, 5, 8, 'completed'],
      ]);
    });
  });

  it('records a deadline (takeUntil) as a cancellation and the retry attempts as separate tasks', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const recorder = createRecorder();
      const flaky = cold('-#');
      const slow = cold('------a|');
      const deadline = cold('---d');
      const out = of(flaky, slow).pipe(
        mergeMap((t, i) =>
          t.pipe(
            traceTasks(recorder, ({ subscription }) => `${i}.${subscription}`),
            i === 0 ? retry(1) : takeUntil(deadline),
            catchError(() => of('e')),
          ),
        ),
      );
      expectObservable(out).toBe('--e|');
      expectSubscriptions(flaky.subscriptions).toBe(['^!', '-^!']);
      expectSubscriptions(slow.subscriptions).toBe('^--!');
      expectSubscriptions(deadline.subscriptions).toBe('^--!');
      ts.flush();
      expect(timing(recorder.records)).toEqual([
        ['0.0', 0, 0, 1, 'errored'],
        ['1.0', 1, 0, 3, 'cancelled'],
        ['0.1', 0, 1, 2, 'errored'],
      ]);
    });
  });
});
