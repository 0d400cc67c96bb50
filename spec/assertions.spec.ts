import { BehaviorSubject, NEVER, Observable, Subject, finalize, firstValueFrom, lastValueFrom, of, take, toArray, throwError, timer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { CapacityLimiter, EventBus, boundedMap, processConcurrently, pull, retryBackoff, streamConcurrently } from '../lib/index';
import { StateFeed } from '../lib/internal/stateFeed';
import { IteratorReader, type ReaderSink } from '../lib/internal/feed';

/**
 * Behaviours the suite ran but never asserted (each one a mutant that survived a mutation run):
 * every test here fails when the behaviour it names is removed from the engine.
 */

/** An async iterator built by hand, so each test controls `next()` and `return()` exactly. */
function manualAsyncIterable<T>(next: () => Promise<IteratorResult<T>>, ret?: () => Promise<IteratorResult<T>>): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]: () => ({ next, ...(ret === undefined ? {} : { return: ret }) }),
  };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('boundedMap over async iterators', () => {
  it('an async iterator whose next() rejects errors the output (it does not hang)', async () => {
    const boom = new Error('read failed');
    let calls = 0;
    const source = manualAsyncIterable<number>(() => (++calls === 3 ? Promise.reject(boom) : Promise.resolve({ value: calls, done: false })));
    await expect(lastValueFrom(pull(source).pipe(boundedMap((x) => of(x), 2), toArray()))).rejects.toBe(boom);
  });

  it('an async iterator whose next() throws synchronously errors the output', async () => {
    const boom = new Error('sync throw in next');
    let calls = 0;
    const source = manualAsyncIterable<number>(() => {
      if (++calls === 2) throw boom;
      return Promise.resolve({ value: calls, done: false });
    });
    await expect(lastValueFrom(pull(source).pipe(boundedMap((x) => of(x), 2), toArray()))).rejects.toBe(boom);
  });

  it('a pending next() that resolves after unsubscribe starts no item', async () => {
    let resolveNext: ((r: IteratorResult<number>) => void) | undefined;
    const source = manualAsyncIterable<number>(() => new Promise((resolve) => (resolveNext = resolve)));
    let projected = 0;
    const sub = pull(source)
      .pipe(boundedMap((x) => ((projected++, of(x))), 2))
      .subscribe();
    await tick();
    expect(resolveNext).toBeDefined();
    sub.unsubscribe();
    resolveNext!({ value: 1, done: false });
    await tick();
    await tick();
    expect(projected).toBe(0);
  });

  it('asks for one item at a time: never two next() calls pending at once, never more than limit inners', async () => {
    let pending = 0;
    let maxPending = 0;
    let produced = 0;
    const source = manualAsyncIterable<number>(async () => {
      pending++;
      maxPending = Math.max(maxPending, pending);
      await tick();
      pending--;
      return produced < 20 ? { value: produced++, done: false } : { value: undefined, done: true };
    });
    let running = 0;
    let maxRunning = 0;
    const out = await lastValueFrom(
      pull(source).pipe(
        boundedMap(async (x) => {
          running++;
          maxRunning = Math.max(maxRunning, running);
          await new Promise((r) => setTimeout(r, 2));
          running--;
          return x;
        }, 2),
        toArray(),
      ),
    );
    expect(out).toEqual([...Array(20).keys()]);
    expect(maxPending).toBe(1);
    expect(maxRunning).toBe(2);
  });
});

describe('boundedMap, ordered mode', () => {
  it('a source that completes from inside next while results wait behind the head loses none', () => {
    const source = new Subject<number>();
    const resolvers: Array<Subject<number>> = [];
    const seen: number[] = [];
    let completed = false;
    source
      .pipe(
        boundedMap((x) => {
          const inner = new Subject<number>();
          resolvers[x] = inner;
          return inner;
        }, 3),
      )
      .subscribe({ next: (v) => seen.push(v), complete: () => (completed = true) });
    source.next(0);
    source.next(1);
    source.next(2);
    // 1 and 2 finish first and wait behind 0; the source completes from inside 2's value.
    resolvers[1]!.next(10);
    resolvers[1]!.complete();
    resolvers[2]!.next(20);
    source.complete();
    resolvers[2]!.complete();
    expect(seen).toEqual([]);
    resolvers[0]!.next(0);
    resolvers[0]!.complete();
    expect(seen).toEqual([0, 10, 20]);
    expect(completed).toBe(true);
  });

  it('a head inner that emits re-entrantly (from a consumer callback) keeps the order a, b, c', () => {
    const head = new Subject<string>();
    const seen: string[] = [];
    of(0, 1)
      .pipe(boundedMap((i) => (i === 0 ? head : of('c')), 2))
      .subscribe((v) => {
        seen.push(v);
        if (v === 'a') head.next('b'); // re-entrant: emitted while 'a' is being delivered
        if (v === 'b') head.complete();
      });
    head.next('a');
    expect(seen).toEqual(['a', 'b', 'c']);
  });
});

