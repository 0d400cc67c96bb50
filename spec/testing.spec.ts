import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { Observable, concat, delay, map, merge, of, throwError, timer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import {
  createTestScheduler,
  deepEqual,
  formatValue,
  renderMarbles,
  renderSubscription,
  type MarbleFrame,
} from '../lib/testing/index.js';

/** Runs `fn` and returns the message of the error it throws (fails when it does not throw). */
function failure(fn: () => void): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the run to fail, but it passed');
}

/** `TestScheduler.parseMarbles` as inside `run()` (1 frame per character, time progressions). */
function parseRun(marbles: string, values?: object, error?: unknown): MarbleFrame[] {
  const previous = TestScheduler.frameTimeFactor;
  TestScheduler.frameTimeFactor = 1;
  try {
    return TestScheduler.parseMarbles(marbles, values, error, false, true);
  } finally {
    TestScheduler.frameTimeFactor = previous;
  }
}

/** Frames as `[frame, kind, value or error]`, whatever the notification objects' exact shape. */
function plain(frames: readonly MarbleFrame[]): unknown[] {
  return frames.map(({ frame, notification: n }) => [frame, n.kind, n.kind === 'N' ? n.value : n.kind === 'E' ? n.error : null]);
}

/** Whether two frame lists hold the same notifications at the same frames. */
function sameFrames(a: readonly MarbleFrame[], b: readonly MarbleFrame[]): boolean {
  return deepEqual(plain(a), plain(b));
}

/** `TestScheduler.parseMarbles` outside run mode (10 frames per character). */
function parseClassic(marbles: string, values?: object, error?: unknown): MarbleFrame[] {
  return TestScheduler.parseMarbles(marbles, values, error, false, false);
}

describe('createTestScheduler: passing runs', () => {
  it('passes when values, timing, errors and subscriptions match', () => {
    createTestScheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-b 20ms (cd)|', { a: { id: 1 }, b: [1, [2]], c: NaN, d: new Date(0) });
      expectObservable(source).toBe('-a-b 20ms (cd)|', { a: { id: 1 }, b: [1, [2]], c: NaN, d: new Date(0) });
      expectSubscriptions(source.subscriptions).toBe('^ 27ms !');

      const failing = cold('--#', undefined, new TypeError('boom'));
      expectObservable(failing.pipe(delay(3))).toBe('--#', undefined, new TypeError('boom'));

      const maps = hot('-a-^-b|', { a: new Map([[1, new Set(['x'])]]), b: new Map([[{ k: 1 }, 'v']]) });
      expectObservable(maps).toBe('--b|', { b: new Map([[{ k: 1 }, 'v']]) });
    });
  });

  it('passes with inner observables as values', () => {
    createTestScheduler().run(({ cold, expectObservable }) => {
      const inner = cold('-x|', { x: 1 });
      expectObservable(cold('a|').pipe(map(() => inner))).toBe('a|', { a: cold('-x|', { x: 1 }) });
    });
  });

  it('passes outside run mode with 10 frames per character', () => {
    const scheduler = createTestScheduler();
    scheduler.expectObservable(scheduler.createColdObservable('-a--b|')).toBe('-a--b|');
    expect(() => scheduler.flush()).not.toThrow();
  });

  it('compares loosely with strict: false', () => {
    createTestScheduler({ strict: false }).run(({ cold, expectObservable }) => {
      expectObservable(cold('a|', { a: { x: 1, y: undefined } })).toBe('a|', { a: { x: 1 } });
    });
  });
});

