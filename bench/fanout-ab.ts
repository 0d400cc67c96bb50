/**
 * `npx tsx bench/fanout-ab.ts BASE_DIST [N …]`: A/B of the fan-out engine in one process — this
 * tree's build (dist/cjs, `npm run build` first) against another build (`BASE_DIST`, say a copy
 * of main's dist/cjs) — with the hand-written pool of 8 workers as the baseline of each ratio and
 * rxjs `mergeMap` for the `of(x)` inners. Cases alternate round by round, so a busy machine
 * slows both sides alike (every other round runs them in reverse order); a full gc precedes each
 * run, and each run is timed in the main thread's CPU time (see `cpuNs`), not wall time.
 * Printed: the median and the fastest run of each case, in ns per item, and each one's ratio to
 * the baseline's (the fastest is the figure least disturbed by other processes).
 *
 * `npx tsx bench/fanout-ab.ts BASE_DIST --paired [N …]`: paired ratios instead, for the three
 * cases whose speed the engine sets (promise ordered and unordered, `of(x)` ordered): each round
 * runs this build and the other one (in alternating order: the position in a round biases a run
 * by a few %), then the hand-written pool; printed are the medians of the per-round ratios.
 *
 * `npx tsx bench/fanout-ab.ts BASE_DIST --alloc`: bytes allocated per item instead, which no
 * other process disturbs: each case runs once at 200,000 and once at 600,000 items, each in a
 * child process started with `--trace-gc-nvp --max-semi-space-size=1`; the figure is the
 * difference of the bytes the scavenges report (the median of three runs at each size), divided
 * by 400,000.
 */
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { from, mergeMap, of } from 'rxjs';
import type * as Core from '../lib/index.js';
import { collectGarbage, cpuNs, drain, handWrittenPool } from './support';

const [baseDir, ...rest] = process.argv.slice(2);
const alloc = rest.includes('--alloc');
const paired = rest.includes('--paired');
const sizes = rest.filter((arg) => !arg.startsWith('--'));
if (!baseDir) throw new Error('usage: tsx bench/fanout-ab.ts BASE_DIST_CJS [N …]');
const A = require(resolve(__dirname, '../dist/cjs/index.js')) as typeof Core;
const B = require(resolve(baseDir, 'index.js')) as typeof Core;
const LIMIT = 8;
const ROUNDS = Number(process.env['ROUNDS'] ?? 7);
const p = (x: number) => Promise.resolve(x);
const s = (x: number) => of(x);
// The other build's inners come from its own rxjs: an `of(x)` of this tree's copy is no
// `instanceof` the other copy's Observable and would take its slower `from()` path (an A/A run
// of one build against a copy of itself measured its `of(x)` ratio at 0.72 that way).
const ofB = (require(require.resolve('rxjs', { paths: [resolve(baseDir)] })) as typeof import('rxjs')).of;
const sB = (x: number) => ofB(x);
type Case = [string, (items: number[]) => Promise<unknown>];
const cases: Case[] = [
  ['pool (promise)', (items) => handWrittenPool(items, p, LIMIT)],
  ['new ordered (promise)', (items) => drain(A.pull(items).pipe(A.boundedMap(p, LIMIT)))],
  ['base ordered (promise)', (items) => drain(B.pull(items).pipe(B.boundedMap(p, LIMIT)))],
  ['new unordered (promise)', (items) => drain(A.pull(items).pipe(A.boundedMap(p, LIMIT, { ordered: false })))],
  ['base unordered (promise)', (items) => drain(B.pull(items).pipe(B.boundedMap(p, LIMIT, { ordered: false })))],
  ['mergeMap (of)', (items) => drain(from(items).pipe(mergeMap(s, LIMIT)))],
  ['new ordered (of)', (items) => drain(A.pull(items).pipe(A.boundedMap(s, LIMIT)))],
  ['base ordered (of)', (items) => drain(B.pull(items).pipe(B.boundedMap(sB, LIMIT)))],
  ['new unordered (of)', (items) => drain(A.pull(items).pipe(A.boundedMap(s, LIMIT, { ordered: false })))],
  ['base unordered (of)', (items) => drain(B.pull(items).pipe(B.boundedMap(sB, LIMIT, { ordered: false })))],
];

