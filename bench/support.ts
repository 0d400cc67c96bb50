/**
 * Shared pieces of the benchmarks: timing, a printed table with ratios, and JSON results in
 * bench/results/. Benchmarks run in one process, side by side, so their ratios are comparable;
 * absolute figures depend on the machine.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Observable } from 'rxjs';

export interface Row {
  /** What was measured, e.g. "boundedMap ordered, promise, N=100000". */
  name: string;
  /** The figure, in `unit`. */
  value: number;
  unit: string;
  /** value / baseline value, when the row is compared with a baseline. */
  ratio?: number;
  /** The name of the baseline row the ratio is against. */
  baseline?: string;
}

/** Runs `fn` `runs` times (after one warm-up) and returns the median wall time in ms. */
export async function medianMs(fn: () => Promise<unknown> | unknown, runs = 5): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** Adds `ratio` and `baseline` to every row, against the row named `baseline`. */
export function withRatios(rows: Row[], baseline: string): Row[] {
  const base = rows.find((r) => r.name === baseline);
  if (!base) throw new Error(`no baseline row named ${baseline}`);
  return rows.map((r) => ({ ...r, ratio: r.value / base.value, baseline }));
}

/**
 * Prints rows as a Markdown table and writes them as JSON, which bench/readme.ts renders into the
 * README's `<!-- bench:AREA -->` region. `readme`: the area's own Markdown for that region (made
 * from these rows in this run), when the generic table does not suit it.
 */
export function report(area: string, title: string, rows: Row[], readme?: string): void {
  const lines = [
    `### ${title}`,
    '',
    '| case | value | ratio |',
    '| --- | ---: | ---: |',
    ...rows.map(
      (r) => `| ${r.name} | ${formatValue(r.value)} ${r.unit} | ${r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}×`} |`,
    ),
    '',
  ];
  console.log(lines.join('\n'));
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, `${area}.json`),
    JSON.stringify(
      {
        area,
        title,
        node: process.version,
        date: new Date().toISOString(),
        machine: { cpus: cpus().length, load: loadavg()[0]! },
        rows,
        ...(readme === undefined ? {} : { readme }),
      },
      null,
      2,
    ) + '\n',
  );
}

function formatValue(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

/** Subscribes and resolves with the number of values once the Observable completes. */
export function drain(source: Observable<unknown>): Promise<number> {
  return new Promise((resolve, reject) => {
    let count = 0;
    source.subscribe({ next: () => void count++, error: reject, complete: () => resolve(count) });
  });
}

/** The floor: 8 async workers pulling the next index from a shared counter. */
export async function handWrittenPool<T, R>(items: readonly T[], f: (x: T) => R | Promise<R>, limit: number): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return out;
}

/**
 * A full garbage collection before each case, so no case pays for the garbage of the one before:
 * `--expose-gc` switched on at runtime (`npm run bench` starts plain `tsx`).
 */
export const collectGarbage: () => void = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

/**
 * Nanoseconds the calling thread (the main thread, where the benchmarked work runs) has spent on
 * a CPU, from Linux's /proc/thread-self/schedstat: time spent waiting for a CPU on a busy machine
 * is not counted, nor is the gc's helper threads' work. Elsewhere, wall time.
 */
export function cpuNs(): number {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
  } catch {
    return Number(process.hrtime.bigint());
  }
}
