/**
 * `rxjs-concurrency/testing`: marble-test your own pipelines with readable failures.
 *
 * `createTestScheduler()` returns an rxjs `TestScheduler` that compares on its own (no jest at
 * runtime) and, when a run does not match, throws an `Error` whose message shows the received and
 * the expected notifications as marble diagrams with a legend — not as arrays of frames.
 */
import { TestScheduler } from 'rxjs/testing';
import type { RunHelpers } from 'rxjs/testing';
import { deepEqual } from './equal.js';
import type { EqualityOptions } from './equal.js';
import { Legend, drawFrames, formatValue, isFrameList, renderSubscription } from './render.js';
import type { MarbleFrame, SubscriptionFrames } from './render.js';
import { readOptions } from '../internal/options.js';
import * as opt from '../internal/options.js';

export { deepEqual, formatValue };
export type { EqualityOptions };
export { renderMarbles, renderSubscription } from './render.js';
export { seededRandom } from './random.js';
export type { MarbleFrame, SubscriptionFrames, RenderOptions, RenderedMarbles } from './render.js';

/** Options of {@link createTestScheduler}. */
export interface TestSchedulerOptions {
  /**
   * `true` (the default) compares values like jest's `toStrictEqual` (an `undefined` property
   * differs from a missing one; prototypes must match); `false` like `toEqual`.
   * See {@link deepEqual}.
   */
  readonly strict?: boolean;
  /**
   * In failure messages drawn in run mode, a gap of at least this many frames is written as a
   * time progression (`a 250ms b`) instead of dashes. Default 10; `Infinity` always draws dashes.
   */
  readonly longGap?: number;
}

/** A `TestScheduler` that knows whether it is inside `run()`, to draw diagrams the way they are read there. */
class MarbleTestScheduler extends TestScheduler {
  private readonly state: { runDepth: number };

  constructor(strict: boolean, longGap: number) {
    const state = { runDepth: 0 };
    super((actual: unknown, expected: unknown) =>
      assertMarbles(actual, expected, {
        strict,
        longGap,
        runMode: state.runDepth > 0,
        factor: TestScheduler.frameTimeFactor,
      }),
    );
    this.state = state;
  }

  override run<T>(callback: (helpers: RunHelpers) => T): T {
    this.state.runDepth++;
    try {
      return super.run(callback);
    } finally {
      this.state.runDepth--;
    }
  }
}

/**
 * Creates an rxjs `TestScheduler` for jest (or any runner) whose failures read as marbles.
 *
 * Use it exactly like `new TestScheduler(...)`: `run()` with `cold`, `hot`,
 * `expectObservable(...).toBe(...)` and `expectSubscriptions(...).toBe(...)`. It needs no
 * `assertDeepEqual`: values are compared with {@link deepEqual}, and a mismatch throws an `Error`
 * that the runner reports, e.g.
 *
 * ```text
 * Observable emissions differ (1 character = 1 frame).
 *
 *   expected: -a-b-|
 *   received: -a-c-|
 *
 *   a = {"id":1}
 *   b = {"id":2}
 *   c = {"id":3}
 *
 *   first difference: expected next b at frame 3, received next c at frame 3
 * ```
 *
 * Letters are shared between the two diagrams (same value, same letter), same-frame
 * notifications are grouped as `(ab)`, `#` is an error (its value in the legend) and long gaps
 * are time progressions (`250ms`). Subscription mismatches are drawn as `^---!` diagrams.
 *
 * Create one scheduler per test: like any `TestScheduler`, one whose `flush()` failed keeps
 * that assertion queued and would report it again.
 *
 * @example
 * import { createTestScheduler } from 'rxjs-concurrency/testing';
 *
 * it('doubles', () => {
 *   createTestScheduler().run(({ cold, expectObservable }) => {
 *     expectObservable(cold('-a-b|', { a: 1, b: 2 }).pipe(map((x) => x * 2))).toBe('-a-b|', { a: 2, b: 4 });
 *   });
 * });
 */
export function createTestScheduler(options?: TestSchedulerOptions): TestScheduler {
  const { strict, longGap } = readOptions('options', options, { strict: opt.boolean(true), longGap: opt.limit(10) });
  return new MarbleTestScheduler(strict, longGap);
}

interface AssertMode {
  strict: boolean;
  longGap: number;
  runMode: boolean;
  factor: number;
}

function isSubscriptionList(x: unknown): x is SubscriptionFrames[] {
  return (
    Array.isArray(x) &&
    x.length > 0 &&
    x.every((l: unknown) => typeof l === 'object' && l !== null && typeof (l as SubscriptionFrames).subscribedFrame === 'number')
  );
}