describe('boundedMap, ordered mode, re-entrant consumers', () => {
  it('a source completed from inside the consumer, while finished results are still being flushed, loses none', () => {
    const source = new Subject<number>();
    const inners: Array<Subject<number>> = [];
    const seen: number[] = [];
    let completed = false;
    source
      .pipe(
        boundedMap((x) => {
          const inner = new Subject<number>();
          inners[x] = inner;
          return inner;
        }, 3),
      )
      .subscribe({
        next: (v) => {
          seen.push(v);
          if (v === 10) source.complete(); // re-entrant: 20 is finished and still waits behind 10
        },
        complete: () => (completed = true),
      });
    source.next(0);
    source.next(1);
    source.next(2);
    inners[1]!.next(10);
    inners[1]!.complete();
    inners[2]!.next(20);
    inners[2]!.complete();
    inners[0]!.next(0);
    expect(seen).toEqual([0]);
    inners[0]!.complete();
    expect(seen).toEqual([0, 10, 20]);
    expect(completed).toBe(true);
  });

  it('a value the head emits re-entrantly while its buffered values are flushed comes after them, and later ones after it', () => {
    const inners: Array<Subject<string>> = [];
    const seen: string[] = [];
    of(0, 1)
      .pipe(
        boundedMap((i) => {
          const inner = new Subject<string>();
          inners[i] = inner;
          return inner;
        }, 2),
      )
      .subscribe((v) => {
        seen.push(v);
        if (v === 'x') inners[1]!.next('z'); // emitted by the new head while x, y are being flushed
      });
    inners[1]!.next('x'); // buffered behind item 0
    inners[1]!.next('y');
    inners[0]!.complete(); // item 1 becomes the head: x, y are flushed
    expect(seen).toEqual(['x', 'y', 'z']);
    inners[1]!.next('w');
    expect(seen).toEqual(['x', 'y', 'z', 'w']);
  });

  it('a head that completes re-entrantly while its buffered values are flushed: the next item waits for the rest of them', () => {
    const inners: Array<Subject<string>> = [];
    const seen: string[] = [];
    of(0, 1, 2)
      .pipe(
        boundedMap((i) => {
          const inner = new Subject<string>();
          inners[i] = inner;
          return inner;
        }, 3),
      )
      .subscribe((v) => {
        seen.push(v);
        if (v === 'b1') inners[1]!.complete(); // item 1 ends while b2 still waits to be flushed
      });
    inners[1]!.next('b1'); // buffered behind item 0
    inners[1]!.next('b2');
    inners[2]!.next('c1'); // buffered behind item 1
    inners[2]!.complete();
    inners[0]!.complete(); // item 1 becomes the head: b1 is flushed, item 1 ends, then b2, then c1
    expect(seen).toEqual(['b1', 'b2', 'c1']);
  });
});

describe('boundedMap with thenables', () => {
  it('a thenable that resolves and then rejects is reported once and frees its slot once', async () => {
    let started = 0;
    const naughty = (x: number): PromiseLike<number> => ({
      then(onFulfilled, onRejected) {
        started++;
        (onFulfilled as (v: number) => void)(x);
        (onRejected as (e: unknown) => void)(new Error('late rejection'));
        return undefined as never;
      },
    });
    let running = 0;
    let maxRunning = 0;
    const out = await lastValueFrom(
      of(1, 2, 3, 4, 5).pipe(
        boundedMap((x) => {
          if (x % 2 === 1) return naughty(x);
          running++;
          maxRunning = Math.max(maxRunning, running);
          return new Promise<number>((resolve) => setImmediate(() => (running--, resolve(x))));
        }, 2),
        toArray(),
      ),
    );
    expect(out).toEqual([1, 2, 3, 4, 5]);
    expect(started).toBe(3);
    expect(maxRunning).toBeLessThanOrEqual(2);
  });
});

