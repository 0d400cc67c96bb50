/**
 * `npx tsx bench/limiter-ab.ts BASE_DIST_CJS`: A/B of the limiters in one process — this tree's
 * build (dist/cjs, `npm run build` first) against another build (`BASE_DIST_CJS`, say main's
 * dist/cjs built in a copy of main) — on the cases of `resilience.bench.ts` whose speed the
 * queue sets: `withCapacity` with a free token (the fast path: `of(x)`, no queue), `withCapacity`
 * and `limiter.run` with promise tasks through a queue of 100,000 waiters at limit 8, `withRate`
 * through a limiter never reached. Each round runs both builds (in alternating order: the
 * position in a round biases a run by a few %), after a full gc, timed in the main thread's CPU
 * time (`cpuNs`); printed are the medians of the per-round ratios this build / the other, and of
 * each side's ns per subscription.
 */
import { resolve } from 'node:path';
import { defer, of, type Observable } from 'rxjs';
import type * as Core from '../lib/index.js';
import { collectGarbage, cpuNs } from './support';

const [baseDir] = process.argv.slice(2);
if (!baseDir) throw new Error('usage: tsx bench/limiter-ab.ts BASE_DIST_CJS');
const A = require(resolve(__dirname, '../dist/cjs/index.js')) as typeof Core;
const B = require(resolve(baseDir, 'index.js')) as typeof Core;
const N = 100_000;
const LIMIT = 8;
const ROUNDS = Number(process.env['ROUNDS'] ?? 11);

/** Subscribes `n` Observables made by `make(i)` at once and resolves when all have completed. */
function subscribeAll(n: number, make: (i: number) => Observable<number>): Promise<void> {
  return new Promise((done, fail) => {
    let left = n;
    const observer = { error: fail, complete: () => void (--left === 0 && done()) };
    for (let i = 0; i < n; i++) make(i).subscribe(observer);
  });
}

const task = (i: number): Promise<number> => Promise.resolve(i);
type Run = (lib: typeof Core) => Promise<void>;
const cases: [string, Run][] = [
  [
    'withCapacity, free token, of(x)',
    (lib) => {
      const limited = of(1).pipe(lib.withCapacity(new lib.CapacityLimiter(LIMIT)));
      return subscribeAll(N, () => limited);
    },
  ],
  [
    'withCapacity, queued, promise',
    (lib) => {
      const limiter = new lib.CapacityLimiter(LIMIT);
      return subscribeAll(N, (i) => defer(() => task(i)).pipe(lib.withCapacity(limiter)));
    },
  ],
  [
    'limiter.run, queued, promise',
    (lib) => {
      const limiter = new lib.CapacityLimiter(LIMIT);
      return subscribeAll(N, (i) => limiter.run(() => task(i)));
    },
  ],
  [
    'withRate (not reached), promise',
    (lib) => {
      const limiter = new lib.RateLimiter({ limit: 1e9, interval: 1000 });
      return subscribeAll(N, (i) => defer(() => task(i)).pipe(lib.withRate(limiter)));
    },
  ],
];

async function timed(run: Run, lib: typeof Core): Promise<number> {
  collectGarbage();
  const start = cpuNs();
  await run(lib);
  return (cpuNs() - start) / N;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  for (const [name, run] of cases.filter(([n]) => (process.env['CASE'] ?? '') === '' || n.includes(process.env['CASE']!))) {
    await timed(run, A); // warm-up
    await timed(run, B);
    const a: number[] = [];
    const b: number[] = [];
    const ratios: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      let na: number;
      let nb: number;
      if (r % 2 === 0) {
        na = await timed(run, A);
        nb = await timed(run, B);
      } else {
        nb = await timed(run, B);
        na = await timed(run, A);
      }
      a.push(na);
      b.push(nb);
      ratios.push(na / nb);
    }
    console.log(`${name.padEnd(34)} this ${median(a).toFixed(0).padStart(5)} ns/sub, base ${median(b).toFixed(0).padStart(5)} ns/sub, ratio ${median(ratios).toFixed(3)}`);
  }
}

void main();