describe('createTestScheduler: failure messages', () => {
  it('draws a wrong value with a shared legend', () => {
    const message = failure(() =>
      createTestScheduler().run(({ cold, expectObservable }) => {
        const source = cold('-a-b-|', { a: { id: 1 }, b: { id: 2 } });
        expectObservable(source.pipe(map((x) => (x.id === 2 ? { id: 3 } : x)))).toBe('-a-b-|', { a: { id: 1 }, b: { id: 2 } });
      }),
    );
    expect(message).toBe(
      [
        'Observable emissions differ (1 character = 1 frame).',
        '',
        '  expected: -a-b-|',
        '  received: -a-c-|',
        '',
        '  a = {"id":1}',
        '  b = {"id":2}',
        '  c = {"id":3}',
        '',
        '  first difference: expected next b at frame 3, received next c at frame 3',
      ].join('\n'),
    );
  });

  it('draws errors as # with each side’s error in the legend', () => {
    const message = failure(() =>
      createTestScheduler().run(({ cold, expectObservable }) => {
        expectObservable(cold('a-#', { a: 1 }, new TypeError('boom'))).toBe('a-#', { a: 1 }, new Error('boom'));
      }),
    );
    expect(message).toBe(
      [
        'Observable emissions differ (1 character = 1 frame).',
        '',
        '  expected: a-#',
        '  received: a-#',
        '',
        '  a = 1',
        '  # (expected) = Error: boom',
        '  # (received) = TypeError: boom',
        '',
        '  first difference: expected error at frame 2, received error at frame 2',
      ].join('\n'),
    );
  });

  it('groups same-frame values and writes long gaps as time progressions', () => {
    const message = failure(() =>
      createTestScheduler().run(({ expectObservable }) => {
        const source = concat(of('a', 'b'), timer(30).pipe(map(() => 'c')), throwError(() => 'bad'));
        expectObservable(source).toBe('(ab) 30ms c|');
      }),
    );
    expect(message).toBe(
      [
        'Observable emissions differ (1 character = 1 frame).',
        '',
        '  expected: (ab) 30ms c|',
        '  received: (ab) 26ms (c#)',
        '',
        '  a = "a"',
        '  b = "b"',
        '  c = "c"',
        '  # (received) = "bad"',
        '',
        '  first difference: expected next c at frame 34, received next c at frame 30',
      ].join('\n'),
    );
  });

  it('lists exact frames when the timing cannot be drawn as marbles', () => {
    const message = failure(() =>
      createTestScheduler().run(({ expectObservable }) => {
        expectObservable(merge(of('a', 'b'), timer(1).pipe(map(() => 'c')))).toBe('(ab)c|');
      }),
    );
    expect(message).toBe(
      [
        'Observable emissions differ (1 character = 1 frame).',
        '',
        '  expected: (ab)c|',
        '  received: (ab)(c|)',
        '            frames: a@0 b@0 c@1 |@1',
        '',
        '  a = "a"',
        '  b = "b"',
        '  c = "c"',
        '',
        '  first difference: expected next c at frame 4, received next c at frame 1',
      ].join('\n'),
    );
  });

  it('tells a missing key from one holding undefined, and shows nothing for a silent stream', () => {
    const message = failure(() =>
      createTestScheduler().run(({ cold, expectObservable }) => {
        expectObservable(cold('a|', { a: { x: 1, y: undefined } })).toBe('a|', { a: { x: 1 } });
        expectObservable(cold('-')).toBe('-a', { a: -0 });
      }),
    );
    expect(message).toBe(
      [
        'Observable emissions differ (1 character = 1 frame).',
        '',
        '  expected: a|',
        '  received: b|',
        '',
        '  a = {"x":1}',
        '  b = {"x":1,"y":undefined}',
        '',
        '  first difference: expected next a at frame 0, received next b at frame 0',
      ].join('\n'),
    );
    const silent = failure(() =>
      createTestScheduler().run(({ cold, expectObservable }) => {
        expectObservable(cold('-')).toBe('-a', { a: -0 });
      }),
    );
    expect(silent).toContain('  received: (nothing)\n');
    expect(silent).toContain('  a = -0\n');
    expect(silent).toContain('first difference: expected next a at frame 1, received nothing more');
  });

  it('draws subscriptions as ^---! diagrams', () => {
    const message = failure(() =>
      createTestScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-a-b-c-|');
        expectObservable(merge(source.pipe(delay(0)), source), '^--!').toBe('-(aa)');
        expectSubscriptions(source.subscriptions).toBe(['^--!', '^----!', '--^ 20ms !']);
      }),
    );
    expect(message).toBe(
      [
        'Subscriptions differ (1 character = 1 frame).',
        '',
        '  expected: ^--!',
        '            ^----!',
        '            --^ 20ms !',
        '  received: ^--!',
        '            ^--!',
      ].join('\n'),
    );
  });

  it('draws an unexpected subscription and a missing one', () => {
    const message = failure(() =>
      createTestScheduler().run(({ cold, expectSubscriptions }) => {
        const source = cold('a|');
        expectSubscriptions(source.subscriptions).toBe('(^!)');
      }),
    );
    expect(message).toBe(['Subscriptions differ (1 character = 1 frame).', '', '  expected: (^!)', '  received: (no subscription)'].join('\n'));
  });

  it('counts 10 frames per character outside run mode', () => {
    const scheduler = createTestScheduler();
    scheduler.expectObservable(scheduler.createColdObservable('-a|')).toBe('--a|');
    expect(failure(() => scheduler.flush())).toBe(
      [
        'Observable emissions differ (1 character = 10 frames).',
        '',
        '  expected: --a|',
        '  received: -a|',
        '',
        '  a = "a"',
        '',
        '  first difference: expected next a at frame 20, received next a at frame 10',
      ].join('\n'),
    );
  });

  it('checks its options', () => {
    expect(() => createTestScheduler('strict' as never)).toThrow(new TypeError('Expected `options` to be an object, got `"strict"` (string)'));
    expect(() => createTestScheduler({ strict: 'yes' as never })).toThrow(
      new TypeError('Expected `options.strict` to be a boolean, got `"yes"` (string)'),
    );
    expect(() => createTestScheduler({ strcit: false } as never)).toThrow(new TypeError('Unknown option `options.strcit`; expected one of `strict`, `longGap`'));
    expect(() => createTestScheduler({ longGap: 0 })).toThrow(RangeError);
    expect(() => createTestScheduler({ longGap: 0 })).toThrow('Expected `options.longGap` to be an integer from 1 and up or `Infinity`, got `0` (number)');
    expect(() => renderMarbles('-a|' as never)).toThrow(new TypeError('Expected `frames` to be an array of { frame, notification }, got `"-a|"` (string)'));
    expect(() => renderMarbles([], { frameTimeFactor: 0 })).toThrow(RangeError);
    expect(() => renderSubscription(null as never)).toThrow(TypeError);
  });

  it('does not load jest at runtime', () => {
    const dir = join(__dirname, '..', 'lib', 'testing');
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const file of files) {
      const source = readFileSync(join(dir, file), 'utf8');
      expect([file, /from '[^']*jest|require\(|\bexpect\(/.test(source)]).toEqual([file, false]);
    }
  });
});