/** The comparison a scheduler made by {@link createTestScheduler} runs on every `toBe`. */
function assertMarbles(actual: unknown, expected: unknown, mode: AssertMode): void {
  if (isSubscriptionList(actual) || isSubscriptionList(expected)) {
    const a = Array.isArray(actual) ? (actual as SubscriptionFrames[]) : [];
    const e = Array.isArray(expected) ? (expected as SubscriptionFrames[]) : [];
    const same =
      a.length === e.length &&
      a.every((x, i) => x.subscribedFrame === e[i]!.subscribedFrame && x.unsubscribedFrame === e[i]!.unsubscribedFrame);
    if (!same) throw new Error(subscriptionMessage(a, e, mode));
    return;
  }
  if (isFrameList(actual, true) && isFrameList(expected, true)) {
    if (!framesEqual(actual, expected, mode.strict)) throw new Error(framesMessage(actual, expected, mode));
    return;
  }
  if (!deepEqual(actual, expected, { strict: mode.strict })) {
    throw new Error(`Values differ.\n\n  expected: ${formatValue(expected)}\n  received: ${formatValue(actual)}`);
  }
}

function frameEqual(a: MarbleFrame, b: MarbleFrame, strict: boolean): boolean {
  if (a.frame !== b.frame || a.notification.kind !== b.notification.kind) return false;
  if (a.notification.kind === 'N') return deepEqual(a.notification.value, (b.notification as { value: unknown }).value, { strict });
  if (a.notification.kind === 'E') return deepEqual(a.notification.error, (b.notification as { error: unknown }).error, { strict });
  return true;
}

function framesEqual(a: readonly MarbleFrame[], b: readonly MarbleFrame[], strict: boolean): boolean {
  return a.length === b.length && a.every((m, i) => frameEqual(m, b[i]!, strict));
}

function scale(mode: AssertMode): string {
  return `1 character = ${mode.factor} frame${mode.factor === 1 ? '' : 's'}`;
}

function framesMessage(actual: readonly MarbleFrame[], expected: readonly MarbleFrame[], mode: AssertMode): string {
  const legend = new Legend(mode.strict);
  const drawMode = { factor: mode.factor, runMode: mode.runMode, longGap: mode.longGap };
  const exp = drawFrames(expected, legend, drawMode);
  const rec = drawFrames(actual, legend, drawMode);
  const lines = [`Observable emissions differ (${scale(mode)}).`, ''];
  lines.push(`  expected: ${exp.marbles || '(nothing)'}`);
  if (!exp.exact) lines.push(`            frames: ${frameList(expected, legend)}`);
  lines.push(`  received: ${rec.marbles || '(nothing)'}`);
  if (!rec.exact) lines.push(`            frames: ${frameList(actual, legend)}`);

  const legendLines = legend.list().map(([letter, value]) => `  ${letter} = ${formatValue(value)}`);
  const sameErrors =
    exp.errors.length === rec.errors.length && exp.errors.every((e, i) => deepEqual(e, rec.errors[i], { strict: mode.strict }));
  if (sameErrors) legendLines.push(...exp.errors.map((e) => `  # = ${formatValue(e)}`));
  else {
    legendLines.push(...exp.errors.map((e) => `  # (expected) = ${formatValue(e)}`));
    legendLines.push(...rec.errors.map((e) => `  # (received) = ${formatValue(e)}`));
  }
  if (legendLines.length > 0) lines.push('', ...legendLines);

  const index = firstDifference(actual, expected, mode.strict);
  lines.push(
    '',
    `  first difference: expected ${describeFrame(expected[index], legend)}, received ${describeFrame(actual[index], legend)}`,
  );
  return lines.join('\n');
}

function firstDifference(a: readonly MarbleFrame[], b: readonly MarbleFrame[], strict: boolean): number {
  let i = 0;
  while (i < a.length && i < b.length && frameEqual(a[i]!, b[i]!, strict)) i++;
  return i;
}

function describeFrame(m: MarbleFrame | undefined, legend: Legend): string {
  if (!m) return 'nothing more';
  const what =
    m.notification.kind === 'N' ? `next ${legend.letterFor(m.notification.value)}` : m.notification.kind === 'E' ? 'error' : 'complete';
  return `${what} at frame ${m.frame}`;
}

function frameList(frames: readonly MarbleFrame[], legend: Legend): string {
  return frames
    .map(
      (m) =>
        `${m.notification.kind === 'N' ? legend.letterFor(m.notification.value) : m.notification.kind === 'E' ? '#' : '|'}@${m.frame}`,
    )
    .join(' ');
}

function subscriptionMessage(
  actual: readonly SubscriptionFrames[],
  expected: readonly SubscriptionFrames[],
  mode: AssertMode,
): string {
  const options = { frameTimeFactor: mode.factor, runMode: mode.runMode, longGap: mode.longGap };
  const block = (label: string, logs: readonly SubscriptionFrames[]) => {
    if (logs.length === 0) return [`  ${label}: (no subscription)`];
    return logs.map((log, i) => `${i === 0 ? `  ${label}: ` : ' '.repeat(label.length + 4)}${renderSubscription(log, options)}`);
  };
  return [
    `Subscriptions differ (${scale(mode)}).`,
    '',
    ...block('expected', expected),
    ...block('received', actual),
  ].join('\n');
}
