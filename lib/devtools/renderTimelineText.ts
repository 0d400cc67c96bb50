import type { TaskOutcome, TaskRecord } from './recorder.js';
import { formatTime, layOut, niceStep, summary } from './layout.js';
import { readOptions } from '../internal/options.js';
import * as opt from '../internal/options.js';

/** Options of {@link renderTimelineText}. */
export interface TimelineTextOptions {
  /** Columns for the time span, from the earliest start to the latest end. Default 60 (10 to 1,000). */
  readonly width?: number;
}

/** The character that fills a bar of each outcome. */
const FILL: Readonly<Record<TaskOutcome, string>> = { completed: '=', errored: 'x', cancelled: '-' };

/**
 * Draws task records as an ASCII Gantt chart, for terminals, logs and test failure messages.
 *
 * <span class="informal">{@link renderTimeline} in 80 columns.</span>
 *
 * One line per lane; each task fills the columns its time covers (at least one) with `=` when it
 * completed, `x` when it errored and `-` when it was cancelled, and a bar of two columns or more
 * starts with `[`, so tasks that run back to back stay apart; a later task drawn in a shared
 * column wins. Under the lanes an axis marks the start, middle and end, in milliseconds (seconds
 * from 10 s up) since the earliest start. The first line counts the tasks and outcomes. Lines end
 * in `\n`; nothing depends on the clock or the platform, so outputs can be compared verbatim.
 *
 * @param records Usually `recorder.records`.
 * @param options `width`: the columns of the time span (default 60).
 * @throws {TypeError} `records` is not an array of task records.
 * @throws {RangeError} `width` is not an integer from 10 to 1,000, or a record ends before it starts.
 *
 * @example
 * ```ts
 * console.log(renderTimelineText(recorder.records, { width: 20 }));
 * // 4 tasks, at most 2 at once: 2 completed, 1 errored, 1 cancelled
 * // lane 0 |[====[--------------|
 * // lane 1 |[=[xxxx             |
 * //        +----------+---------+
 * //        0          10        20 ms
 * //        = completed  x errored  - cancelled
 * ```
 */
export function renderTimelineText(records: readonly TaskRecord[], options?: TimelineTextOptions): string {
  const { width } = readOptions('options', options, { width: opt.integer(60, 10, 1000) });
  const timeline = layOut(records);
  if (timeline.records.length === 0) return 'no tasks recorded\n';
  const { origin, span, unit, rowOf } = timeline;
  const rows = timeline.lanes.map(() => Array.from({ length: width }, () => ' '));
  for (const r of timeline.records) {
    const row = rows[rowOf.get(r.lane)!]!;
    const from = Math.min(width - 1, Math.floor(((r.start - origin) * width) / span));
    const to = Math.max(from + 1, Math.min(width, Math.ceil(((r.end - origin) * width) / span)));
    row.fill(FILL[r.outcome], from, to);
    // Mark where a bar of two columns or more starts, so back-to-back tasks stay apart.
    if (to - from > 1) row[from] = '[';
  }
  const names = timeline.lanes.map((lane) => `lane ${lane}`);
  const indent = Math.max(...names.map((n) => n.length)) + 1;
  const lines = [summary(timeline)];
  rows.forEach((row, i) => lines.push(`${names[i]!.padEnd(indent)}|${row.join('')}|`));
  // The outer ticks sit under the frame (time 0 and the end), the middle one at a round time
  // near the middle (1, 2 or 5 times a power of ten, or a multiple of it), over column `mid`.
  const step = niceStep(span / 10);
  const midTime = Math.max(step, Math.round(span / 2 / step) * step);
  const mid = Math.min(width - 2, Math.max(1, Math.round((midTime * width) / span)));
  lines.push(`${' '.repeat(indent)}+${'-'.repeat(mid)}+${'-'.repeat(width - mid - 1)}+`);
  const labels = [
    [0, '0'],
    [mid + 1, formatTime(midTime, unit)],
    [width + 1, `${formatTime(span, unit)} ${unit}`],
  ] as const;
  let axis = '';
  for (const [column, text] of labels) {
    // Skip a label that would run into the one before it.
    if (axis.length < column || column === 0) axis = axis.padEnd(column) + text;
  }
  lines.push(' '.repeat(indent) + axis);
  lines.push(`${' '.repeat(indent)}${(Object.keys(FILL) as TaskOutcome[]).map((o) => `${FILL[o]} ${o}`).join('  ')}`);
  return lines.join('\n') + '\n';
}
