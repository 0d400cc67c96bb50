/**
 * `npm run bench fanout`: bounded fan-out at limit 8, side by side in one process —
 * `boundedMap` (ordered and not, source `pull(array)`), `executeConcurrently`, rxjs
 * `mergeMap(f, 8)` (source `from(array)`), p-map, Effect's `forEach` with `{ concurrency: 8 }`
 * and a hand-written pool of 8 async workers pulling from a shared index (the floor, and the
 * baseline of every ratio) — for promise handlers (`x => Promise.resolve(x)`) and synchronous
 * inners (`of(x)`; the non-rxjs peers get the plain value, their closest equivalent), at
 * N = 10,000, 100,000 and 1,000,000. Figures are ns per item (median of several runs).
 *
 * Then peak heap growth of the lazy case, 2,000,000 items from a generator:
 * `pull(gen).pipe(boundedMap(f, 8))` vs `from(gen).pipe(mergeMap(f, 8))`, each in a fresh child
 * process started with `--expose-gc` (this file, run with FANOUT_HEAP_CASE set).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Effect } from 'effect';
import pMap from 'p-map';
import { firstValueFrom, from, mergeMap, of, type ObservableInput } from 'rxjs';
import { core } from './lib.js';
import { collectGarbage, drain, handWrittenPool, medianMs, report, withRatios, type Row } from './support';

const { boundedMap, executeConcurrently, pull } = core;

const LIMIT = 8;
const SIZES = [10_000, 100_000, 1_000_000] as const;
/** Measured rounds (after one warm-up) by N: more for the short runs, whose figures are noisier. */
const RUNS: Record<number, number> = { 10_000: 15, 100_000: 5, 1_000_000: 3 };
const HEAP_ITEMS = 2_000_000;

type Kind = 'promise' | 'sync';

interface Case {
  readonly name: string;
  /** Processes `items` at limit 8 and resolves with the number of results. */
  readonly run: (items: number[], kind: Kind) => Promise<number>;
  /** Why a size is skipped, if it is. */
  readonly skip?: (n: number, kind: Kind) => string | undefined;
}

/** The rxjs inner of each kind. */
const inner = (kind: Kind): ((x: number) => ObservableInput<number>) =>
  kind === 'promise' ? (x) => Promise.resolve(x) : (x) => of(x);

/** The plain-function handler of each kind, for the peers that are not rxjs. */
const plain = (kind: Kind): ((x: number) => number | Promise<number>) => (kind === 'promise' ? (x) => Promise.resolve(x) : (x) => x);

const POOL = 'hand-written pool (floor)';
const CASES: Case[] = [
  { name: POOL, run: async (items, kind) => (await handWrittenPool(items, plain(kind), LIMIT)).length },
  { name: 'boundedMap ordered', run: (items, kind) => drain(pull(items).pipe(boundedMap(inner(kind), LIMIT))) },
  {
    name: 'boundedMap unordered',
    run: (items, kind) => drain(pull(items).pipe(boundedMap(inner(kind), LIMIT, { ordered: false }))),
  },
  {
    name: 'executeConcurrently',
    run: async (items, kind) => (await firstValueFrom(executeConcurrently(inner(kind), items, { concurrentTasks: LIMIT }))).length,
  },
  {
    name: 'rxjs mergeMap',
    run: (items, kind) => drain(from(items).pipe(mergeMap(inner(kind), LIMIT))),
    skip: (n, kind) =>
      kind === 'promise' && n >= 1_000_000 ? 'skipped: quadratic in N (its buffer.shift()), would take minutes' : undefined,
  },
  { name: 'p-map', run: async (items, kind) => (await pMap(items, plain(kind), { concurrency: LIMIT })).length },
  {
    name: 'Effect.forEach',
    run: async (items, kind) => {
      const f = kind === 'promise' ? (x: number) => Effect.promise(() => Promise.resolve(x)) : (x: number) => Effect.succeed(x);
      return (await Effect.runPromise(Effect.forEach(items, f, { concurrency: LIMIT }))).length;
    },
  },
];

interface Cell {
  ns?: number;
  ratio?: number;
  skipped?: string;
}

/**
 * Times every case on the same items, one case after the other: a full gc, a run whose result
 * count is checked, then `medianMs` (one more warm-up, then `runs` timed runs). Returns the
 * median ms of each case.
 */
