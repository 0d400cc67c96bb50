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
 */
import pLimit from 'p-limit';
import { defer, from, of } from 'rxjs';
import { core } from './lib.js';
import { medianMs, report, withRatios, type Row } from './support.js';

const { CapacityLimiter, withCapacity } = core;

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
}
