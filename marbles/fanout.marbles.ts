import { NEVER, take, type Observable } from 'rxjs';
import {
  boundedMap,
  CapacityLimiter,
  completionStream,
  concurrently,
  EmptyTaskError,
  executeConcurrently,
  processConcurrently,
  pull,
} from '../lib/index.js';
import { createTestScheduler } from '../lib/testing/index.js';

// Timing and cancellation contract of the bounded fan-out family. Every hot and cold
// observable created here has its subscriptions asserted: cancellation is the product.

// The library's own marble scheduler: a failure shows both sides as marble diagrams.
const scheduler = createTestScheduler;

describe('boundedMap (marbles)', () => {
  it('the diagram in the JSDoc and the README', () => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -a-b-c-|');
      const a = cold('       ------A|');
      const b = cold('         -B|');
      const c = cold('           ----C|');
      const inners: Record<string, Observable<string>> = { a, b, c };
      expectObservable(source.pipe(boundedMap((k: string) => inners[k]!, 2))).toBe('-------ABC|');
      expectObservable(source.pipe(boundedMap((k: string) => inners[k]!, 2, { ordered: false }))).toBe('----B--A-C|');
      expectSubscriptions(source.subscriptions).toBe(['^------!', '^------!']);
      expectSubscriptions(a.subscriptions).toBe(['-^------!', '-^------!']);
      expectSubscriptions(b.subscriptions).toBe(['---^-!', '---^-!']);
      expectSubscriptions(c.subscriptions).toBe(['-----^----!', '-----^----!']);
    });
  });

  it('limit 1 runs one inner at a time, in order', () => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -a-b-c-|');
      const sourceSubs = '  ^------!';
      const inner = {
        a: cold('--x|', { x: 'A' }),
        b: cold('--y|', { y: 'B' }),
        c: cold('--z|', { z: 'C' }),
      };
      const out = source.pipe(boundedMap((k: string) => inner[k as 'a' | 'b' | 'c'], 1));
      expectObservable(out).toBe('---A--B--C|', { A: 'A', B: 'B', C: 'C' });
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      expectSubscriptions(inner.a.subscriptions).toBe('-^--!');
      expectSubscriptions(inner.b.subscriptions).toBe('----^--!');
      expectSubscriptions(inner.c.subscriptions).toBe('-------^--!');
    });
  });

  it('limit 2 keeps two running and starts the third when one frees a slot', () => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  abc|');
      const a = cold('      ----A|');
      const b = cold('       -B|');
      const c = cold('        ---C|');
      const inners: Record<string, Observable<string>> = { a, b, c };
      // b finishes at 2 but waits for a (4, out at its completion at 5); c starts when b frees a slot (3).
      expectObservable(source.pipe(boundedMap((k: string) => inners[k]!, 2))).toBe('----ABC|');
      expectSubscriptions(source.subscriptions).toBe('^--!');
      expectSubscriptions(a.subscriptions).toBe('^----!');
      expectSubscriptions(b.subscriptions).toBe('-^-!');
      expectSubscriptions(c.subscriptions).toBe('---^---!');
    });
  });

  it('ordered: a fast later inner waits for a slow earlier one; unordered emits as they finish', () => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  ab|');
      const a = cold('      -----A|');
      const b = cold('       -B|');
      const inners: Record<string, Observable<string>> = { a, b };
      expectObservable(source.pipe(boundedMap((k: string) => inners[k]!, 2))).toBe('-----A(B|)');
      expectObservable(source.pipe(boundedMap((k: string) => inners[k]!, 2, { ordered: false }))).toBe('--B--A|');
      expectSubscriptions(source.subscriptions).toBe(['^-!', '^-!']);
      expectSubscriptions(a.subscriptions).toBe(['^-----!', '^-----!']);
      expectSubscriptions(b.subscriptions).toBe(['-^-!', '-^-!']);
    });
  });

  it('ordered multi-value inners: the head streams, later inners buffer until it completes', () => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  ab|');
      const a = cold('      -1--2--3|');
      const b = cold('       45|');
      const inners: Record<string, Observable<string>> = { a, b };
      expectObservable(source.pipe(boundedMap((k: string) => inners[k]!, 2))).toBe('-1--2--3(45|)');
      expectSubscriptions(source.subscriptions).toBe('^-!');
      expectSubscriptions(a.subscriptions).toBe('^-------!');
      expectSubscriptions(b.subscriptions).toBe('-^-!');
    });
  });

  it('limit Infinity subscribes to everything at once', () => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  abc|');
      const inner = cold('  ---x|');
      expectObservable(source.pipe(boundedMap(() => inner, Infinity, { ordered: false }))).toBe('---xxx|');
      expectSubscriptions(source.subscriptions).toBe('^--!');
      expectSubscriptions(inner.subscriptions).toBe(['^---!', '-^---!', '--^---!']);
    });
  });

  it('an inner error while others run errors the output and unsubscribes all of them and the source', () => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  abc-----d--|');
      const a = cold('      ------A|');
      const b = cold('       --#', undefined, new Error('b failed'));
      const c = cold('        ----C|');
      const d = cold('        x|');
      const inners: Record<string, Observable<string>> = { a, b, c, d };
      expectObservable(source.pipe(boundedMap((k: string) => inners[k]!, 2))).toBe('---#', undefined, new Error('b failed'));
      expectSubscriptions(source.subscriptions).toBe('^--!');
      expectSubscriptions(a.subscriptions).toBe('^--!');
      expectSubscriptions(b.subscriptions).toBe('-^-!');
      expectSubscriptions(c.subscriptions).toBe([]);
      expectSubscriptions(d.subscriptions).toBe([]);
    });
  });

  it('settle: failures become Settled values in order and the output goes on', () => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  ab|');
      const a = cold('      ---#', undefined, 'bad');
      const b = cold('       -B|');
      const inners: Record<string, Observable<string>> = { a, b };
      expectObservable(source.pipe(boundedMap((k: string) => inners[k]!, 2, { settle: true }))).toBe('---(xy|)', {
        x: { status: 'rejected', reason: 'bad' },
        y: { status: 'fulfilled', value: 'B' },
      });
      expectSubscriptions(source.subscriptions).toBe('^-!');
      expectSubscriptions(a.subscriptions).toBe('^--!');
      expectSubscriptions(b.subscriptions).toBe('-^-!');
    });
  });

  it('a source error errors the output and cancels the inners in flight', () => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  a-#');
      const inner = cold('  ----x|');
      expectObservable(source.pipe(boundedMap(() => inner, 2))).toBe('--#');
      expectSubscriptions(source.subscriptions).toBe('^-!');
      expectSubscriptions(inner.subscriptions).toBe('^-!');
    });
  });

  it('unsubscribing while items wait for a slot tears down the running inner and the source; waiting items never start', () => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  abcd|');
      const inner = cold('  ---x|');
      expectObservable(source.pipe(boundedMap(() => inner, 1)), '^-----!').toBe('---x--');
      expectSubscriptions(source.subscriptions).toBe('^---!');
      expectSubscriptions(inner.subscriptions).toBe(['^---!', '----^-!']);
    });
  });

  it('the ordered window: a slow head stops new inners once 2 × limit are started and unemitted', () => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  abcd|');
      const slow = cold('   ---------S|');
      const fast = cold('    f|');
      const inners: Record<string, Observable<string>> = { a: slow, b: fast, c: fast, d: fast };
      // limit 2 → window 4: with a still running, b, c and d may start one after another
      // (started − head index stays below 4); their results wait for a.
      expectObservable(source.pipe(boundedMap((k: string) => inners[k]!, 2))).toBe('---------S(fff|)');
      expectSubscriptions(source.subscriptions).toBe('^---!');
      expectSubscriptions(slow.subscriptions).toBe('^---------!');
      expectSubscriptions(fast.subscriptions).toBe(['-^!', '--^!', '---^!']);
    });
  });

  // The stall: limit 2 → window 4, and the fifth item waits for the head. Its relief: a window
  // of 8, where e starts as soon as a slot is free, its value waits in the buffer instead, and
  // the whole run ends at 10 instead of 16.
  it.each([
    { title: 'the ordered window holds back the fifth item while the head is still running (limit 2 → window 4)', options: {}, output: '---------S(fff)g|', e: '----------^-----!' },
    { title: 'the window option relieves the stall: with { window: 8 } the fifth item starts as soon as a slot is free', options: { window: 8 }, output: '---------S(fffg|)', e: '----^-----!' },
  ])('$title', ({ options, output, e }) => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  abcde|');
      const slow = cold('   ---------S|');
      const fast = cold('    f|');
      const last = cold('    -----g|');
      const inners: Record<string, Observable<string>> = { a: slow, b: fast, c: fast, d: fast, e: last };
      expectObservable(source.pipe(boundedMap((k: string) => inners[k]!, 2, options))).toBe(output);
      expectSubscriptions(source.subscriptions).toBe('^----!');
      expectSubscriptions(slow.subscriptions).toBe('^---------!');
      // b, c, d run one after another beside a.
      expectSubscriptions(fast.subscriptions).toBe(['-^!', '--^!', '---^!']);
      expectSubscriptions(last.subscriptions).toBe(e);
    });
  });

  it('window: limit makes ordered mode start nothing past the slots (a window of 2 with limit 2)', () => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  abc|');
      const slow = cold('   -----S|');
      const fast = cold('    f|');
      const third = cold('   --g|');
      const inners: Record<string, Observable<string>> = { a: slow, b: fast, c: third };
      // b finishes at 2, but c may start only once a (the head) is out at 6.
      expectObservable(source.pipe(boundedMap((k: string) => inners[k]!, 2, { window: 2 }))).toBe('-----Sf-g|');
      expectSubscriptions(source.subscriptions).toBe('^--!');
      expectSubscriptions(slow.subscriptions).toBe('^-----!');
      expectSubscriptions(fast.subscriptions).toBe('-^!');
      expectSubscriptions(third.subscriptions).toBe('------^--!');
    });
  });

  it('never and empty sources', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const never = cold('-');
      const empty = cold('|');
      const inner = cold('x|');
      expectObservable(never.pipe(boundedMap(() => inner, 2))).toBe('-');
      expectObservable(empty.pipe(boundedMap(() => inner, 2))).toBe('|');
      expectSubscriptions(never.subscriptions).toBe('^');
      expectSubscriptions(empty.subscriptions).toBe('(^!)');
      expectSubscriptions(inner.subscriptions).toBe([]);
    });
  });

  it('a never-ending inner holds its slot; the output does not complete', () => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  ab|');
      const inner = cold('  x|');
      const inners: Record<string, Observable<string>> = { a: NEVER as Observable<string>, b: inner };
      expectObservable(source.pipe(boundedMap((k: string) => inners[k]!, 1)), '^---------!').toBe('----------');
      expectSubscriptions(source.subscriptions).toBe('^-!');
      expectSubscriptions(inner.subscriptions).toBe([]);
    });
  });
});

