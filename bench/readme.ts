/**
 * The README's benchmark figures, written from the results of one run (bench/results/*.json):
 * every region `<!-- bench:AREA -->` … `<!-- /bench:AREA -->` of README.md is replaced by the
 * rendering of bench/results/AREA.json. `npm run bench` calls `writeReadme()` after its areas
 * ran; spec/bench-readme.spec.ts fails when a region differs from what its JSON renders, so no
 * hand edit can make the tables and the text around them disagree.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Row } from './support';

export interface Result {
  area: string;
  title: string;
  node: string;
  date: string;
  /** Logical CPUs and the 1-minute load average when the area finished (newer results only). */
  machine?: { cpus: number; load: number };
  rows: Row[];
  /** The area's own Markdown for its README region, made by the bench from these rows (else a generic table). */
  readme?: string;
}

const root = join(__dirname, '..');
const resultsDir = join(__dirname, 'results');

export function formatValue(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

const ratio = (r: number) => `${r.toFixed(2)}×`;

/** The line under every table: when, where, and how busy the machine was. */
function measured(result: Result): string {
  const machine = result.machine
    ? `, ${result.machine.cpus} CPUs, 1-minute load average ${result.machine.load.toFixed(1)} at the end`
    : '';
  return `_Written by \`npm run bench\` from \`bench/results/${result.area}.json\`: measured ${result.date.slice(0, 10)} with Node ${result.node}${machine}._`;
}

/** One table of every row: case, value with its unit, ratio to the row's baseline. */
function table(result: Result): string[] {
  return [
    '| case | value | ratio |',
    '| --- | ---: | ---: |',
    ...result.rows.map((r) => `| ${r.name} | ${formatValue(r.value)} ${r.unit} | ${r.ratio === undefined ? '' : ratio(r.ratio)} |`),
  ];
}

/** The fan-out area: one compact table of ns per item (ratio to the pool) by case and N, the lazy case, and the targets. */
function fanout(result: Result): string[] {
  const cells = new Map<string, Row>();
  const cases: string[] = [];
  const sizes: number[] = [];
  for (const row of result.rows) {
    const m = /^(.*), (promise|sync), N=(\d+)$/.exec(row.name);
    if (!m) continue;
    cells.set(`${m[2]}|${m[1]}|${m[3]}`, row);
    if (!cases.includes(m[1]!)) cases.push(m[1]!);
    if (!sizes.includes(Number(m[3]))) sizes.push(Number(m[3]));
  }
  const cell = (kind: string, name: string, n: number) => cells.get(`${kind}|${name}|${n}`);
  const pool = cases[0]!;
  const lines = [
    `| handler | case | ${sizes.map((n) => `N = ${n.toLocaleString('en-US')}`).join(' | ')} |`,
    `| --- | --- | ${sizes.map(() => '---:').join(' | ')} |`,
  ];
  for (const kind of ['promise', 'sync']) {
    for (const name of cases) {
      const shown = sizes.map((n) => {
        const c = cell(kind, name, n);
        return c ? `${c.value.toFixed(0)} (${ratio(c.ratio!)})` : 'not run (see below)';
      });
      lines.push(`| ${kind === 'promise' ? '`x => Promise.resolve(x)`' : '`of(x)` / value'} | ${name} | ${shown.join(' | ')} |`);
    }
  }
  if (sizes.some((n) => cases.some((name) => !cell('promise', name, n) || !cell('sync', name, n)))) {
    lines.push('', '"not run": rxjs `mergeMap` with promise inners is quadratic in N (its buffer uses `shift()`); at 1,000,000 it would take minutes.');
  }
  const heap = result.rows.filter((r) => r.unit === 'MB');
  if (heap.length > 0) {
    lines.push('', '| lazy case: items from a generator, `x => Promise.resolve(x)` | heap growth |', '| --- | ---: |');
    for (const r of heap) lines.push(`| ${r.name.replace(/: (peak )?heap growth.*$/, '')} | ${r.value.toFixed(1)} MB${/at subscribe/.test(r.name) ? ' at subscribe' : ' (peak)'} |`);
  }

  // The targets, computed from the same rows.
  const ours = ['boundedMap ordered', 'boundedMap unordered', 'executeConcurrently'].filter((n) => cases.includes(n));
  const verdict = (ok: boolean) => (ok ? '**met**' : '**not met**');
  const big = Math.max(...sizes);
  const small = Math.min(...sizes);
  const within3 = ours.flatMap((name) => sizes.map((n) => cell('promise', name, n)!.ratio!));
  const vsMergeMap = ours.flatMap((name) => sizes.map((n) => cell('sync', name, n)!.value / cell('sync', 'rxjs mergeMap', n)!.value));
  const growth = (kind: string, name: string) => cell(kind, name, big)!.value / cell(kind, name, small)!.value;
  const growths = ours.flatMap((name) => ['promise', 'sync'].map((kind) => growth(kind, name)));
  lines.push(
    '',
    'Targets, computed from this table:',
    '',
    `- Promise handlers within 3× of the hand-written pool: ${verdict(within3.every((r) => r <= 3))} ` +
      `(ours: worst ${ratio(Math.max(...within3))}, best ${ratio(Math.min(...within3))}; p-map ${sizes.map((n) => ratio(cell('promise', 'p-map', n)!.ratio!)).join(' / ')}).`,
    `- \`of(x)\` inners no slower than \`mergeMap\`: ${verdict(vsMergeMap.every((r) => r <= 1))} ` +
      `(ours ÷ mergeMap: worst ${Math.max(...vsMergeMap).toFixed(2)}, best ${Math.min(...vsMergeMap).toFixed(2)}).`,
    `- ns/item at N = ${big.toLocaleString('en-US')} within 1.2× of N = ${small.toLocaleString('en-US')}: ${verdict(growths.every((g) => g <= 1.2))} ` +
      `(ours: ${growths.map((g) => g.toFixed(2)).join(', ')} for ${ours.join(', ')}, promise then sync; ` +
      `the hand-written pool itself: ${['promise', 'sync'].map((kind) => growth(kind, pool).toFixed(2)).join(', ')}).`,
  );
  if (heap[0]) lines.push(`- Lazy case peak heap growth under 20 MB: ${verdict(heap[0].value < 20)} (${heap[0].value.toFixed(1)} MB).`);
  return lines;
}

/** The Markdown of one area's region. */
export function render(result: Result): string {
  if (result.readme !== undefined) return result.readme;
  const body = result.area === 'fanout' ? fanout(result) : table(result);
  return [`#### ${result.title}`, '', ...body, '', measured(result)].join('\n');
}

const REGION = /(<!-- bench:([\w-]+) -->)([\s\S]*?)(<!-- \/bench:\2 -->)/g;

/** The README with every bench region rendered from `results` (by area). */
export function renderReadme(readme: string, results: ReadonlyMap<string, Result>): string {
  return readme.replace(REGION, (whole, open: string, area: string, _body: string, close: string) => {
    const result = results.get(area);
    if (!result) throw new Error(`README region bench:${area} has no bench/results/${area}.json`);
    return `${open}\n${render(result)}\n${close}`;
  });
}

/** Every results file, by area. */
export function readResults(dir = resultsDir): Map<string, Result> {
  const results = new Map<string, Result>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const result = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Result;
    results.set(result.area, result);
  }
  return results;
}

/** Rewrites README.md's bench regions from bench/results/. */
export function writeReadme(path = join(root, 'README.md')): void {
  const before = readFileSync(path, 'utf8');
  const after = renderReadme(before, readResults());
  if (after !== before) writeFileSync(path, after);
  console.log(after === before ? 'README.md: bench regions already up to date' : 'README.md: bench regions rewritten from bench/results/');
}

// `npx tsx bench/readme.ts`: rerender the regions from the results already there (no benchmark runs).
if (require.main === module) writeReadme();