async function timeGroup(cases: readonly Case[], items: number[], kind: Kind, runs: number): Promise<Map<string, number>> {
  const medians = new Map<string, number>();
  for (const c of cases) {
    collectGarbage();
    const count = await c.run(items, kind);
    if (count !== items.length) throw new Error(`${c.name} (${kind}, N=${items.length}) gave ${count} results instead of ${items.length}`);
    medians.set(c.name, await medianMs(() => c.run(items, kind), runs));
  }
  return medians;
}

export default async function main(): Promise<void> {
  const started = Date.now();
  const rows: Row[] = [];
  /** One cell of the README table per handler kind, case and N. */
  const cells = new Map<string, Cell>();
  const key = (kind: Kind, name: string, n: number) => `${kind}|${name}|${n}`;

  for (const kind of ['promise', 'sync'] as const) {
    for (const n of SIZES) {
      const items = Array.from({ length: n }, (_, i) => i);
      const running = CASES.filter((c) => {
        const skipped = c.skip?.(n, kind);
        if (skipped) cells.set(key(kind, c.name, n), { skipped });
        return !skipped;
      });
      const medians = await timeGroup(running, items, kind, RUNS[n]!);
      const group: Row[] = running.map((c) => ({ name: `${c.name}, ${kind}, N=${n}`, value: (medians.get(c.name)! * 1e6) / n, unit: 'ns/item' }));
      for (const [i, row] of withRatios(group, `${POOL}, ${kind}, N=${n}`).entries()) {
        rows.push(row);
        cells.set(key(kind, running[i]!.name, n), { ns: row.value, ratio: row.ratio! });
      }
    }
  }

  const heap = [heapCase('boundedMap'), heapCase('mergeMap')];
  rows.push(
    { name: `pull(generator) → boundedMap(promise, 8), ${HEAP_ITEMS} items: peak heap growth`, value: heap[0]!.mb, unit: 'MB' },
    {
      name: `from(generator) → mergeMap(promise, 8), ${HEAP_ITEMS} items: heap growth at subscribe`,
      value: heap[1]!.mb,
      unit: 'MB',
    },
  );
  report('fanout', `Bounded fan-out at limit ${LIMIT} (ns per item; ratio to the hand-written pool at the same N and handler)`, rows);

  // A compact table for the README, and the performance targets.
  const lines: string[] = [
    `#### Fan-out (limit ${LIMIT}), ns per item and ratio to the hand-written pool — Node ${process.version}`,
    '',
    `| handler | case | ${SIZES.map((n) => `N = ${n.toLocaleString('en-US')}`).join(' | ')} |`,
    `| --- | --- | ${SIZES.map(() => '---:').join(' | ')} |`,
  ];
  for (const kind of ['promise', 'sync'] as const) {
    for (const c of CASES) {
      const shown = SIZES.map((n) => {
        const cell = cells.get(key(kind, c.name, n))!;
        return cell.skipped ?? `${cell.ns!.toFixed(0)} (${cell.ratio!.toFixed(2)}×)`;
      });
      lines.push(`| ${kind === 'promise' ? '`x => Promise.resolve(x)`' : '`of(x)` / value'} | ${c.name} | ${shown.join(' | ')} |`);
    }
  }
  lines.push(
    '',
    `| lazy case, ${HEAP_ITEMS.toLocaleString('en-US')} items from a generator, \`x => Promise.resolve(x)\` | peak heap growth | time |`,
    '| --- | ---: | ---: |',
    `| \`pull(gen).pipe(boundedMap(f, 8))\` | ${heap[0]!.mb.toFixed(1)} MB | ${(heap[0]!.ms / 1000).toFixed(1)} s |`,
    `| \`from(gen).pipe(mergeMap(f, 8))\` | ${heap[1]!.mb.toFixed(1)} MB at subscribe | stopped there (draining 2M buffered items is quadratic) |`,
    '',
    '**Targets**',
    '',
  );
  const ours = ['boundedMap ordered', 'boundedMap unordered', 'executeConcurrently'];
  const cell = (kind: Kind, name: string, n: number) => cells.get(key(kind, name, n))!;
  const verdict = (ok: boolean) => (ok ? '**met**' : '**not met**');
  const within3 = ours.flatMap((name) => SIZES.map((n) => cell('promise', name, n).ratio!));
  lines.push(
    `- Promise handlers within 3× of the hand-written pool: ${verdict(within3.every((r) => r <= 3))} ` +
      `(worst ${Math.max(...within3).toFixed(2)}×; p-map ${SIZES.map((n) => cell('promise', 'p-map', n).ratio!.toFixed(2)).join(' / ')}×).`,
  );
  const vsMergeMap = ours.flatMap((name) => SIZES.map((n) => cell('sync', name, n).ns! / cell('sync', 'rxjs mergeMap', n).ns!));
  lines.push(
    `- \`of(x)\` inners no slower than \`mergeMap\`: ${verdict(vsMergeMap.every((r) => r <= 1))} ` +
      `(ours / mergeMap: worst ${Math.max(...vsMergeMap).toFixed(2)}, best ${Math.min(...vsMergeMap).toFixed(2)}).`,
  );
  const growth = ours.flatMap((name) =>
    (['promise', 'sync'] as const).map((kind) => cell(kind, name, 1_000_000).ns! / cell(kind, name, 10_000).ns!),
  );
  lines.push(
    `- ns/item at N = 1,000,000 within 1.2× of N = 10,000: ${verdict(growth.every((g) => g <= 1.2))} ` +
      `(1M / 10k: ${growth.map((g) => g.toFixed(2)).join(', ')} for ${ours.join(', ')} × promise, sync; ` +
      `the hand-written pool itself: ${(['promise', 'sync'] as const).map((kind) => (cell(kind, POOL, 1_000_000).ns! / cell(kind, POOL, 10_000).ns!).toFixed(2)).join(', ')}).`,
  );
  lines.push(`- Lazy case peak heap growth under 20 MB: ${verdict(heap[0]!.mb < 20)} (${heap[0]!.mb.toFixed(1)} MB).`);
  lines.push(
    '',
    `_Whole run: ${((Date.now() - started) / 1000).toFixed(0)} s. Peak heap growth counts garbage not yet collected too (the ` +
      `young generation alone holds up to 16 MB), so flat memory shows as a small constant. On a busy or small machine single ` +
      `figures move by 2× between runs: compare ratios within a column, and re-run before drawing conclusions._`,
  );
  console.log(lines.join('\n'));
}

