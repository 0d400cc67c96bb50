/**
 * Combinators against their RxJS and Promise counterparts, per task: gather vs forkJoin and
 * Promise.all, streamConcurrently (exhaustive) vs merge, firstToFinish vs Promise.race.
 * Run with `npm run bench combinators`.
 *
 * Under tsx (which `npm run bench` uses) every closure created per task also pays for esbuild's
 * `keepNames` helper; compiled with tsc, gather over 10,000 promises measured ~0.6–1.1 µs/task
 * here, on a par with forkJoin, where tsx shows several times that.
 */
import { forkJoin, lastValueFrom, merge, of, type Observable } from 'rxjs';
import { core } from './lib.js';
import { medianMs, report, withRatios, type Row } from './support';

const { firstToFinish, gather, streamConcurrently } = core;

const N = 10_000;

/** ns per task of one run of `run` over N tasks. */
async function perTask(name: string, run: () => Promise<unknown>): Promise<Row> {
  const ms = await medianMs(run);
  return { name, value: (ms * 1e6) / N, unit: 'ns/task' };
}

const syncTasks = (): Observable<number>[] => Array.from({ length: N }, (_, i) => of(i));
const promiseTasks = (): Promise<number>[] => Array.from({ length: N }, (_, i) => Promise.resolve(i));

export default async function main(): Promise<void> {
  const sync = [
    await perTask(`forkJoin, of(x), N=${N}`, () => lastValueFrom(forkJoin(syncTasks()))),
    await perTask(`gather, of(x), N=${N}`, () => lastValueFrom(gather(...syncTasks()))),
    await perTask(`gather settle, of(x), N=${N}`, () => lastValueFrom(gather(...syncTasks(), { settle: true }))),
    await perTask(`merge, of(x), N=${N}`, () => lastValueFrom(merge(...syncTasks()))),
    await perTask(`streamConcurrently exhaustive, of(x), N=${N}`, () =>
      lastValueFrom(streamConcurrently(...syncTasks(), { exhaustive: true })),
    ),
  ];
  report('combinators', 'Combinators, synchronous inners (ratio to forkJoin)', withRatios(sync, sync[0]!.name));

  const promises = [
    await perTask(`Promise.all, N=${N}`, () => Promise.all(promiseTasks())),
    await perTask(`gather, promises, N=${N}`, () => lastValueFrom(gather(...promiseTasks()))),
    await perTask(`forkJoin, promises, N=${N}`, () => lastValueFrom(forkJoin(promiseTasks()))),
    await perTask(`Promise.race, N=${N}`, () => Promise.race(promiseTasks())),
    await perTask(`firstToFinish, promises, N=${N}`, () => lastValueFrom(firstToFinish(...promiseTasks()))),
  ];
  report('combinators-promises', 'Combinators, promise tasks (ratio to Promise.all)', withRatios(promises, promises[0]!.name));
}
