import type { TaskRecord } from './recorder.js';
import { OUTCOMES, formatNumber, formatTime, layOut, niceStep, summary, type Timeline } from './layout.js';
import { readOptions } from '../internal/options.js';
import * as opt from '../internal/options.js';

/** Options of {@link renderTimeline}. */
export interface TimelineOptions {
  /** The page's title and heading. Default `Task timeline`. */
  readonly title?: string;
  /**
   * The drawing's width in SVG units, which sets how much room bars and labels get relative to
   * each other; the page scales the drawing to the window's width. Default 1200 (400 to 20,000).
   */
  readonly width?: number;
}

/** Pixel geometry of the chart. */
const LEFT = 64;
const RIGHT = 24;
const TOP = 12;
/** The concurrency panel above the lanes. */
const PANEL = 72;
const GAP = 14;
const AXIS = 44;
/** Lanes share about this many pixels; a row is never shorter than 3 or taller than 22. */
const LANES_HEIGHT = 640;

const STYLE = `
body{margin:16px;font:13px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1f2328;background:#fff}
h1{font-size:18px;margin:0 0 4px}
p{margin:0 0 8px}
.key{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px;vertical-align:-1px}
.key.completed{background:#2a9d8f}.bar.completed{fill:#2a9d8f}
.key.errored{background:#d62828}.bar.errored{fill:#d62828}
.key.cancelled{background:#a8b0b8}.bar.cancelled{fill:#a8b0b8}
.bar{stroke:#fff;stroke-width:.5}
.bar:hover{stroke:#1f2328;stroke-width:1}
svg{display:block;width:100%;height:auto}
svg text{font-size:11px;fill:#57606a}
.grid{stroke:#eaeef2}
.frame{stroke:#8c959f;fill:none}
.concurrency{fill:none;stroke:#3d5a80;stroke-width:1.5}
`.trim();

/**
 * Draws task records as a self-contained HTML page with an inline SVG timeline, as wide as the
 * window: one row per lane (a slot that runs one task at a time; the page says so),
 * one bar per task from its start to its end, coloured by outcome (CSS classes `bar completed`,
 * `bar errored`, `bar cancelled`), a hover title per bar, a time axis in milliseconds (seconds
 * from 10 s up) since the earliest start, and above the lanes a line of how many tasks ran at once.
 *
 * <span class="informal">A flame-chart page for a run, to open in any browser.</span>
 *
 * The page loads nothing: no scripts, fonts or network, so it can be written next to a test run
 * or attached to a CI job. Bars are packed by the lanes `traceTasks` gave them, so thousands of
 * tasks take as many rows as ran at once; rows get shorter as lanes multiply. A bar is at least
 * one pixel wide, so instant tasks stay visible. All text is escaped.
 *
 * @param records Usually `recorder.records`.
 * @param options `title` (default `Task timeline`), `width` of the drawing in SVG units (default 1200; the page scales it to the window).
 * @throws {TypeError} `records` is not an array of task records, or `title` is not a string.
 * @throws {RangeError} `width` is not an integer from 400 to 20,000, or a record ends before it starts.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * writeFileSync('timeline.html', renderTimeline(recorder.records, { title: 'Nightly import' }));
 * ```
 */
export function renderTimeline(records: readonly TaskRecord[], options?: TimelineOptions): string {
  const { width, title } = readOptions('options', options, { title: opt.string('Task timeline'), width: opt.integer(1200, 400, 20_000) });
  const timeline = layOut(records);
  const keys = OUTCOMES.map((o) => `<span class="key ${o}"></span>${formatNumber(timeline.counts[o])} ${o}`);
  const lanes = timeline.lanes.length;
  const lanesNote =
    `Each row is a lane: a slot that runs one task at a time, so bars in a row never overlap. A task takes the lowest ` +
    `free lane when it starts, so there are as many lanes as tasks ever ran at once (here ${formatNumber(lanes)}).`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escape(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head><body>',
    `<h1>${escape(title)}</h1>`,
    `<p>${escape(summary(timeline))}</p>`,
    `<p>${keys.join('')}</p>`,
    timeline.records.length === 0 ? '' : `<p class="lanes">${lanesNote}</p>`,
    timeline.records.length === 0 ? '<p>No tasks recorded.</p>' : svg(timeline, width),
    '</body></html>',
    '',
  ].join('\n');
}