describe('deepEqual', () => {
  class Point {
    constructor(readonly x: number) {}
  }
  const cyclic = (): object => {
    const o: { self?: object; v: number } = { v: 1 };
    o.self = o;
    return o;
  };

  it.each<[string, unknown, unknown, boolean]>([
    ['NaN', NaN, NaN, true],
    ['0 and -0', 0, -0, false],
    ['nested objects', { a: [1, { b: 'x' }] }, { a: [1, { b: 'x' }] }, true],
    ['nested difference', { a: [1, { b: 'x' }] }, { a: [1, { b: 'y' }] }, false],
    ['undefined vs missing key', { a: undefined }, {}, false],
    ['array lengths', [1, 2], [1, 2, undefined], false],
    ['holes vs undefined', [, 1], [undefined, 1], false],
    ['same dates', new Date(5), new Date(5), true],
    ['different dates', new Date(5), new Date(6), false],
    ['invalid dates', new Date(NaN), new Date(NaN), true],
    ['date vs object', new Date(0), {}, false],
    ['maps', new Map([[1, { a: 1 }]]), new Map([[1, { a: 1 }]]), true],
    ['maps with object keys', new Map([[{ k: 1 }, 1]]), new Map([[{ k: 1 }, 1]]), true],
    ['maps differing', new Map([[1, 1]]), new Map([[1, 2]]), false],
    ['sets', new Set([1, { a: 1 }]), new Set([{ a: 1 }, 1]), true],
    ['sets differing', new Set([1, 2]), new Set([1, 3]), false],
    ['set vs array', new Set([1]), [1], false],
    ['class vs literal', new Point(1), { x: 1 }, false],
    ['instances', new Point(1), new Point(1), true],
    ['errors', new Error('a'), new Error('a'), true],
    ['error messages', new Error('a'), new Error('b'), false],
    ['error classes', new TypeError('a'), new Error('a'), false],
    ['regexps', /a/g, /a/g, true],
    ['regexp flags', /a/g, /a/i, false],
    ['typed arrays', new Uint8Array([1, 2]), new Uint8Array([1, 2]), true],
    ['typed arrays differing', new Uint8Array([1, 2]), new Uint8Array([1, 3]), false],
    ['symbol keys', { [Symbol.for('s')]: 1 }, { [Symbol.for('s')]: 2 }, false],
    ['cycles', cyclic(), cyclic(), true],
    ['functions by identity', () => 1, () => 1, false],
  ])('%s', (_name, a, b, expected) => {
    expect(deepEqual(a, b)).toBe(expected);
    expect(deepEqual(b, a)).toBe(expected);
  });

  it('is loose with strict: false', () => {
    expect(deepEqual({ a: undefined, b: 1 }, { b: 1 }, { strict: false })).toBe(true);
    expect(deepEqual(new Point(1), { x: 1 }, { strict: false })).toBe(true);
    expect(deepEqual({ a: 1 }, { a: 2 }, { strict: false })).toBe(false);
  });
});

