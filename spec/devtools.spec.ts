import fc from 'fast-check';
import {
  EMPTY,
  NEVER,
  Observable,
  catchError,
  defer,
  from,
  mergeMap,
  of,
  retry,
  take,
  takeUntil,
  tap,
  throwError,
  timer,
} from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import {
  createRecorder,
  renderTimeline,
  renderTimelineText,
  traceTasks,
  type TaskRecord,
  type TaskRecorder,
} from '../lib/devtools/index';

const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

/**
 * The known run: 10 tasks through `mergeMap(…, 3)` in virtual time. Task i takes `durations[i]`
 * frames and emits `i` as it completes, except task 4, which errors ("boom") after 5 frames, and
 * task 6, which would take 20 but is cut off by an 8-frame deadline (`takeUntil`).
 */
const durations = [4, 2, 6, 3, 5, 1, 20, 2, 4, 3];

function knownRun(): { records: TaskRecord[]; written: number[]; emitted: [number, number | 'done'][] } {
  const testScheduler = scheduler();
  let records: TaskRecord[] = [];
  const written: number[] = [];
  const emitted: [number, number | 'done'][] = [];
  testScheduler.run(({ cold }) => {
    const recorder = createRecorder({ scheduler: testScheduler });
    recorder.records$.subscribe((r) => written.push(r.id));
    const task = (i: number): Observable<number> =>
      i === 4 ? cold('-----#', {}, new Error('boom')) : cold(`${'-'.repeat(durations[i]!)}(v|)`, { v: i });
    const run = from(durations.keys()).pipe(
      mergeMap(
        (i) =>
          task(i).pipe(
            traceTasks(recorder, `order ${i}`),
            takeUntil(timer(8)),
            catchError(() => EMPTY),
          ),
        3,
      ),
    );
    run.subscribe({ next: (v) => emitted.push([testScheduler.now(), v]), complete: () => emitted.push([testScheduler.now(), 'done']) });
    testScheduler.flush();
    records = [...recorder.records];
  });
  return { records, written, emitted };
}

describe('traceTasks + createRecorder', () => {
  it('records a known virtual-time run exactly: limit 3, 10 tasks, one error, one cancellation', () => {
    const { records, written, emitted } = knownRun();
    // The traced run itself is untouched: values at the ends of their tasks, the deadline at 14.
    expect(emitted).toEqual([[2, 1], [4, 0], [5, 3], [6, 2], [6, 5], [8, 7], [12, 8], [12, 9], [14, 'done']]);
    const r = (id: number, lane: number, start: number, end: number, outcome: TaskRecord['outcome'], values: number) =>
      ({ id, label: `order ${id}`, lane, start, end, outcome, values }) as TaskRecord;
    expect(records).toEqual([
      r(0, 0, 0, 4, 'completed', 1),
      r(1, 1, 0, 2, 'completed', 1),
      r(2, 2, 0, 6, 'completed', 1),
      r(3, 1, 2, 5, 'completed', 1),
      { ...r(4, 0, 4, 9, 'errored', 0), error: 'Error: boom' },
      r(5, 1, 5, 6, 'completed', 1),
      r(6, 2, 6, 14, 'cancelled', 0),
      r(7, 1, 6, 8, 'completed', 1),
      r(8, 1, 8, 12, 'completed', 1),
      r(9, 0, 9, 12, 'completed', 1),
    ]);
    // records$ writes each record as its task ends.
    expect(written).toEqual([1, 0, 3, 2, 5, 7, 4, 8, 9, 6]);
  });
});

