/**
 * `npm run bench resilience`: what a CapacityLimiter token costs per subscription.
 *
 * - synchronous `of(x)`: a bare subscription against the same subscription through
 *   `withCapacity(limiter)` (a token is free every time, so this is the pure bookkeeping cost);
 * - promise tasks, N started at once under a limit of 8: `limiter.run(factory)` and
 *   `defer(factory).pipe(withCapacity(limiter))` against p-limit(8), with an unlimited bare
 *   `from(promise)` subscription for scale (most requests wait in the FIFO queue here).
 *
 * One process, side by side; ratios are against the bare subscription (sync rows) and p-limit
 * (promise rows).
 *
 * RateLimiter, beside p-queue's `intervalCap` and bottleneck's reservoir:
 * - the cost per task when the limit does not bind (pure bookkeeping), against p-queue;
 * - what each really enforces: `limit` per 100 ms, one task at 0 then a burst of 2 × `limit`
 *   at 90 ms; the most starts seen in any sliding 100 ms window (real time on `Date.now()`, the
 *   clock all three use, one run each).
 *   Fixed buckets let a bucket's rest at 90 ms and the next bucket at 100 ms start together.
 */
import Bottleneck from 'bottleneck';
import pLimit from 'p-limit';
import PQueue from 'p-queue';
import { defer, from, of } from 'rxjs';
import { core } from './lib.js';
import { medianMs, report, withRatios, type Row } from './support.js';

const { CapacityLimiter, withCapacity, RateLimiter, withRate } = core;

const N = 100_000;
const LIMIT = 8;

/** Subscribes `n` Observables made by `make(i)` at once and resolves when all have completed. */
function subscribeAll(n: number, make: (i: number) => import('rxjs').Observable<number>): Promise<void> {
  return new Promise((resolve, reject) => {
    let left = n;
    const observer = {
      error: reject,
      complete: () => {
        if (--left === 0) resolve();
      },
    };
    for (let i = 0; i < n; i++) make(i).subscribe(observer);
  });
}

const nsPer = (ms: number, n: number): number => (ms * 1e6) / n;

