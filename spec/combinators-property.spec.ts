import fc from 'fast-check';
import type { Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { EmptyTaskError } from '../lib/errors';
import { firstSuccess } from '../lib/combinators/firstSuccess';
import { firstToFinish } from '../lib/combinators/firstToFinish';
import { gather } from '../lib/combinators/gather';
import { streamConcurrently } from '../lib/combinators/streamConcurrently';

// Property tests in virtual time: random tasks (finish time, outcome, an optional early value),
// the outcome each combinator must produce, and the invariant that matters most here: once the
// outcome is decided, nothing is still subscribed.

interface Spec {
  delay: number;
  kind: 'value' | 'error' | 'empty';
  early: boolean;
}
type Event = { frame: number; next: unknown } | { frame: number; error: unknown } | { frame: number; complete: true };

const specs = fc.array(
  fc.record({ delay: fc.integer({ min: 1, max: 20 }), kind: fc.constantFrom('value', 'error', 'empty'), early: fc.boolean() }),
  { minLength: 1, maxLength: 6 },
) as fc.Arbitrary<Spec[]>;

/** Task i: optionally `p<i>` at frame 0, then at `delay` the value `v<i>` and completion, an error `e<i>`, or completion alone. */
function marble({ delay, kind, early }: Spec): string {
  const end = kind === 'value' ? '(v|)' : kind === 'error' ? '#' : '|';
  const wait = early ? delay - 1 : delay;
  return `${early ? 'p ' : ''}${wait > 0 ? `${wait}ms ` : ''}${end}`;
}

/** The last value of a task that completes: `v<i>`, else its early `p<i>`; undefined when it has none. */
const lastValue = (spec: Spec, i: number): string | undefined =>
  spec.kind === 'value' ? `v${i}` : spec.kind === 'empty' && spec.early ? `p${i}` : undefined;
/** Whether the task succeeds: it completes, having emitted a value. */
const succeeds = (spec: Spec, i: number): boolean => spec.kind !== 'error' && lastValue(spec, i) !== undefined;
/** The error a task fails with in the model: its own, or EmptyTaskError when it completes empty. */
const failure = (spec: Spec, i: number): unknown => (spec.kind === 'error' ? `e${i}` : new EmptyTaskError(i));

/** Indices in finishing order: by frame, then by input (subscription) order. */
const finishOrder = (tasks: Spec[]): number[] =>
  tasks.map((_, i) => i).sort((a, b) => tasks[a]!.delay - tasks[b]!.delay || a - b);

/**
 * Runs `combine` over cold observables made from `tasks` in a fresh TestScheduler; returns the
 * output's events and each task's subscription log, and checks every task was unsubscribed by
 * the output's last event (or its own end, if earlier).
 */
function simulate(tasks: Spec[], combine: (sources: Observable<string>[]) => Observable<unknown>): Event[] {
  const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  const events: Event[] = [];
  let sources: ReturnType<TestScheduler['createColdObservable']>[] = [];
  scheduler.run(({ cold }) => {
    sources = tasks.map((spec, i) => cold(marble(spec), { p: `p${i}`, v: `v${i}` }, `e${i}`));
    combine(sources as Observable<string>[]).subscribe({
      next: (next) => events.push({ frame: scheduler.now(), next }),
      error: (error: unknown) => events.push({ frame: scheduler.now(), error }),
      complete: () => events.push({ frame: scheduler.now(), complete: true }),
    });
  });
  const end = events[events.length - 1]!.frame;
  sources.forEach((source, i) => {
    expect(source.subscriptions).toEqual([{ subscribedFrame: 0, unsubscribedFrame: Math.min(end, tasks[i]!.delay) }]);
  });
  return events;
}

describe('combinator properties (fast-check, virtual time)', () => {
  it('gather: input order under any finishing order; otherwise the earliest failure; all unsubscribed then', () => {
    fc.assert(
      fc.property(specs, (tasks) => {
        const events = simulate(tasks, (sources) => gather(...sources));
        const firstFailure = finishOrder(tasks).find((i) => !succeeds(tasks[i]!, i));
        if (firstFailure === undefined) {
          const last = Math.max(...tasks.map((t) => t.delay));
          expect(events).toEqual([{ frame: last, next: tasks.map(lastValue) }, { frame: last, complete: true }]);
        } else {
          expect(events).toEqual([{ frame: tasks[firstFailure]!.delay, error: failure(tasks[firstFailure]!, firstFailure) }]);
        }
      }),
    );
  });

  it('gather errors: "all": the failures of the earliest failing frame, every one, in input order; all unsubscribed then', () => {
    fc.assert(
      fc.property(specs, (tasks) => {
        const events = simulate(tasks, (sources) => gather(...sources, { errors: 'all' }));
        const failing = tasks.map((t, i) => (succeeds(t, i) ? Infinity : t.delay));
        const frame = Math.min(...failing);
        if (frame === Infinity) {
          const last = Math.max(...tasks.map((t) => t.delay));
          expect(events).toEqual([{ frame: last, next: tasks.map(lastValue) }, { frame: last, complete: true }]);
        } else {
          expect(events).toHaveLength(1);
          const event = events[0] as { frame: number; error: AggregateError };
          expect(event.frame).toBe(frame);
          expect(event.error).toBeInstanceOf(AggregateError);
          expect(event.error.errors).toEqual(tasks.flatMap((t, i) => (failing[i] === frame ? [failure(t, i)] : [])));
        }
      }),
    );
  });

  it('gather settle: one Settled per task, in input order, when the last finishes', () => {
    fc.assert(
      fc.property(specs, (tasks) => {
        const events = simulate(tasks, (sources) => gather(...sources, { settle: true }));
        const last = Math.max(...tasks.map((t) => t.delay));
        const slots = tasks.map((t, i) =>
          succeeds(t, i) ? { status: 'fulfilled', value: lastValue(t, i) } : { status: 'rejected', reason: failure(t, i) },
        );
        expect(events).toEqual([{ frame: last, next: slots }, { frame: last, complete: true }]);
      }),
    );
  });

  it('firstToFinish: the outcome of the first task to finish, at its frame', () => {
    fc.assert(
      fc.property(specs, (tasks) => {
        const events = simulate(tasks, (sources) => firstToFinish(...sources));
        const w = finishOrder(tasks)[0]!;
        const frame = tasks[w]!.delay;
        expect(events).toEqual(
          succeeds(tasks[w]!, w)
            ? [{ frame, next: lastValue(tasks[w]!, w) }, { frame, complete: true }]
            : [{ frame, error: failure(tasks[w]!, w) }],
        );
      }),
    );
  });

  it('firstSuccess: the first success, else an AggregateError of every failure in input order', () => {
    fc.assert(
      fc.property(specs, (tasks) => {
        const events = simulate(tasks, (sources) => firstSuccess(...sources));
        const w = finishOrder(tasks).find((i) => succeeds(tasks[i]!, i));
        if (w !== undefined) {
          const frame = tasks[w]!.delay;
          expect(events).toEqual([{ frame, next: lastValue(tasks[w]!, w) }, { frame, complete: true }]);
        } else {
          expect(events).toHaveLength(1);
          const event = events[0] as { frame: number; error: AggregateError };
          expect(event.frame).toBe(Math.max(...tasks.map((t) => t.delay)));
          expect(event.error).toBeInstanceOf(AggregateError);
          expect(event.error.errors).toEqual(tasks.map(failure));
        }
      }),
    );
  });

  it('streamConcurrently: ends at the first completion (or error); exhaustive at the last completion or first error', () => {
    fc.assert(
      fc.property(specs, fc.boolean(), (tasks, exhaustive) => {
        const events = simulate(tasks, (sources) => streamConcurrently(...sources, { exhaustive }));
        const order = finishOrder(tasks);
        const firstError = order.find((i) => tasks[i]!.kind === 'error');
        const decider = exhaustive ? (firstError ?? order[order.length - 1]!) : order[0]!;
        const end = events[events.length - 1]!;
        expect(end.frame).toBe(tasks[decider]!.delay);
        expect(end).toEqual(tasks[decider]!.kind === 'error' ? { frame: end.frame, error: `e${decider}` } : { frame: end.frame, complete: true });
        // Every early value is emitted (at frame 0, before anything can finish), in input order.
        const early = tasks.flatMap((t, i) => (t.early ? [`p${i}`] : []));
        expect(events.filter((e) => e.frame === 0 && 'next' in e).map((e) => (e as { next: unknown }).next)).toEqual(early);
        // Final values are emitted for exactly the tasks that finished with one before the end.
        const finals = events.flatMap((e) => ('next' in e && String(e.next).startsWith('v') ? [e.next] : []));
        const expected = order
          .filter((i) => tasks[i]!.kind === 'value' && (tasks[i]!.delay < end.frame || (tasks[i]!.delay === end.frame && i <= decider)))
          .map((i) => `v${i}`);
        expect(finals).toEqual(expected);
      }),
    );
  });
});
