import fc from 'fast-check';
import {
  EMPTY,
  NEVER,
  asyncScheduler,
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
import { boundedMap } from '../lib/index.js';

const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

/**
 * The known run: 10 tasks through `boundedMap(…, 3, { ordered: false })` in virtual time. Task i takes `durations[i]`
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
      boundedMap(
        (i) =>
          task(i).pipe(
            traceTasks(recorder, `order ${i}`),
            takeUntil(timer(8)),
            catchError(() => EMPTY),
          ),
        3,
        { ordered: false },
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
    // Instant tasks still count as running at their moment.
    expect(renderTimelineText(recorder.records)).toMatch(/^3 tasks, at most 1 at once: 1 completed, 2 errored/);
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
      /Expected `options.scheduler` to be a scheduler .*, got `5` \(number\)/,
    );
    expect(() => createRecorder({ sheduler: asyncScheduler } as never)).toThrow(new TypeError('Unknown option `options.sheduler`; expected one of `scheduler`'));
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

/** The bars of a rendered timeline: `<rect class="bar …" data-id x y width height><title>…</title></rect>`. */
function bars(html: string): { outcome: string; id: number; x: number; y: number; width: number; title: string }[] {
  const found = [
    ...html.matchAll(/<rect class="bar (\w+)" data-id="(\d+)" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="[\d.]+"><title>([^<]*)<\/title><\/rect>/g),
  ];
  return found.map((m) => ({ outcome: m[1]!, id: Number(m[2]), x: Number(m[3]), y: Number(m[4]), width: Number(m[5]), title: m[6]! }));
}

/** Records made by hand: `[start, end, outcome?]`, each in its own lane unless given one. */
function made(spans: [number, number, TaskRecord['outcome']?, number?][]): TaskRecord[] {
  return spans.map(([start, end, outcome = 'completed', lane], id) => ({ id, label: `t${id}`, lane: lane ?? id, start, end, outcome, values: 0 }));
}

describe('renderTimeline', () => {
  const { records } = knownRun();
  const html = renderTimeline(records);

  it('draws one bar per task, x and width proportional to start and duration, classed by outcome', () => {
    const drawn = bars(html);
    expect(drawn).toHaveLength(records.length);
    const first = drawn.find((b) => b.id === 0)!;
    const perMs = first.width / (records[0]!.end - records[0]!.start);
    for (const r of records) {
      const bar = drawn.find((b) => b.id === r.id)!;
      expect(bar.outcome).toBe(r.outcome);
      expect(bar.x - first.x).toBeCloseTo((r.start - records[0]!.start) * perMs, 1);
      expect(bar.width).toBeCloseTo((r.end - r.start) * perMs, 1);
    }
    expect(drawn.filter((b) => b.outcome === 'errored').map((b) => b.id)).toEqual([4]);
    expect(drawn.filter((b) => b.outcome === 'cancelled').map((b) => b.id)).toEqual([6]);
  });

  it('puts the bars of one lane on one row and different lanes on different rows', () => {
    const drawn = bars(html);
    const rowOf = new Map<number, number>();
    for (const r of records) rowOf.set(r.lane, drawn.find((b) => b.id === r.id)!.y);
    for (const r of records) expect(drawn.find((b) => b.id === r.id)!.y).toBe(rowOf.get(r.lane));
    expect(new Set(rowOf.values()).size).toBe(3);
  });

  it('gives each bar a hover title with label, outcome, times and the error', () => {
    const titles = bars(html).map((b) => b.title);
    expect(titles[0]).toBe('order 0\ncompleted after 4 ms: 0 ms → 4 ms\nlane 0, 1 value');
    expect(titles.find((t) => t.startsWith('order 4'))).toBe('order 4\nerrored after 5 ms: 4 ms → 9 ms\nlane 0, 0 values\nError: boom');
  });

  it('has a time axis with units, a concurrency line, CSS per outcome and a summary', () => {
    expect(html).toMatch(/time since the first start \(ms\)/);
    const points = /<polyline class="concurrency" points="([^"]+)"/.exec(html)?.[1]?.split(' ') ?? [];
    expect(points.length).toBeGreaterThan(10);
    for (const o of ['completed', 'errored', 'cancelled']) expect(html).toMatch(new RegExp(`\\.bar\\.${o}\\{fill:#[0-9a-f]{6}\\}`));
    expect(html).toContain('10 tasks, at most 3 at once: 8 completed, 1 errored, 1 cancelled');
    expect(html).toMatch(/^<!DOCTYPE html>/);
  });

  it('draws the concurrency line as steps of how many ran at once', () => {
    const points = /<polyline class="concurrency" points="([^"]+)"/.exec(html)![1]!.split(' ').map((p) => p.split(',').map(Number) as [number, number]);
    const zero = points[0]![1];
    const three = Math.min(...points.map((p) => p[1]));
    const count = (y: number): number => Math.round(((zero - y) / (zero - three)) * 3);
    // Corners where the count changes: up to 3 at 0, down to 1 at 12 (only task 6 left), 0 at 14.
    const end = (id: number): number => {
      const bar = bars(html).find((b) => b.id === id)!;
      return Math.round((bar.x + bar.width) * 100) / 100;
    };
    const x0 = bars(html).find((b) => b.id === 0)!.x;
    const changes = points.filter((p, i) => i > 0 && count(p[1]) !== count(points[i - 1]![1])).map(([x, y]) => [x, count(y)]);
    expect(changes).toEqual([[x0, 3], [end(8), 1], [end(6), 0]]);
  });

  it('loads nothing from outside: no scripts, links, imports or URLs besides the SVG namespace', () => {
    expect(html).not.toMatch(/<script|<link|@import|url\(|src=|href=/i);
    expect(html.match(/https?:\/\/[^"]*/g)).toEqual(['http://www.w3.org/2000/svg']);
  });

  it('escapes labels, errors and the title', () => {
    const evil = '<img src=x onerror="alert(1)">&\'';
    const page = renderTimeline([{ ...made([[0, 5, 'errored']])[0]!, label: evil, error: `Error: ${evil}` }], { title: `<b>${evil}</b>` });
    expect(page).not.toContain('<img');
    expect(page).not.toContain('<b>');
    expect(page).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;&#39;');
    expect(bars(page)).toHaveLength(1);
  });

  it('stays readable at 1,000 tasks: rows only for lanes, a bounded size, no overlapping bars in a row', () => {
    const testScheduler = scheduler();
    let many: readonly TaskRecord[] = [];
    testScheduler.run(({ cold }) => {
      const recorder = createRecorder();
      from(Array.from({ length: 1000 }, (_, i) => i))
        .pipe(mergeMap((i) => cold(`${'-'.repeat(1 + ((i * 7) % 13))}|`).pipe(traceTasks(recorder)), 8))
        .subscribe();
      testScheduler.flush();
      many = recorder.records;
    });
    const page = renderTimeline(many);
    const drawn = bars(page);
    expect(drawn).toHaveLength(1000);
    expect(page.length).toBeLessThan(300_000);
    const rows = new Map<number, { x: number; width: number }[]>();
    for (const b of drawn) rows.set(b.y, [...(rows.get(b.y) ?? []), b]);
    expect(rows.size).toBe(8);
    for (const row of rows.values()) {
      row.sort((a, b) => a.x - b.x);
      for (let i = 1; i < row.length; i++) expect(row[i - 1]!.x + row[i - 1]!.width).toBeLessThanOrEqual(row[i]!.x + 0.02);
    }
    const height = Number(/<svg xmlns="[^"]+" width="\d+" height="(\d+)"/.exec(page)![1]);
    expect(height).toBeLessThan(1000);
  });

  it('scales rows down as lanes multiply, and uses seconds for long spans', () => {
    const wide = renderTimeline(made(Array.from({ length: 400 }, (_, i) => [i * 100, i * 100 + 20_000] as [number, number])));
    const ys = [...new Set(bars(wide).map((b) => b.y))];
    expect(ys).toHaveLength(400);
    expect(ys[1]! - ys[0]!).toBe(3);
    expect(wide).toMatch(/time since the first start \(s\)/);
  });

  it('keeps instant tasks visible and renders an empty run', () => {
    expect(bars(renderTimeline(made([[0, 0], [0, 10]])))[0]!.width).toBe(1);
    const empty = renderTimeline([]);
    expect(empty).toContain('No tasks recorded.');
    expect(bars(empty)).toEqual([]);
  });

  it('validates records and options when called', () => {
    expect(() => renderTimeline('nope' as never)).toThrow(new TypeError('Expected `records` to be an array of task records (recorder.records), got `"nope"` (string)'));
    expect(() => renderTimeline([{ ...made([[0, 1]])[0]!, outcome: 'lost' as never }])).toThrow(
      /`records\[0\]\.outcome` to be "completed", "errored" or "cancelled", got `"lost"` \(string\)/,
    );
    expect(() => renderTimeline(made([[5, 1]]))).toThrow(/`records\[0\]\.end` to be at or after its start \(5\), got `1` \(number\)/);
    expect(() => renderTimeline([], { width: 10 })).toThrow(new RangeError('Expected `options.width` to be an integer from 400 to 20000, got `10` (number)'));
    expect(() => renderTimeline([], { title: 3 as never })).toThrow(/`options.title` to be a string, got `3` \(number\)/);
    expect(() => renderTimeline([], 'x' as never)).toThrow(/`options` to be an object/);
  });
});

describe('renderTimelineText', () => {
  it('draws a small run as a fixed ASCII Gantt chart', () => {
    // limit 2: a (5, completes), b (2, completes), c (5, errors) after b, d (never ends) after a,
    // cancelled when the run is unsubscribed at 20.
    const testScheduler = scheduler();
    let text = '';
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const recorder = createRecorder();
      const tasks = [cold('-----|'), cold('--|'), cold('-----#'), cold('-')];
      const run = from(tasks).pipe(mergeMap((t) => t.pipe(traceTasks(recorder), catchError(() => EMPTY)), 2));
      expectObservable(run, '^-------------------!').toBe('');
      ['^----!', '^-!', '--^----!', '-----^--------------!'].forEach((marble, i) => expectSubscriptions(tasks[i]!.subscriptions).toBe(marble));
      testScheduler.flush();
      text = renderTimelineText(recorder.records, { width: 20 });
    });
    expect(text).toBe(
      [
        '4 tasks, at most 2 at once: 2 completed, 1 errored, 1 cancelled',
        'lane 0 |[====[--------------|',
        'lane 1 |[=[xxxx             |',
        '       +----------+---------+',
        '       0          10        20 ms',
        '       = completed  x errored  - cancelled',
        '',
      ].join('\n'),
    );
  });

  it('gives every task at least one column, the later one winning a shared column', () => {
    const text = renderTimelineText(made([[0, 0, 'errored', 0], [0, 10, 'completed', 0], [10, 100, 'cancelled', 1]]), { width: 10 });
    expect(text.split('\n').slice(1, 3)).toEqual(['lane 0 |=         |', 'lane 1 | [--------|']);
  });

  it('uses seconds for long spans and dense rows for sparse lanes', () => {
    const text = renderTimelineText(made([[0, 30_000, 'completed', 3], [0, 15_000, 'completed', 12]]), { width: 10 });
    expect(text).toBe(
      [
        '2 tasks, at most 2 at once: 2 completed, 0 errored, 0 cancelled',
        'lane 3  |[=========|',
        'lane 12 |[====     |',
        '        +-----+----+',
        '        0     15   30 s',
        '        = completed  x errored  - cancelled',
        '',
      ].join('\n'),
    );
  });

  it('says so when there is nothing to draw, and validates its arguments', () => {
    expect(renderTimelineText([])).toBe('no tasks recorded\n');
    expect(() => renderTimelineText([], { width: 5 })).toThrow(new RangeError('Expected `options.width` to be an integer from 10 to 1000, got `5` (number)'));
    expect(() => renderTimelineText([], { width: 12.5 })).toThrow(RangeError);
    expect(() => renderTimelineText(null as never)).toThrow(/`records` to be an array/);
    expect(() => renderTimelineText([{ id: 0 }] as never)).toThrow(/`records\[0\]\.start` to be a finite number, got `undefined`/);
  });
});
