import { Observable, tap, type MonoTypeOperatorFunction } from 'rxjs';
import { describe } from '../internal/validate.js';
import { Recorder, type TaskOutcome, type TaskRecorder } from './recorder.js';

/** What a label function of {@link traceTasks} receives. */
export interface TraceContext {
  /** The recorder's sequence number for this task (its record's `id`). */
  readonly id: number;
  /**
   * Which subscription of this traced source this is, from 0: `retry` and `repeat` subscribe
   * again, so their attempts read 0, 1, 2, …
   */
  readonly subscription: number;
}

/** A task's label: fixed text, or made per subscription. */
export type TraceLabel = string | ((context: TraceContext) => string);

/**
 * Records every subscription of the source as one task on a timeline: when it started, when it
 * ended, how (`completed`, `errored` or `cancelled` by unsubscription) and in which lane.
 *
 * <span class="informal">A `tap` for lifetimes: each subscription becomes a bar of a Gantt chart.</span>
 *
 * The operator is transparent: values, the error, completion and unsubscription pass through
 * untouched and at the same moment. Each subscription gets the lowest lane of the recorder that
 * is free when it starts, so tasks that run at once never share a lane and the number of lanes
 * equals the most tasks that ever ran at once. Put it inside the projection of a fan-out so each
 * inner task is one bar, or after a whole pipeline to trace its runs. A label function is called
 * once per subscription, when it starts.
 *
 * ```text
 * source:            --a--b--|      --a--#         --a--b--c--
 * traceTasks(r, 'x'):--a--b--|      --a--#         --a--b-        (unsubscribed at 7: -------!)
 * record of 'x':     0 → 8          0 → 5          0 → 7
 *                    completed, 2   errored, 1     cancelled, 2   (outcome, values)
 * ```
 *
 * @param recorder Where the records go, from {@link createRecorder}.
 * @param label The task's name on the timeline (default `task <id>`), or a function of its
 *   {@link TraceContext}.
 * @throws {TypeError} `recorder` was not made by `createRecorder`, or `label` is neither a
 *   string nor a function.
 *
 * @example
 * ```ts
 * const recorder = createRecorder();
 * from(orderIds).pipe(
 *   mergeMap((id) => fetchOrder(id).pipe(traceTasks(recorder, `order ${id}`)), 3),
 * ).subscribe({ complete: () => writeFileSync('timeline.html', renderTimeline(recorder.records)) });
 * ```
 */
export function traceTasks<T>(recorder: TaskRecorder, label?: TraceLabel): MonoTypeOperatorFunction<T> {
  if (!(recorder instanceof Recorder)) {
    throw new TypeError(`Expected \`recorder\` to be a recorder made by createRecorder(), got ${describe(recorder)}`);
  }
  if (label !== undefined && typeof label !== 'string' && typeof label !== 'function') {
    throw new TypeError(`Expected \`label\` to be a string or a function returning one, got ${describe(label)}`);
  }
  return (source) => {
    let subscriptions = 0;
    return new Observable<T>((subscriber) => {
      const subscription = subscriptions++;
      // Computed before the lane is taken: a label function that throws errors this subscriber
      // and leaves no record and no lane behind.
      const text = typeof label === 'function' ? String(label({ id: recorder.nextTaskId, subscription })) : label;
      const task = recorder.begin(text);
      let values = 0;
      let finished = false;
      const finish = (outcome: TaskOutcome, error?: unknown): void => {
        finished = true;
        recorder.end(task, outcome, values, error);
      };
      // `tap` runs before each notification is forwarded (so a fan-out that starts the next task
      // on completion finds this lane free), and subscribing with `subscriber` itself chains the
      // source to it: when downstream lets go, even a synchronous source stops at once.
      source
        .pipe(
          tap({
            next: () => void values++,
            error: (error: unknown) => finish('errored', error),
            complete: () => finish('completed'),
          }),
        )
        .subscribe(subscriber);
      return () => {
        if (!finished) finish('cancelled');
      };
    });
  };
}