describe('CapacityLimiter.state$', () => {
  it('a listener unsubscribed by another listener stays removed', () => {
    const limiter = new CapacityLimiter(2);
    const seenB: number[] = [];
    let subB: { unsubscribe(): void } | undefined;
    const subA = limiter.state$.subscribe((s) => {
      if (s.borrowed === 1) subB?.unsubscribe();
    });
    subB = limiter.state$.subscribe((s) => seenB.push(s.borrowed));
    const lease = limiter.acquire(() => undefined);
    lease.release();
    limiter.acquire(() => undefined);
    expect(seenB).toEqual([0]);
    subA.unsubscribe();
  });

  it('the feed behind state$ keeps no listener that unsubscribed, also when another listener unsubscribed it mid-notify', () => {
    // A closed subscriber kept in the map receives nothing, so only the map's size shows it; each
    // one kept makes every acquire and release walk it (2,000 calls: 6.7 ms against 390 ms).
    let state = { n: 0 };
    const feed = new StateFeed(() => state);
    for (let i = 0; i < 1000; i++) feed.state$.subscribe().unsubscribe();
    expect(feed.size).toBe(0);
    let second: { unsubscribe(): void } | undefined;
    const first = feed.state$.subscribe(() => second?.unsubscribe());
    second = feed.state$.subscribe();
    expect(feed.size).toBe(2);
    state = { n: 1 };
    feed.notify();
    expect(feed.size).toBe(1);
    first.unsubscribe();
    expect(feed.size).toBe(0);
  });

  it('a change of total alone emits', () => {
    const limiter = new CapacityLimiter(2);
    const totals: number[] = [];
    limiter.state$.subscribe((s) => totals.push(s.total));
    limiter.total = 5;
    limiter.total = 5; // no change: no emission
    limiter.total = 1;
    expect(totals).toEqual([2, 5, 1]);
  });

  it('listeners that unsubscribe leave nothing behind: 1,000 cycles, then acquire/release tells nobody', () => {
    const limiter = new CapacityLimiter(1);
    let calls = 0;
    for (let i = 0; i < 1000; i++) limiter.state$.subscribe(() => calls++).unsubscribe();
    expect(calls).toBe(1000); // one initial state each
    for (let i = 0; i < 100; i++) limiter.acquire(() => undefined).release();
    expect(calls).toBe(1000);
  });
});

describe('EventBus.listenerCount', () => {
  class A {}
  class B {}
  it('with no argument counts every subscriber of every type while they exist', () => {
    const bus = new EventBus();
    const s1 = bus.on(A).subscribe();
    const s2 = bus.on(A).subscribe();
    const s3 = bus.on(B).subscribe();
    expect(bus.listenerCount()).toBe(3);
    expect(bus.listenerCount(A)).toBe(2);
    s2.unsubscribe();
    expect(bus.listenerCount()).toBe(2);
    s1.unsubscribe();
    s3.unsubscribe();
    expect(bus.listenerCount()).toBe(0);
  });
});

describe('retryBackoff', () => {
  class Timeout extends Error {}
  class Reset extends Error {}
  class Fatal extends Error {}
  it('retryOn with two or more classes retries each listed class and no other', () => {
    new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ expectObservable }) => {
      const errors = [new Timeout(), new Reset(), new Fatal()];
      let attempt = 0;
      const source = new Observable<never>((s) => s.error(errors[attempt++]));
      const fatal = errors[2];
      expectObservable(source.pipe(retryBackoff({ attempts: 5, baseDelay: 1, jitter: 0, retryOn: [Timeout, Reset] }))).toBe(
        '---#',
        undefined,
        fatal,
      );
    });
  });
});