describe('pull (marbles)', () => {
  it('subscribed on its own, emits every item synchronously, like from()', () => {
    scheduler().run(({ expectObservable }) => {
      expectObservable(pull(['a', 'b', 'c'])).toBe('(abc|)');
      expectObservable(pull([])).toBe('|');
    });
  });

  it('under boundedMap, takes the next item only when a slot frees', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const inner = cold('--x|');
      // Items 0 and 1 are read at 0 (two slots), 2 and 3 at 3 when the first two finish. Ordered:
      // item 1's value waits for item 0 to complete (3), item 3's for item 2 (6).
      expectObservable(pull([1, 2, 3, 4]).pipe(boundedMap(() => inner, 2))).toBe('--xx-x(x|)');
      expectSubscriptions(inner.subscriptions).toBe(['^--!', '^--!', '---^--!', '---^--!']);
    });
  });
});

describe('executeConcurrently / concurrently / completionStream / processConcurrently (marbles)', () => {
  it('executeConcurrently emits one array in input order after the last finishes', () => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  abc|');
      const a = cold('      --A|');
      const b = cold('       ----B|');
      const c = cold('         -C|');
      const inners: Record<string, Observable<string>> = { a, b, c };
      expectObservable(executeConcurrently((k: string) => inners[k]!, source, { concurrentTasks: 2 })).toBe('------(x|)', {
        x: ['A', 'B', 'C'],
      });
      expectSubscriptions(source.subscriptions).toBe('^--!');
      expectSubscriptions(a.subscriptions).toBe('^--!');
      expectSubscriptions(b.subscriptions).toBe('-^----!');
      expectSubscriptions(c.subscriptions).toBe('---^-!');
    });
  });

  it('executeConcurrently: a handler that completes empty errors with its index and cancels the rest', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const empty = cold('--|');
      const slow = cold('-----x|');
      expectObservable(executeConcurrently((i: number) => (i === 1 ? empty : slow), [0, 1], { concurrentTasks: 2 })).toBe(
        '--#',
        undefined,
        new EmptyTaskError(1),
      );
      expectSubscriptions(empty.subscriptions).toBe('^-!');
      expectSubscriptions(slow.subscriptions).toBe('^-!');
    });
  });

  it('concurrently runs tasks with a limit and keeps input order', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('---a|');
      const b = cold('-b|');
      const c = cold('-c|');
      expectObservable(concurrently([a, b, c], { concurrentTasks: 2 })).toBe('----(x|)', { x: ['a', 'b', 'c'] });
      expectSubscriptions(a.subscriptions).toBe('^---!');
      expectSubscriptions(b.subscriptions).toBe('^-!');
      expectSubscriptions(c.subscriptions).toBe('--^-!');
    });
  });

  it('completionStream emits in completion order; take(1) cancels the rest', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('----a|');
      const b = cold('-b|');
      const c = cold('--c|');
      expectObservable(completionStream([a, b, c])).toBe('--yz-(x|)', {
        x: { index: 0, value: 'a' },
        y: { index: 1, value: 'b' },
        z: { index: 2, value: 'c' },
      });
      expectObservable(completionStream([a, b, c]).pipe(take(1))).toBe('--(y|)', { y: { index: 1, value: 'b' } });
      expectSubscriptions(a.subscriptions).toBe(['^----!', '^-!']);
      expectSubscriptions(b.subscriptions).toBe(['^-!', '^-!']);
      expectSubscriptions(c.subscriptions).toBe(['^--!', '^-!']);
    });
  });

  it('completionStream: the first failure errors the stream and cancels the others; settle reports it', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('----a|');
      const b = cold('-#', undefined, 'nope');
      expectObservable(completionStream([a, b])).toBe('-#', undefined, 'nope');
      expectObservable(completionStream([a, b], { settle: true })).toBe('-y---(x|)', {
        x: { index: 0, status: 'fulfilled', value: 'a' },
        y: { index: 1, status: 'rejected', reason: 'nope' },
      });
      expectSubscriptions(a.subscriptions).toBe(['^!', '^----!']);
      expectSubscriptions(b.subscriptions).toBe(['^!', '^!']);
    });
  });

  it('completionStream with a limit starts the next task when one finishes', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('---a|');
      const b = cold('-b|');
      const c = cold('-c|');
      expectObservable(completionStream([a, b, c], { limit: 2 })).toBe('--y-(xz|)', {
        x: { index: 0, value: 'a' },
        y: { index: 1, value: 'b' },
        z: { index: 2, value: 'c' },
      });
      expectSubscriptions(a.subscriptions).toBe('^---!');
      expectSubscriptions(b.subscriptions).toBe('^-!');
      expectSubscriptions(c.subscriptions).toBe('--^-!');
    });
  });

  it('the processConcurrently diagram in the JSDoc and the README', () => {
    const seen: unknown[] = [];
    const testScheduler = scheduler();
    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  --a--b--c--|');
      const a = cold('        ----|');
      const b = cold('           -#', undefined, 'failed');
      const c = cold('              --|');
      const inners: Record<string, Observable<never>> = { a, b, c } as unknown as Record<string, Observable<never>>;
      expectObservable(
        processConcurrently(source, (k: string) => inners[k]!, {
          ignoreErrors: true,
          onError: (error, item, index) => seen.push([error, item, index, testScheduler.now()]),
        }),
      ).toBe('-----------|');
      expectSubscriptions(source.subscriptions).toBe('^----------!');
      expectSubscriptions(a.subscriptions).toBe('--^---!');
      expectSubscriptions(b.subscriptions).toBe('-----^!');
      expectSubscriptions(c.subscriptions).toBe('--------^-!');
    });
    expect(seen).toEqual([['failed', 'b', 1, 6]]);
  });

  it('processConcurrently completes when everything is handled and emits nothing', () => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -a-b-c-|');
      const work = cold('   ---x|');
      expectObservable(processConcurrently(source, () => work, { concurrentTasks: 2 })).toBe('---------|');
      expectSubscriptions(source.subscriptions).toBe('^------!');
      expectSubscriptions(work.subscriptions).toBe(['-^---!', '---^---!', '-----^---!']);
    });
  });

  it('processConcurrently with ignoreErrors reports failures and goes on; without it, the first failure cancels all', () => {
    const seen: unknown[] = [];
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  ab|');
      const ok = cold('     ----|');
      const bad = cold('     -#', undefined, 'broken');
      const inners: Record<string, Observable<never>> = { a: ok as unknown as Observable<never>, b: bad as unknown as Observable<never> };
      expectObservable(
        processConcurrently(source, (k: string) => inners[k]!, {
          ignoreErrors: true,
          onError: (error, item, index) => seen.push([error, item, index]),
        }),
      ).toBe('----|');
      expectObservable(processConcurrently(source, (k: string) => inners[k]!)).toBe('--#', undefined, 'broken');
      expectSubscriptions(source.subscriptions).toBe(['^-!', '^-!']);
      expectSubscriptions(ok.subscriptions).toBe(['^---!', '^-!']);
      expectSubscriptions(bad.subscriptions).toBe(['-^!', '-^!']);
    });
    expect(seen).toEqual([['broken', 'b', 1]]);
  });
});