describe('traceTasks: one record per subscription', () => {
  it('records an unsubscribed subscription as cancelled at the moment of unsubscription', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ cold, expectObservable }) => {
      const recorder = createRecorder();
      expectObservable(cold('--a--b--c').pipe(traceTasks(recorder, 'slow')), '^------!').toBe('--a--b-');
      testScheduler.flush();
      expect(recorder.records).toEqual([{ id: 0, label: 'slow', lane: 0, start: 0, end: 7, outcome: 'cancelled', values: 2 }]);
      expect(recorder.active).toBe(0);
    });
  });

  it('records synchronous sources as instant tasks', () => {
    const recorder = createRecorder({ scheduler: { now: () => 42, schedule: () => EMPTY.subscribe() } });
    of(1, 2, 3).pipe(traceTasks(recorder)).subscribe();
    throwError(() => new TypeError('nope')).pipe(traceTasks(recorder), catchError(() => EMPTY)).subscribe();
    throwError(() => 'plain').pipe(traceTasks(recorder), catchError(() => EMPTY)).subscribe();
    expect(recorder.records).toEqual([
      { id: 0, label: 'task 0', lane: 0, start: 42, end: 42, outcome: 'completed', values: 3 },
      { id: 1, label: 'task 1', lane: 0, start: 42, end: 42, outcome: 'errored', values: 0, error: 'TypeError: nope' },
      { id: 2, label: 'task 2', lane: 0, start: 42, end: 42, outcome: 'errored', values: 0, error: 'plain' },
    ]);
  });

  it('records a synchronous source cut short downstream (take) as cancelled, counting only the values let through', () => {
    const recorder = createRecorder();
    const seen: number[] = [];
    let pulled = 0;
    from([1, 2, 3]).pipe(tap(() => pulled++), traceTasks(recorder), take(1)).subscribe((v) => seen.push(v));
    expect(seen).toEqual([1]);
    expect(pulled).toBe(1);
    expect(recorder.records).toMatchObject([{ outcome: 'cancelled', values: 1 }]);
  });

  it('makes one record per re-subscription (retry), each labelled by a function of its context', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const recorder = createRecorder();
      const source = cold('--#');
      const contexts: unknown[] = [];
      const traced = source.pipe(
        traceTasks(recorder, (ctx) => {
          contexts.push(ctx);
          return `attempt ${ctx.subscription}`;
        }),
        retry(2),
      );
      expectObservable(traced).toBe('------#');
      expectSubscriptions(source.subscriptions).toBe(['^-!', '--^-!', '----^-!']);
      testScheduler.flush();
      expect(contexts).toEqual([
        { id: 0, subscription: 0 },
        { id: 1, subscription: 1 },
        { id: 2, subscription: 2 },
      ]);
      expect(recorder.records.map((r) => [r.label, r.lane, r.start, r.end, r.outcome])).toEqual([
        ['attempt 0', 0, 0, 2, 'errored'],
        ['attempt 1', 0, 2, 4, 'errored'],
        ['attempt 2', 0, 4, 6, 'errored'],
      ]);
    });
  });

  it('counts subscriptions per traced Observable, not per operator', () => {
    const recorder = createRecorder();
    const op = traceTasks<number>(recorder, ({ subscription }) => `#${subscription}`);
    const a = of(1).pipe(op);
    const b = of(2).pipe(op);
    a.subscribe();
    a.subscribe();
    b.subscribe();
    expect(recorder.records.map((r) => r.label)).toEqual(['#0', '#1', '#0']);
  });

  it('errors the subscriber when the label function throws, leaving no record and no lane taken', () => {
    const recorder = createRecorder();
    const failure = new Error('label');
    let error: unknown;
    of(1).pipe(traceTasks(recorder, () => { throw failure; })).subscribe({ error: (e: unknown) => (error = e) });
    expect(error).toBe(failure);
    expect(recorder.records).toEqual([]);
    expect(recorder.active).toBe(0);
    NEVER.pipe(traceTasks(recorder)).subscribe();
    expect(recorder.active).toBe(1);
    of(1).pipe(traceTasks(recorder)).subscribe();
    expect(recorder.records).toMatchObject([{ lane: 1 }]);
  });

  it('gives the lowest free lane, sharing lanes across traceTasks of one recorder', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ cold }) => {
      const recorder = createRecorder();
      cold('----|').pipe(traceTasks(recorder, 'a')).subscribe();
      cold('--|').pipe(traceTasks(recorder, 'b')).subscribe();
      cold('------|').pipe(traceTasks(recorder, 'c')).subscribe();
      testScheduler.schedule(() => cold('-----|').pipe(traceTasks(recorder, 'd')).subscribe(), 3);
      testScheduler.schedule(() => cold('-|').pipe(traceTasks(recorder, 'e')).subscribe(), 4);
      testScheduler.flush();
      expect(recorder.records.map((r) => [r.label, r.lane])).toEqual([['a', 0], ['b', 1], ['c', 2], ['d', 1], ['e', 0]]);
    });
  });

  it('clear() forgets finished records but still records the tasks that were running', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ cold }) => {
      const recorder = createRecorder();
      cold('-|').pipe(traceTasks(recorder, 'done')).subscribe();
      cold('---|').pipe(traceTasks(recorder, 'running')).subscribe();
      testScheduler.schedule(() => recorder.clear(), 2);
      testScheduler.flush();
      expect(recorder.records).toMatchObject([{ id: 1, label: 'running', lane: 1, end: 3 }]);
    });
  });

  it('hands out copies of the records', () => {
    const recorder = createRecorder();
    of(1).pipe(traceTasks(recorder)).subscribe();
    (recorder.records as TaskRecord[]).length = 0;
    expect(recorder.records).toHaveLength(1);
  });

  it('validates its arguments when called', () => {
    expect(() => traceTasks({} as TaskRecorder)).toThrow(
      new TypeError('Expected `recorder` to be a recorder made by createRecorder(), got `{}` (object)'),
    );
    expect(() => traceTasks(createRecorder(), 42 as never)).toThrow(
      new TypeError('Expected `label` to be a string or a function returning one, got `42` (number)'),
    );
    expect(() => createRecorder({ scheduler: 5 as never })).toThrow(
      new TypeError('Expected `options.scheduler` to be a scheduler with a `now()` method, got `5` (number)'),
    );
    expect(() => createRecorder('x' as never)).toThrow(/`options` to be an object, got `"x"` \(string\)/);
  });
});