/** Bytes the scavenges of one child process running `name` once at `n` items report allocated. */
function allocatedBytes(name: string, n: number): number {
  const out = execFileSync(process.execPath, ['--trace-gc-nvp', '--max-semi-space-size=1', '--import', 'tsx', __filename, baseDir!], {
    cwd: join(__dirname, '..'),
    env: { ...process.env, AB_CASE: name, AB_N: String(n) },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  return [...out.matchAll(/ allocated=(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
}

async function main(): Promise<void> {
  const only = process.env['AB_CASE'];
  if (only !== undefined) {
    const items = Array.from({ length: Number(process.env['AB_N']) }, (_, i) => i);
    await cases.find(([name]) => name === only)![1](items);
    return;
  }
  if (paired) {
    for (const n of (sizes.length ? sizes : ['100000']).map(Number)) {
      const items = Array.from({ length: n }, (_, i) => i);
      const pairs = n >= 1_000_000 ? 9 : 21;
      const pool = cases.find(([name]) => name === 'pool (promise)')![1];
      console.log(`N=${n}, main-thread CPU time, medians of ${pairs} paired rounds`);
      for (const kind of ['ordered (promise)', 'unordered (promise)', 'ordered (of)']) {
        const mine = cases.find(([name]) => name === `new ${kind}`)![1];
        const theirs = cases.find(([name]) => name === `base ${kind}`)![1];
        const time = async (run: (items: number[]) => Promise<unknown>): Promise<number> => {
          collectGarbage();
          const t = cpuNs();
          await run(items);
          return cpuNs() - t;
        };
        await mine(items);
        await theirs(items);
        const ratio: number[] = [];
        const mineToPool: number[] = [];
        const theirsToPool: number[] = [];
        for (let i = 0; i < pairs; i++) {
          const a = i % 2 === 0 ? await time(mine) : 0;
          const b = await time(theirs);
          const a2 = i % 2 === 0 ? a : await time(mine);
          const p = await time(pool);
          ratio.push(a2 / b);
          mineToPool.push(a2 / p);
          theirsToPool.push(b / p);
        }
        const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1]!.toFixed(2);
        console.log(`  ${kind.padEnd(20)} this / other ${median(ratio)}   this / pool ${median(mineToPool)}   other / pool ${median(theirsToPool)}`);
      }
    }
    return;
  }
  if (alloc) {
    console.log('bytes allocated per item (600,000 items minus 200,000, / 400,000)');
    for (const [name] of cases) {
      // The median of three runs at each size: a run now and then reports a scavenge more or less.
      const median = (n: number) => [0, 1, 2].map(() => allocatedBytes(name, n)).sort((a, b) => a - b)[1]!;
      const perItem = (median(600_000) - median(200_000)) / 400_000;
      console.log(`  ${name.padEnd(26)} ${perItem.toFixed(0).padStart(6)} B/item`);
    }
    return;
  }
  for (const n of (sizes.length ? sizes : ['100000']).map(Number)) {
    const items = Array.from({ length: n }, (_, i) => i);
    const times = new Map<string, number[]>(cases.map(([name]) => [name, []]));
    for (let round = 0; round <= ROUNDS; round++) {
      // Every other round in reverse order, so no case always runs right after the same other one.
      for (const [name, run] of round % 2 === 0 ? cases : [...cases].reverse()) {
        collectGarbage();
        const t = cpuNs();
        await run(items);
        if (round > 0) times.get(name)!.push((cpuNs() - t) / 1e6);
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const min = (xs: number[]) => Math.min(...xs);
    console.log(`N=${n}, main-thread CPU time: median and fastest of ${ROUNDS} rounds`);
    for (const [name] of cases) {
      const base = times.get(name.includes('(of)') ? 'mergeMap (of)' : 'pool (promise)')!;
      const own = times.get(name)!;
      const ns = (ms: number) => ((ms * 1e6) / n).toFixed(0).padStart(6);
      console.log(
        `  ${name.padEnd(26)} ${ns(median(own))} ns/item  ${(median(own) / median(base)).toFixed(2)}×   fastest ${ns(min(own))} ns/item  ${(min(own) / min(base)).toFixed(2)}× ${name.includes('(of)') ? 'mergeMap' : 'pool'}`,
      );
    }
  }
}
main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
