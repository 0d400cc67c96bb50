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