interface HeapResult {
  /** Peak heap growth over the baseline after a full gc, in MB. */
  mb: number;
  /** Wall time of the run, in ms. */
  ms: number;
}

/** Runs one lazy case in a fresh child process (started with --expose-gc) and returns its result. */
function heapCase(name: 'boundedMap' | 'mergeMap'): HeapResult {
  const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', __filename], {
    cwd: join(__dirname, '..'),
    env: { ...process.env, FANOUT_HEAP_CASE: name },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return JSON.parse(out.trim().split('\n').pop()!) as HeapResult;
}

/** In the child: one lazy case over a 2,000,000-item generator, sampling `heapUsed`. */
async function heapChild(name: string): Promise<HeapResult> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('the heap case needs --expose-gc');
  const f = (x: number) => Promise.resolve(x);
  gc();
  const base = process.memoryUsage().heapUsed;
  let peak = base;
  const sample = () => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  };
  /** The source, sampling the heap every 1,024 items it yields. */
  function* numbers(): Generator<number> {
    for (let i = 0; i < HEAP_ITEMS; i++) {
      if ((i & 1023) === 0) sample();
      yield i;
    }
    sample();
  }
  const start = process.hrtime.bigint();
  if (name === 'boundedMap') {
    let count = 0;
    await new Promise<void>((resolve, reject) => {
      pull(numbers())
        .pipe(boundedMap(f, LIMIT))
        .subscribe({
          next: () => {
            if ((++count & 1023) === 0) sample();
          },
          error: reject,
          complete: resolve,
        });
      sample();
    });
    if (count !== HEAP_ITEMS) throw new Error(`boundedMap gave ${count} results instead of ${HEAP_ITEMS}`);
  } else {
    // from(gen) is read to the end during subscribe, into mergeMap's buffer: the peak is reached
    // there. Draining it afterwards is quadratic (buffer.shift()), so the run stops there.
    const subscription = from(numbers())
      .pipe(mergeMap(f, LIMIT))
      .subscribe(() => undefined);
    sample();
    subscription.unsubscribe();
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  return { mb: (peak - base) / 2 ** 20, ms };
}

const heapCaseName = process.env['FANOUT_HEAP_CASE'];
if (heapCaseName && require.main === module) {
  heapChild(heapCaseName).then(
    (result) => console.log(JSON.stringify(result)),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
