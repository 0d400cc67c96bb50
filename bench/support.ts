/**
 * Shared pieces of the benchmarks: timing, a printed table with ratios, and JSON results in
 * bench/results/. Benchmarks run in one process, side by side, so their ratios are comparable;
 * absolute figures depend on the machine.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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

/** Prints rows as a Markdown table (paste-able into the README) and writes them as JSON. */
export function report(area: string, title: string, rows: Row[]): void {
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
    JSON.stringify({ area, title, node: process.version, date: new Date().toISOString(), rows }, null, 2) + '\n',
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

/**
 * Replaces the text between `<!-- bench:<name> -->` and `<!-- /bench:<name> -->` in README.md
 * with `markdown`, so the README shows the figures of the last run. Missing markers: an error.
 */
export function writeReadmeSection(name: string, markdown: string): void {
  const path = join(__dirname, '..', 'README.md');
  const text = readFileSync(path, 'utf8');
  const open = `<!-- bench:${name} -->`;
  const close = `<!-- /bench:${name} -->`;
  const from = text.indexOf(open);
  const to = text.indexOf(close);
  if (from < 0 || to < from) throw new Error(`README.md has no ${open} … ${close} markers`);
  writeFileSync(path, `${text.slice(0, from + open.length)}\n${markdown}\n${text.slice(to)}`);
  console.log(`README.md: ${open} updated`);
}