describe('traceTasks lanes (property)', () => {
  /** One task: when the outer emits it, how long it runs, how it ends, and an optional deadline. */
  const taskArb = fc.record({
    at: fc.integer({ min: 0, max: 20 }),
    duration: fc.integer({ min: 0, max: 12 }),
    fails: fc.boolean(),
    deadline: fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined }),
  });

  it('never puts two running tasks in one lane, and uses as many lanes as ran at once', () => {
    fc.assert(
      fc.property(fc.array(taskArb, { minLength: 1, maxLength: 25 }), fc.integer({ min: 1, max: 6 }), (tasks, limit) => {
        const testScheduler = scheduler();
        let running = 0;
        let most = 0;
        let records: readonly TaskRecord[] = [];
        testScheduler.run(({ cold }) => {
          const recorder = createRecorder();
          const outer = from(tasks).pipe(mergeMap((t) => timer(t.at).pipe(mergeMap(() => of(t)))));
          const body = (t: (typeof tasks)[number]) =>
            defer(() => {
              most = Math.max(most, ++running);
              return t.fails ? cold(`${'-'.repeat(t.duration)}#`) : cold(`${'-'.repeat(t.duration)}|`);
            }).pipe(tap({ complete: () => running--, error: () => running--, unsubscribe: () => running-- }));
          outer
            .pipe(
              mergeMap(
                (t) =>
                  body(t).pipe(
                    traceTasks(recorder),
                    t.deadline === undefined ? (s) => s : takeUntil(timer(t.deadline)),
                    catchError(() => EMPTY),
                  ),
                limit,
              ),
            )
            .subscribe();
          testScheduler.flush();
          records = recorder.records;
        });
        expect(records).toHaveLength(tasks.length);
        const lanes = new Set(records.map((r) => r.lane));
        expect(lanes.size).toBe(most);
        expect(Math.max(...lanes) + 1).toBe(most);
        expect(most).toBeLessThanOrEqual(limit);
        for (const lane of lanes) {
          const inLane = records.filter((r) => r.lane === lane).sort((a, b) => a.start - b.start || a.id - b.id);
          for (let i = 1; i < inLane.length; i++) expect(inLane[i - 1]!.end).toBeLessThanOrEqual(inLane[i]!.start);
        }
      }),
    );
  });
});