function svg(timeline: Timeline, width: number): string {
  const { origin, span, unit, lanes } = timeline;
  const plot = width - LEFT - RIGHT;
  const x = (time: number): number => LEFT + ((time - origin) * plot) / span;
  const row = Math.max(3, Math.min(22, Math.floor(LANES_HEIGHT / lanes.length)));
  const bar = row > 8 ? row - 4 : row - 1;
  const lanesTop = TOP + PANEL + GAP;
  const lanesBottom = lanesTop + row * lanes.length;
  const height = lanesBottom + AXIS;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" preserveAspectRatio="xMinYMin meet" role="img" aria-label="task timeline">`,
  ];

  // Time axis: grid lines through both panels, ticks labelled under the lanes.
  const step = niceStep(span / Math.max(2, Math.floor(plot / 90)));
  for (let i = 0; i * step <= span * (1 + 1e-9); i++) {
    const t = i * step;
    const tx = round(x(origin + t));
    out.push(`<line class="grid" x1="${tx}" y1="${TOP}" x2="${tx}" y2="${lanesBottom}"/>`);
    out.push(`<text x="${tx}" y="${lanesBottom + 16}" text-anchor="middle">${formatTime(t, unit)}</text>`);
  }
  out.push(`<text class="axis-title" x="${LEFT + plot / 2}" y="${lanesBottom + 36}" text-anchor="middle">time since the first start (${unit})</text>`);

  // How many ran at once: a step line over the top panel.
  const max = Math.max(1, timeline.maxConcurrent);
  const y = (count: number): number => round(TOP + PANEL - (count * PANEL) / max);
  const points: string[] = [`${LEFT},${y(0)}`];
  let previous = 0;
  for (const [time, count] of timeline.steps) {
    const tx = round(x(time));
    points.push(`${tx},${y(previous)}`, `${tx},${y(count)}`);
    previous = count;
  }
  out.push(`<rect class="frame" x="${LEFT}" y="${TOP}" width="${plot}" height="${PANEL}"/>`);
  out.push(`<polyline class="concurrency" points="${points.join(' ')}"><title>tasks running at once (at most ${formatNumber(timeline.maxConcurrent)})</title></polyline>`);
  out.push(`<text x="${LEFT - 6}" y="${TOP + 10}" text-anchor="end">${formatNumber(timeline.maxConcurrent)}</text>`);
  out.push(`<text x="${LEFT - 6}" y="${TOP + PANEL}" text-anchor="end">0</text>`);
  out.push(`<text x="${LEFT - 6}" y="${TOP + PANEL / 2 + 4}" text-anchor="end">at once</text>`);

  // Lanes: a label every few rows when rows are short, then one bar per task.
  out.push(`<rect class="frame" x="${LEFT}" y="${lanesTop}" width="${plot}" height="${lanesBottom - lanesTop}"/>`);
  const every = Math.ceil(14 / row);
  lanes.forEach((lane, i) => {
    if (i % every === 0) out.push(`<text x="${LEFT - 6}" y="${lanesTop + i * row + row / 2 + 4}" text-anchor="end">lane ${lane}</text>`);
  });
  for (const r of timeline.records) {
    const top = lanesTop + timeline.rowOf.get(r.lane)! * row + (row - bar) / 2;
    const left = x(r.start);
    const w = Math.max(1, x(r.end) - left);
    out.push(
      `<rect class="bar ${r.outcome}" data-id="${r.id}" x="${round(left)}" y="${round(top)}" width="${round(w)}" height="${bar}">` +
        `<title>${escape(tooltip(r, origin, unit))}</title></rect>`,
    );
  }
  out.push('</svg>');
  return out.join('\n');
}

function tooltip(r: TaskRecord, origin: number, unit: 'ms' | 's'): string {
  const t = (time: number): string => `${formatTime(time, unit)} ${unit}`;
  const values = `${formatNumber(r.values)} value${r.values === 1 ? '' : 's'}`;
  const lines = [
    r.label,
    `${r.outcome} after ${t(r.end - r.start)}: ${t(r.start - origin)} → ${t(r.end - origin)}`,
    `lane ${r.lane}, ${values}`,
  ];
  if (r.error !== undefined) lines.push(r.error);
  return lines.join('\n');
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML and SVG content and attributes. */
function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}