describe('pull on its own', () => {
  it('calls return() when unsubscribed early', () => {
    let returned = 0;
    const iterable: Iterable<number> = {
      [Symbol.iterator]: () => {
        let i = 0;
        return { next: () => ({ value: i++, done: false }), return: () => (returned++, { value: undefined, done: true }) };
      },
    };
    const seen: number[] = [];
    pull(iterable).pipe(take(3)).subscribe((v) => seen.push(v));
    expect(seen).toEqual([0, 1, 2]);
    expect(returned).toBe(1);
  });

  it('reads a long synchronous source in a loop, not by recursion: 100,000 items, no stack overflow', () => {
    function* numbers(): Generator<number> {
      for (let i = 0; i < 100_000; i++) yield i;
    }
    for (const source of [numbers, [...numbers()]]) {
      let count = 0;
      let failure: unknown;
      let completed = false;
      pull(source).subscribe({ next: () => count++, error: (e: unknown) => (failure = e), complete: () => (completed = true) });
      expect(failure).toBeUndefined();
      expect(count).toBe(100_000);
      expect(completed).toBe(true);
    }
  });

  it('an async iterator that rejects errors the Observable', async () => {
    const boom = new Error('async read failed');
    await expect(firstValueFrom(pull(manualAsyncIterable(() => Promise.reject(boom))))).rejects.toBe(boom);
  });

  it('a rejecting async return() on early close is swallowed (no unhandled rejection, no error downstream)', async () => {
    let i = 0;
    const source = manualAsyncIterable<number>(
      () => Promise.resolve({ value: i++, done: false }),
      () => Promise.reject(new Error('return failed')),
    );
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      expect(await lastValueFrom(pull(source).pipe(take(2), toArray()))).toEqual([0, 1]);
      await new Promise((r) => setTimeout(r, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('pull: what it reads', () => {
  it('an array whose iterator was replaced is read through that iterator, not by index', async () => {
    const odd = Object.assign([1, 2, 3], {
      *[Symbol.iterator]() {
        yield 'x';
        yield 'y';
      },
    });
    expect(await lastValueFrom(pull(odd as never).pipe(toArray()))).toEqual(['x', 'y']);
    expect(await lastValueFrom(pull(odd as never).pipe(boundedMap((v) => of(v), 2), toArray()))).toEqual(['x', 'y']);
  });

  it('a factory that returns no iterable errors the subscription, naming what it returned', async () => {
    await expect(lastValueFrom(pull((() => 5) as never))).rejects.toThrow(
      new TypeError('Expected the pull() factory to return an Iterable or AsyncIterable, got `5` (number)'),
    );
  });

  it('a sync iterator is read one item per free slot, and every item exactly once', async () => {
    let reads = 0;
    const iterable: Iterable<number> = {
      [Symbol.iterator]: () => ({ next: () => (reads++ < 5 ? { value: reads, done: false } : { value: undefined, done: true }) }),
    };
    expect(await lastValueFrom(pull(iterable).pipe(boundedMap((x) => of(x * 10), 2), toArray()))).toEqual([10, 20, 30, 40, 50]);
    expect(reads).toBe(6);
  });
});

describe('IteratorReader (the one reader behind pull() and the pool)', () => {
  /** A sink that records what the reader tells it. */
  function recorder(): ReaderSink<number> & { log: string[] } {
    const log: string[] = [];
    return { log, item: (v) => log.push(`item ${v}`), end: () => log.push('end'), error: (e) => log.push(`error ${String(e)}`) };
  }

  it('asks an async iterator for one item at a time: read() while next() is pending does nothing', async () => {
    let calls = 0;
    const sink = recorder();
    const reader = new IteratorReader<number>({ kind: 'async', iterator: { next: () => Promise.resolve({ value: ++calls, done: false }) } }, sink);
    reader.read();
    reader.read();
    expect(calls).toBe(1);
    expect(reader.pending).toBe(true);
    await tick();
    expect(sink.log).toEqual(['item 1']);
    expect(reader.pending).toBe(false);
  });

  it('after close(), a pending next() that resolves or rejects reaches nobody, and return() was called once', async () => {
    for (const settle of ['resolve', 'reject'] as const) {
      let finish: (() => void) | undefined;
      let returned = 0;
      const sink = recorder();
      const iterator: AsyncIterator<number> = {
        next: () => new Promise((resolve, reject) => (finish = () => (settle === 'resolve' ? resolve({ value: 1, done: false }) : reject(new Error('late'))))),
        return: () => (returned++, Promise.resolve({ value: undefined, done: true })),
      };
      const reader = new IteratorReader<number>({ kind: 'async', iterator }, sink);
      reader.read();
      reader.close();
      reader.close();
      finish!();
      await tick();
      expect(sink.log).toEqual([]);
      expect(returned).toBe(1);
      expect(reader.pending).toBe(false);
    }
  });

  it('once done, it reads nothing more and close() does not call return()', () => {
    let returned = 0;
    let calls = 0;
    const sink = recorder();
    const iterator: Iterator<number> = {
      next: () => (++calls === 1 ? { value: 7, done: false } : { value: undefined, done: true }),
      return: () => (returned++, { value: undefined, done: true }),
    };
    const reader = new IteratorReader<number>({ kind: 'sync', iterator }, sink);
    reader.read();
    reader.read();
    reader.read();
    reader.close();
    expect(sink.log).toEqual(['item 7', 'end']);
    expect(calls).toBe(2);
    expect(returned).toBe(0);
    const array = recorder();
    const fromArray = new IteratorReader<number>({ kind: 'array', array: [1] }, array);
    for (let i = 0; i < 3; i++) fromArray.read();
    expect(array.log).toEqual(['item 1', 'end']);
  });

  it('a sync next() that throws is reported once as an error, and the reader is finished', () => {
    const sink = recorder();
    const reader = new IteratorReader<number>({ kind: 'sync', iterator: { next: () => { throw 'broken'; } } }, sink);
    reader.read();
    reader.read();
    expect(sink.log).toEqual(['error broken']);
    expect(reader.finished).toBe(true);
  });

  it('an async next() that throws synchronously is reported as an error, not left pending', () => {
    const sink = recorder();
    const reader = new IteratorReader<number>({ kind: 'async', iterator: { next: () => { throw 'sync'; } } }, sink);
    reader.read();
    expect(sink.log).toEqual(['error sync']);
    expect(reader.pending).toBe(false);
    expect(reader.finished).toBe(true);
  });
});

describe('sanity of the helpers above', () => {
  it('timer-based work still completes under the same imports', async () => {
    expect(await lastValueFrom(timer(1).pipe(boundedMap(() => throwError(() => 1).pipe(take(0)), 1), toArray()))).toEqual([]);
  });
});

/**
 * A closed pool hears nothing more. Teardown cancels the running inners in index order, and an
 * earlier inner's finalizer can still reach a later one (or the live limit) before it is
 * cancelled: each guard below is what keeps that late signal out of the output.
 */
describe('the pool once closed (late signals during teardown)', () => {
  const boom = new Error('boom');

  it('a bad first live-limit value fails before the source is subscribed', () => {
    let subscriptions = 0;
    const source = new Observable<number>((subscriber) => {
      subscriptions++;
      subscriber.next(1);
    });
    let error: unknown;
    source.pipe(boundedMap((x) => of(x), of(0))).subscribe({ error: (e: unknown) => (error = e) });
    expect(error).toBeInstanceOf(RangeError);
    expect(subscriptions).toBe(0);
  });

  it('unordered: an inner that emits while the failed pool cancels the others is not heard', () => {
    const late = new Subject<string>();
    const values: unknown[] = [];
    let error: unknown;
    of(0, 1, 2)
      .pipe(boundedMap((i) => (i === 0 ? NEVER.pipe(finalize(() => late.next('late'))) : i === 1 ? late : throwError(() => boom)), 3, { ordered: false }))
      .subscribe({ next: (v) => values.push(v), error: (e: unknown) => (error = e) });
    expect(error).toBe(boom);
    expect(values).toEqual([]);
  });

  it('a live limit that errors while the failed pool cancels its inners does not replace the error', () => {
    const limit$ = new BehaviorSubject(3);
    let error: unknown;
    of(0, 1)
      .pipe(boundedMap((i) => (i === 0 ? NEVER.pipe(finalize(() => limit$.error(new Error('late')))) : throwError(() => boom)), limit$))
      .subscribe({ error: (e: unknown) => (error = e) });
    expect(error).toBe(boom);
  });

  it('streamConcurrently: a task completing while the failed pool cancels the others does not complete the output', () => {
    const late = new Subject<string>();
    let error: unknown;
    let completed = false;
    streamConcurrently(NEVER.pipe(finalize(() => late.complete())), late, throwError(() => boom)).subscribe({
      error: (e: unknown) => (error = e),
      complete: () => (completed = true),
    });
    expect(completed).toBe(false);
    expect(error).toBe(boom);
  });

  it('processConcurrently with ignoreErrors: a task failing while unsubscribe cancels the others is not reported to onError', () => {
    const late = new Subject<string>();
    const onError = jest.fn();
    const subscription = processConcurrently([0, 1], (i) => (i === 0 ? NEVER.pipe(finalize(() => late.error(boom))) : late), {
      ignoreErrors: true,
      onError,
    }).subscribe();
    subscription.unsubscribe();
    expect(onError).not.toHaveBeenCalled();
  });
});

describe('the pool over a long synchronous pulled source', () => {
  it('an array of 100 000 items with synchronous tasks completes without growing the stack', () => {
    let completed = false;
    let error: unknown;
    let calls = 0;
    const items = Array.from({ length: 100_000 }, (_, i) => i);
    processConcurrently(items, () => {
      calls++;
      return of(1);
    }, { concurrentTasks: 1 }).subscribe({ error: (e: unknown) => (error = e), complete: () => (completed = true) });
    expect(error).toBeUndefined();
    expect(completed).toBe(true);
    expect(calls).toBe(100_000);
  });
});