describe('boundedMap with a live limit (marbles)', () => {
  // The window option is kept when the limit is live: a limit$ value or the limiter's total
  // replaces only the default window (2 × limit), never the one given.
  it.each([
    { title: 'a live limit of 2 with { window: 8 }: the fifth item starts as soon as a slot is free', limit: 'live' },
    { title: 'a CapacityLimiter of 2 with { window: 8 }: the fifth item starts as soon as a token is free', limit: 'limiter' },
  ])('$title', ({ limit }) => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  abcde|');
      const slow = cold('   ---------S|');
      const fast = cold('    f|');
      const last = cold('    -----g|');
      const limit$ = cold('2', { 2: 2 });
      const inners: Record<string, Observable<string>> = { a: slow, b: fast, c: fast, d: fast, e: last };
      const lim = limit === 'live' ? limit$ : new CapacityLimiter(2);
      // With the default window (4) e would wait for a, to frame 10.
      expectObservable(source.pipe(boundedMap((k: string) => inners[k]!, lim, { window: 8 }))).toBe('---------S(fffg|)');
      expectSubscriptions(source.subscriptions).toBe('^----!');
      expectSubscriptions(limit$.subscriptions).toBe(limit === 'live' ? '^---------!' : []);
      expectSubscriptions(slow.subscriptions).toBe('^---------!');
      expectSubscriptions(fast.subscriptions).toBe(['-^!', '--^!', '---^!']);
      expectSubscriptions(last.subscriptions).toBe('----^-----!');
    });
  });

  it('starts nothing before limit$ emits, then more at once when it is raised mid-flight', () => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const limit$ = hot('  --1---3--', { 1: 1, 3: 3 });
      const source = hot('  (abcd|)');
      const a = cold('        -------A|');
      const b = cold('            ---B|');
      const c = cold('            ---C|');
      const d = cold('            -----D|');
      const inners: Record<string, Observable<string>> = { a, b, c, d };
      const out = source.pipe(boundedMap((k: string) => inners[k]!, limit$, { ordered: false }));
      // limit 1 at frame 2: a starts; limit 3 at frame 6: b and c start at once (a still runs);
      // d starts when slots free (a, b and c all end at frame 10).
      expectObservable(out).toBe('---------(ABC)-D|');
      expectSubscriptions(limit$.subscriptions).toBe('^---------------!');
      expectSubscriptions(source.subscriptions).toBe('(^!)');
      expectSubscriptions(a.subscriptions).toBe('--^-------!');
      expectSubscriptions(b.subscriptions).toBe('------^---!');
      expectSubscriptions(c.subscriptions).toBe('------^---!');
      expectSubscriptions(d.subscriptions).toBe('----------^-----!');
    });
  });

  it('lowered mid-flight: running inners finish, none starts until fewer than the new limit run', () => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const limit$ = hot('  3-1-----', { 1: 1, 3: 3 });
      const source = hot('  (abcde|)');
      const a = cold('      ---A|');
      const b = cold('      -----B|');
      const c = cold('      -------C|');
      const d = cold('              -D|');
      const e = cold('                -E|');
      const inners: Record<string, Observable<string>> = { a, b, c, d, e };
      const out = source.pipe(boundedMap((k: string) => inners[k]!, limit$, { ordered: false }));
      // a, b, c start at once under limit 3; the limit drops to 1 at frame 2: a ending (4) and b
      // ending (6) start nothing, c ending (8) leaves none running, so d starts, then e after d.
      expectObservable(out).toBe('---A-B-C-D-E|');
      expectSubscriptions(limit$.subscriptions).toBe('^-----------!');
      expectSubscriptions(a.subscriptions).toBe('^---!');
      expectSubscriptions(b.subscriptions).toBe('^-----!');
      expectSubscriptions(c.subscriptions).toBe('^-------!');
      expectSubscriptions(d.subscriptions).toBe('--------^-!');
      expectSubscriptions(e.subscriptions).toBe('----------^-!');
      expectSubscriptions(source.subscriptions).toBe('(^!)');
    });
  });

  it('an invalid value or an error of limit$ errors the output and cancels the running inners', () => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const bad$ = hot('  1--0', { 0: 0, 1: 1 });
      const failing$ = hot('1--#', { 1: 1 });
      const source = hot('a----');
      const a = cold('    ------A|');
      const message = 'Expected `limit$` to emit integers from 1 and up or `Infinity`, got `0` (number)';
      expectObservable(source.pipe(boundedMap(() => a, bad$))).toBe('---#', undefined, new RangeError(message));
      expectObservable(source.pipe(boundedMap(() => a, failing$))).toBe('---#');
      expectSubscriptions(bad$.subscriptions).toBe('^--!');
      expectSubscriptions(failing$.subscriptions).toBe('^--!');
      expectSubscriptions(source.subscriptions).toBe(['^--!', '^--!']);
      expectSubscriptions(a.subscriptions).toBe(['^--!', '^--!']);
    });
  });

  it('a completed limit$ keeps its last value; one that completes without a value errors', () => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const limit$ = cold('1|', { 1: 1 });
      const empty$ = cold<number>('--|');
      const source = hot('(ab|)');
      const inner = { a: cold('-A|'), b: cold('-B|') };
      expectObservable(source.pipe(boundedMap((k: string) => inner[k as 'a' | 'b'], limit$))).toBe('-A-B|');
      expectObservable(source.pipe(boundedMap((k: string) => inner[k as 'a' | 'b'], empty$))).toBe(
        '--#',
        undefined,
        new RangeError('Expected `limit$` to emit a limit before completing'),
      );
      expectSubscriptions(limit$.subscriptions).toBe('^!');
      expectSubscriptions(empty$.subscriptions).toBe('^-!');
      expectSubscriptions(source.subscriptions).toBe(['(^!)', '(^!)']);
      expectSubscriptions(inner.a.subscriptions).toBe('^-!');
      expectSubscriptions(inner.b.subscriptions).toBe('--^-!');
    });
  });
});
