import { describe, expected } from '../internal/validate.js';
import type { TaskOutcome, TaskRecord } from './recorder.js';

/** The outcomes in the order legends list them. */
export const OUTCOMES: readonly TaskOutcome[] = ['completed', 'errored', 'cancelled'];

/** What both renderers need to know about a set of records, computed once. */
export interface Timeline {
  /** The records in start order (ties by `id`). */
  readonly records: readonly TaskRecord[];
  /** The earliest start: time zero on the axis. */
  readonly origin: number;
  /** From the earliest start to the latest end; at least 1 so scales never divide by zero. */
  readonly span: number;
  /** The row of each lane that has records: lanes are numbered densely from 0 in lane order. */
  readonly rowOf: ReadonlyMap<number, number>;
  /** The lanes with records, in row order. */
  readonly lanes: readonly number[];
  readonly counts: Readonly<Record<TaskOutcome, number>>;
  /** How many ran at once after each moment something started or ended: `[time, count]`, times ascending. */
  readonly steps: readonly (readonly [number, number])[];
  /** The most tasks running at one moment, counting instant tasks (so at least 1 when there are records). */
  readonly maxConcurrent: number;
  /** `ms` for spans under 10 s, else `s`. */
  readonly unit: 'ms' | 's';
}

/** Checks the records a renderer was given and lays them out. */
export function layOut(records: unknown): Timeline {
  if (!Array.isArray(records)) {
    throw new TypeError(`Expected \`records\` to be an array of task records (recorder.records), got ${describe(records)}`);
  }
  for (let i = 0; i < records.length; i++) checkRecord(records[i], i); // holes too (forEach skips them)
  const sorted = (records as TaskRecord[]).slice().sort((a, b) => a.start - b.start || a.id - b.id);
  let origin = Infinity;
  let last = -Infinity;
  const counts = { completed: 0, errored: 0, cancelled: 0 };
  const laneSet = new Set<number>();
  for (const r of sorted) {
    origin = Math.min(origin, r.start);
    last = Math.max(last, r.end);
    counts[r.outcome]++;
    laneSet.add(r.lane);
  }
  if (sorted.length === 0) origin = last = 0;
  const lanes = [...laneSet].sort((a, b) => a - b);
  const { steps, max } = concurrency(sorted);
  const span = Math.max(last - origin, 1);
  return {
    records: sorted,
    origin,
    span,
    rowOf: new Map(lanes.map((lane, row) => [lane, row])),
    lanes,
    counts,
    steps,
    maxConcurrent: max,
    unit: span >= 10_000 ? 's' : 'ms',
  };
}

/**
 * Running count over time. At one moment, tasks that end there leave before those that start
 * there arrive (back-to-back tasks count once); instant tasks come last, each leaving before the
 * next arrives (as synchronous tasks run), so they count in `max` though never in `steps`.
 */
function concurrency(records: readonly TaskRecord[]): { steps: [number, number][]; max: number } {
  // [time, order, id, delta]: order 0 = end of a task that took time, 1 = its start, 2 = an instant task.
  const events: [number, number, number, number][] = [];
  for (const r of records) {
    const instant = r.end === r.start;
    events.push([r.start, instant ? 2 : 1, r.id, 1], [r.end, instant ? 2 : 0, r.id, -1]);
  }
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2] || b[3] - a[3]);
  const steps: [number, number][] = [];
  let count = 0;
  let max = 0;
  for (let i = 0; i < events.length; i++) {
    const [time, , , delta] = events[i]!;
    count += delta;
    max = Math.max(max, count);
    if (i + 1 < events.length && events[i + 1]![0] === time) continue;
    steps.push([time, count]);
  }
  return { steps, max };
}

function checkRecord(record: unknown, index: number): void {
  const at = `records[${index}]`;
  if (record === null || typeof record !== 'object') {
    throw new TypeError(expected(at, 'be a task record', record));
  }
  const r = record as Record<string, unknown>;
  for (const key of ['id', 'start', 'end', 'lane', 'values']) {
    if (typeof r[key] !== 'number' || !Number.isFinite(r[key])) {
      throw new TypeError(`Expected \`${at}.${key}\` to be a finite number, got ${describe(r[key])}`);
    }
  }
  if (!Number.isInteger(r.lane) || (r.lane as number) < 0) {
    throw new RangeError(`Expected \`${at}.lane\` to be an integer from 0 and up, got ${describe(r.lane)}`);
  }
  if ((r.end as number) < (r.start as number)) {
    throw new RangeError(`Expected \`${at}.end\` to be at or after its start (${String(r.start)}), got ${describe(r.end)}`);
  }
  if (!OUTCOMES.includes(r.outcome as TaskOutcome)) {
    throw new TypeError(`Expected \`${at}.outcome\` to be "completed", "errored" or "cancelled", got ${describe(r.outcome)}`);
  }
  if (typeof r.label !== 'string') {
    throw new TypeError(`Expected \`${at}.label\` to be a string, got ${describe(r.label)}`);
  }
}

/** A number as the pages write every number: grouped the en-US way, at most two decimals (`2,000`, `1.5`). */
export function formatNumber(n: number): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

/** A time in the timeline's unit, without the unit, rounded to at most two decimals: `1.5`, `250`, `2,000`. */
export function formatTime(ms: number, unit: 'ms' | 's'): string {
  return formatNumber(unit === 's' ? ms / 1000 : ms);
}

/** 1, 2 or 5 times a power of ten, the smallest such at or above `raw`: the step of round axis ticks. */
export function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5]) if (m * power >= raw) return m * power;
  return 10 * power;
}

/** A counted summary: `2,000 tasks, at most 3 at once: 1,998 completed, 1 errored, 1 cancelled`. */
export function summary(timeline: Timeline): string {
  const n = timeline.records.length;
  const outcomes = OUTCOMES.map((o) => `${formatNumber(timeline.counts[o])} ${o}`).join(', ');
  return `${formatNumber(n)} task${n === 1 ? '' : 's'}, at most ${formatNumber(timeline.maxConcurrent)} at once: ${outcomes}`;
}