export default async function main(): Promise<void> {
  const syncRows: Row[] = [];
  {
    const source = of(1);
    syncRows.push({ name: `bare subscription, of(x), N=${N}`, unit: 'ns/sub', value: nsPer(await medianMs(() => subscribeAll(N, () => source)), N) });
    const limiter = new CapacityLimiter(LIMIT);
    const limited = source.pipe(withCapacity(limiter));
    syncRows.push({ name: `withCapacity(limit ${LIMIT}), of(x), N=${N}`, unit: 'ns/sub', value: nsPer(await medianMs(() => subscribeAll(N, () => limited)), N) });
  }

  const promiseRows: Row[] = [];
  {
    const task = (i: number): Promise<number> => Promise.resolve(i);
    promiseRows.push({
      name: `bare from(promise), no limit, N=${N}`,
      unit: 'ns/task',
      value: nsPer(await medianMs(() => subscribeAll(N, (i) => from(task(i)))), N),
    });
    promiseRows.push({
      name: `p-limit(${LIMIT}), N=${N}`,
      unit: 'ns/task',
      value: nsPer(
        await medianMs(() => {
          const limit = pLimit(LIMIT);
          return Promise.all(Array.from({ length: N }, (_, i) => limit(() => task(i))));
        }),
        N,
      ),
    });
    promiseRows.push({
      name: `limiter.run(factory), limit ${LIMIT}, N=${N}`,
      unit: 'ns/task',
      value: nsPer(
        await medianMs(() => {
          const limiter = new CapacityLimiter(LIMIT);
          return subscribeAll(N, (i) => limiter.run(() => task(i)));
        }),
        N,
      ),
    });
    promiseRows.push({
      name: `defer(factory).pipe(withCapacity), limit ${LIMIT}, N=${N}`,
      unit: 'ns/task',
      value: nsPer(
        await medianMs(() => {
          const limiter = new CapacityLimiter(LIMIT);
          return subscribeAll(N, (i) => defer(() => task(i)).pipe(withCapacity(limiter)));
        }),
        N,
      ),
    });
  }

  report('resilience', 'withCapacity overhead per subscription (Node, one process)', [
    ...withRatios(syncRows, syncRows[0]!.name),
    ...withRatios(promiseRows, promiseRows[1]!.name),
  ]);

  const rateRows: Row[] = [];
  {
    const task = (i: number): Promise<number> => Promise.resolve(i);
    const HUGE = 1_000_000_000; // a limit that never binds: the rows measure bookkeeping only
    rateRows.push({
      name: `p-queue intervalCap (not reached), N=${N}`,
      unit: 'ns/task',
      value: nsPer(
        await medianMs(() => {
          const queue = new PQueue({ intervalCap: HUGE, interval: 1000 });
          return Promise.all(Array.from({ length: N }, (_, i) => queue.add(() => task(i))));
        }),
        N,
      ),
    });
    // bottleneck dispatches its queue on timers (milliseconds per job here), so it gets a smaller N.
    const NB = 1000;
    rateRows.push({
      name: `bottleneck reservoir (not reached), N=${NB}`,
      unit: 'ns/task',
      value: nsPer(
        await medianMs(() => {
          const limiter = new Bottleneck({ reservoir: HUGE });
          return Promise.all(Array.from({ length: NB }, (_, i) => limiter.schedule(() => task(i))));
        }, 1),
        NB,
      ),
    });
    rateRows.push({
      name: `RateLimiter run(factory) (not reached), N=${N}`,
      unit: 'ns/task',
      value: nsPer(
        await medianMs(() => {
          const limiter = new RateLimiter({ limit: HUGE, interval: 1000 });
          return subscribeAll(N, (i) => limiter.run(() => task(i)));
        }),
        N,
      ),
    });
    rateRows.push({
      name: `defer(factory).pipe(withRate) (not reached), N=${N}`,
      unit: 'ns/task',
      value: nsPer(
        await medianMs(() => {
          const limiter = new RateLimiter({ limit: HUGE, interval: 1000 });
          return subscribeAll(N, (i) => defer(() => task(i)).pipe(withRate(limiter)));
        }),
        N,
      ),
    });
  }

  const RATE = 20;
  const windowRows: Row[] = [{ name: `the limit: ${RATE} per 100 ms`, unit: 'starts', value: RATE }];
  const rate = new RateLimiter({ limit: RATE, interval: 100 });
  windowRows.push({ name: 'RateLimiter({ limit, interval: 100 }): exact sliding window', unit: 'starts', value: await burst((fn) => void rate.run(fn).subscribe()) });
  const queue = new PQueue({ intervalCap: RATE, interval: 100 });
  windowRows.push({ name: 'p-queue({ intervalCap, interval: 100 }): fixed buckets', unit: 'starts', value: await burst((fn) => void queue.add(fn)) });
  const reservoir = new Bottleneck({ reservoir: RATE, reservoirRefreshAmount: RATE, reservoirRefreshInterval: 100 });
  windowRows.push({ name: 'bottleneck reservoir refreshed every 100 ms', unit: 'starts', value: await burst((fn) => void reservoir.schedule(fn)) });
  await reservoir.stop({ dropWaitingJobs: false });

  report('resilience-rate', 'RateLimiter beside p-queue and bottleneck (Node, one process)', [
    ...withRatios(rateRows, rateRows[0]!.name),
    ...withRatios(windowRows, windowRows[0]!.name),
  ]);
}

/**
 * One task at 0, then 2 × RATE at 90 ms, through `start`; resolves with the most starts seen in
 * any sliding 100 ms window once all have run.
 */
function burst(start: (fn: () => Promise<void>) => void, rate = 20): Promise<number> {
  const starts: number[] = [];
  const total = 1 + 2 * rate;
  return new Promise((resolve) => {
    const fn = (): Promise<void> => {
      starts.push(Date.now()); // the limiters' clock (asyncScheduler's, millisecond steps)
      if (starts.length === total) resolve(Math.max(...starts.map((t) => starts.filter((u) => u >= t && u < t + 100).length)));
      return Promise.resolve();
    };
    start(fn);
    setTimeout(() => {
      for (let i = 0; i < 2 * rate; i++) start(fn);
    }, 90);
  });
}