describe('formatValue', () => {
  it.each<[unknown, string]>([
    ['a', '"a"'],
    [-0, '-0'],
    [NaN, 'NaN'],
    [undefined, 'undefined'],
    [10n, '10n'],
    [{ id: 1, tags: new Set(['x', 'y']) }, '{"id":1,"tags":Set {"x", "y"}}'],
    [new Map([['k', [1, 2]]]), 'Map {"k" => [1,2]}'],
    [new Date(0), 'Date(1970-01-01T00:00:00.000Z)'],
    [new RangeError('too big'), 'RangeError: too big'],
    [[, 1], '[<hole>,1]'],
    [Object.assign(Object.create(null) as object, { a: 1 }), '[null prototype] {"a":1}'],
    [parseRun('-a|', { a: 1 }), 'Observable -a| where a = 1'],
  ])('%p', (value, text) => {
    expect(formatValue(value)).toBe(text);
  });

  it('marks cycles', () => {
    const o: { self?: unknown } = {};
    o.self = o;
    expect(formatValue(o)).toBe('{"self":[Circular]}');
  });
});

describe('renderMarbles and renderSubscription: round trips', () => {
  it.each([
    '-a-b-|',
    'a|',
    '',
    '-',
    '---#',
    '(ab)-c|',
    '(abc)',
    '(a|)',
    '--(a#)',
    'a 20ms b 1s (cd)|',
    'a 9ms b',
    '^-a-|',
  ])('run mode: %p parses back to the same frames', (marbles) => {
    const values = { a: { id: 1 }, b: [2], c: 'c', d: null };
    const frames = parseRun(marbles, values, new Error('e'));
    const drawn = renderMarbles(frames);
    expect(drawn.exact).toBe(true);
    expect(sameFrames(parseRun(drawn.marbles, drawn.values, drawn.error), frames)).toBe(true);
  });

  it.each(['-a-b-|', '(ab)-c|', '--(a#)', 'a----------b'])('classic mode: %p parses back to the same frames', (marbles) => {
    const frames = parseClassic(marbles, { a: 1, b: 2, c: 3 }, 'oops');
    const drawn = renderMarbles(frames, { frameTimeFactor: 10, runMode: false });
    expect(drawn.marbles).toBe(marbles);
    expect(sameFrames(parseClassic(drawn.marbles, drawn.values, drawn.error), frames)).toBe(true);
  });

  it('draws canonical diagrams', () => {
    expect(renderMarbles(parseRun('a - - - b', { a: 'a', b: 'b' })).marbles).toBe('a---b');
    expect(renderMarbles(parseRun('a ----------b')).marbles).toBe('a 10ms b');
    expect(renderMarbles(parseRun('a ----------b'), { longGap: Infinity }).marbles).toBe('a----------b');
    expect(renderMarbles(parseRun('(ab)|', { a: 1, b: 1 })).marbles).toBe('(aa)|');
    expect(renderMarbles(parseRun('a^-b')).marbles).toBe('a^-b');
    expect(renderMarbles(parseRun('--^-a')).marbles).toBe('--a');
  });

  it('reports a timing it cannot draw as not exact', () => {
    const frames: MarbleFrame[] = [
      { frame: 0, notification: { kind: 'N', value: 1 } },
      { frame: 0, notification: { kind: 'N', value: 2 } },
      { frame: 2, notification: { kind: 'C' } },
    ];
    expect(renderMarbles(frames)).toEqual({ marbles: '(ab)|', values: { a: 1, b: 2 }, exact: false });
    expect(renderMarbles([{ frame: 5, notification: { kind: 'C' } }], { frameTimeFactor: 10, runMode: false }).exact).toBe(false);
  });

  /** Frame lists that marbles can express: groups separated by gaps at least their width apart. */
  const drawable = (factor: number) =>
    fc
      .tuple(
        fc.array(
          fc.record({
            gap: fc.oneof(fc.nat(12), fc.nat(3000)),
            values: fc.array(fc.oneof(fc.anything(), fc.constantFrom('a', 'b', 'z', '#', '(')), { minLength: 1, maxLength: 3 }),
          }),
          { maxLength: 8 },
        ),
        fc.constantFrom('none', 'complete', 'error', 'grouped error'),
        fc.oneof(fc.string({ minLength: 1 }), fc.constant(new Error('x')), fc.integer({ min: 1 })),
      )
      .map(([groups, end, error]) => {
        const frames: MarbleFrame[] = [];
        let cursor = 0;
        for (const [i, group] of groups.entries()) {
          const frame = cursor + group.gap * factor;
          const notifications: MarbleFrame['notification'][] = group.values.map((value) => ({ kind: 'N', value }));
          if (i === groups.length - 1 && end === 'grouped error') notifications.push({ kind: 'E', error });
          for (const notification of notifications) frames.push({ frame, notification });
          cursor = frame + (notifications.length === 1 ? 1 : notifications.length + 2) * factor;
        }
        if (end === 'complete') frames.push({ frame: cursor, notification: { kind: 'C' } });
        if (end === 'error') frames.push({ frame: cursor + factor, notification: { kind: 'E', error } });
        return frames;
      });

  it('property: render then re-parse gives the same frames (run mode)', () => {
    fc.assert(
      fc.property(drawable(1), (frames) => {
        const drawn = renderMarbles(frames);
        expect(drawn.exact).toBe(true);
        const parsed = parseRun(drawn.marbles, drawn.values, drawn.error);
        expect(parsed.map((m) => [m.frame, m.notification.kind])).toEqual(frames.map((m) => [m.frame, m.notification.kind]));
        expect(sameFrames(parsed, frames)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('property: render then re-parse gives the same frames (10 frames per character)', () => {
    fc.assert(
      fc.property(drawable(10), (frames) => {
        const drawn = renderMarbles(frames, { frameTimeFactor: 10, runMode: false });
        expect(drawn.marbles).not.toContain(' ');
        expect(sameFrames(parseClassic(drawn.marbles, drawn.values, drawn.error), frames)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('property: exact is true exactly when the diagram parses back to the frames', () => {
    const anyFrames = fc
      .array(fc.tuple(fc.nat(40), fc.constantFrom('N', 'C', 'E'), fc.nat(3)), { maxLength: 8 })
      .map((list) =>
        list
          .sort((x, y) => x[0] - y[0])
          .map(([frame, kind, v]): MarbleFrame => ({
            frame,
            notification: kind === 'N' ? { kind, value: v } : kind === 'E' ? { kind, error: `e${v}` } : { kind },
          })),
      );
    fc.assert(
      fc.property(anyFrames, (frames) => {
        const drawn = renderMarbles(frames);
        expect(sameFrames(parseRun(drawn.marbles, drawn.values, drawn.error), frames)).toBe(drawn.exact);
      }),
      { numRuns: 500 },
    );
  });

  it('property: subscription diagrams parse back to the same frames', () => {
    fc.assert(
      fc.property(fc.nat(200), fc.option(fc.nat(200), { nil: Infinity }), fc.boolean(), (sub, length, run) => {
        const factor = run ? 1 : 10;
        const log = { subscribedFrame: sub * factor, unsubscribedFrame: sub * factor + length * factor };
        const marbles = renderSubscription(log, { frameTimeFactor: factor, runMode: run });
        const previous = TestScheduler.frameTimeFactor;
        TestScheduler.frameTimeFactor = factor;
        try {
          const parsed = TestScheduler.parseMarblesAsSubscriptions(marbles, run);
          expect({ ...parsed }).toEqual(log);
        } finally {
          TestScheduler.frameTimeFactor = previous;
        }
      }),
      { numRuns: 300 },
    );
  });

  it('draws subscription logs', () => {
    expect(renderSubscription({ subscribedFrame: 2, unsubscribedFrame: 5 })).toBe('--^--!');
    expect(renderSubscription({ subscribedFrame: 0, unsubscribedFrame: Infinity })).toBe('^');
    expect(renderSubscription({ subscribedFrame: 3, unsubscribedFrame: 3 })).toBe('---(^!)');
    expect(renderSubscription({ subscribedFrame: 0, unsubscribedFrame: 100 })).toBe('^ 99ms !');
    expect(renderSubscription({ subscribedFrame: 20, unsubscribedFrame: 40 }, { frameTimeFactor: 10, runMode: false })).toBe('--^-!');
  });
});

it('an Observable from the scheduler is a plain rxjs Observable', () => {
  createTestScheduler().run(({ cold }) => {
    expect(cold('a|')).toBeInstanceOf(Observable);
  });
});
