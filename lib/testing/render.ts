/**
 * Turns what a test scheduler records (frames of notifications, subscription logs) back into
 * marble diagrams, and values into short readable text.
 */
import type { ObservableNotification } from 'rxjs';
import { deepEqual, ownKeys } from './equal.js';
import { readOptions } from '../internal/options.js';
import * as opt from '../internal/options.js';
import { describe } from '../internal/validate.js';

/**
 * One recorded notification: what `TestScheduler.parseMarbles` returns and what
 * `expectObservable` records (rxjs calls it `TestMessage`, which it does not export).
 */
export interface MarbleFrame {
  readonly frame: number;
  readonly notification: ObservableNotification<unknown>;
}

/**
 * One subscription of a cold or hot test observable, as in its `subscriptions` array
 * (rxjs's `SubscriptionLog`). `unsubscribedFrame` is `Infinity` while still subscribed.
 */
export interface SubscriptionFrames {
  readonly subscribedFrame: number;
  readonly unsubscribedFrame: number;
}

/** How frames are turned into characters. */
export interface RenderOptions {
  /**
   * Frames per character: `1` inside `testScheduler.run(…)` (the default), and
   * `TestScheduler.frameTimeFactor` (10) outside it.
   */
  readonly frameTimeFactor?: number;
  /**
   * Whether the diagram is read in run mode (the default), where a gap can be written as a time
   * progression such as ` 20ms `. Outside run mode every frame is a character.
   */
  readonly runMode?: boolean;
  /**
   * In run mode, a gap of at least this many characters is written as a time progression
   * (`a 250ms b`) instead of dashes. Default 10; `Infinity` always draws dashes.
   */
  readonly longGap?: number;
}

/** A diagram drawn by {@link renderMarbles}, ready for `TestScheduler.parseMarbles(marbles, values, error)`. */
export interface RenderedMarbles {
  /** The diagram, e.g. `-a-(bc) 20ms d|`. */
  readonly marbles: string;
  /** The value of each letter in the diagram. */
  readonly values: Readonly<Record<string, unknown>>;
  /** The error of the `#`, when there is one. */
  readonly error?: unknown;
  /**
   * Whether parsing the diagram gives back exactly the frames drawn. It is `false` when the
   * timing cannot be written as marbles (an event closer to a `(…)` group than the group's width,
   * a frame that is not a multiple of `frameTimeFactor`) or a stream holds several different
   * errors; the diagram then keeps the order but not the exact frames.
   */
  readonly exact: boolean;
}

const SPECIAL = new Set([' ', '-', '(', ')', '|', '^', '#', '!']);
const LATIN = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const GREEK = 'αβγδεζηθικλμνξοπρστυφχψω';

/** Whether a one-character string can stand for itself in a diagram. */
function isLetter(s: string): boolean {
  return [...s].length === 1 && !SPECIAL.has(s) && !/[\s0-9]/.test(s);
}

function nthLetter(n: number): string {
  if (n < LATIN.length) return LATIN[n]!;
  n -= LATIN.length;
  if (n < GREEK.length) return GREEK[n]!;
  return String.fromCodePoint(0x4e00 + n - GREEK.length);
}

/**
 * Gives each distinct value (by {@link deepEqual}) a letter, shared by every diagram drawn with
 * it, so the expected and the received diagram use the same letter for the same value. A value
 * that is itself a one-character string gets that character when it is free.
 */
export class Legend {
  private readonly entries: { letter: string; value: unknown }[] = [];
  private readonly used = new Set<string>();
  private next = 0;

  constructor(private readonly strict = true) {}

  /** The letter of `value`, assigning the next free one on first sight. */
  letterFor(value: unknown): string {
    for (const entry of this.entries) {
      if (deepEqual(entry.value, value, { strict: this.strict })) return entry.letter;
    }
    let letter: string;
    if (typeof value === 'string' && isLetter(value) && !this.used.has(value)) letter = value;
    else {
      do letter = nthLetter(this.next++);
      while (this.used.has(letter));
    }
    this.used.add(letter);
    this.entries.push({ letter, value });
    return letter;
  }

  /** `[letter, value]` pairs in order of assignment. */
  list(): [string, unknown][] {
    return this.entries.map((e) => [e.letter, e.value]);
  }
}

interface Mode {
  factor: number;
  runMode: boolean;
  longGap: number;
}

function modeOf(options: RenderOptions | undefined): Mode {
  const { frameTimeFactor: factor, runMode, longGap } = readOptions('options', options, {
    frameTimeFactor: opt.positive(1),
    runMode: opt.boolean(true),
    longGap: opt.limit(10),
  });
  return { factor, runMode, longGap };
}

/** Writes a gap of `chars` characters (`frames` frames): dashes, or a time progression. */
function gap(out: string, chars: number, frames: number, mode: Mode, allowProgression: boolean): string {
  if (chars <= 0) return out;
  if (mode.runMode && allowProgression && chars >= mode.longGap) {
    return `${out}${out === '' || out.endsWith(' ') ? '' : ' '}${frames}ms `;
  }
  return out + '-'.repeat(chars);
}

interface Token {
  frame: number;
  chars: string[];
  marker?: true;
}

/**
 * Draws tokens (single characters or same-frame groups) at their frames. Returns the diagram and
 * whether every token landed on its exact frame.
 */
function draw(tokens: Token[], mode: Mode, start: number): { marbles: string; exact: boolean } {
  let out = '';
  let cursor = start;
  let exact = start % mode.factor === 0;
  // Before a `^`, characters are counted to find it: no time progressions there.
  let allowProgression = !tokens.some((t) => t.marker);
  for (const token of tokens) {
    let frames = token.frame - cursor;
    if (frames < 0) {
      exact = false;
      frames = 0;
    }
    let chars = frames / mode.factor;
    if (!Number.isInteger(chars)) {
      exact = false;
      chars = Math.ceil(chars);
    }
    out = gap(out, chars, chars * mode.factor, mode, allowProgression);
    cursor += chars * mode.factor;
    if (token.chars.length === 1) {
      out += token.chars[0];
      cursor += mode.factor;
    } else {
      out += `(${token.chars.join('')})`;
      cursor += (token.chars.length + 2) * mode.factor;
    }
    if (token.marker) allowProgression = true;
  }
  return { marbles: out, exact };
}

/** Internal: draws frames with a shared legend; errors are collected for the caller's legend. */
export function drawFrames(
  frames: readonly MarbleFrame[],
  legend: Legend,
  mode: Mode,
): { marbles: string; exact: boolean; errors: unknown[] } {
  const errors: unknown[] = [];
  const tokens: Token[] = [];
  let exact = true;
  let previous = -Infinity;
  for (const { frame, notification } of frames) {
    let char: string;
    if (notification.kind === 'N') char = legend.letterFor(notification.value);
    else if (notification.kind === 'E') {
      char = '#';
      if (!errors.some((e) => deepEqual(e, notification.error))) errors.push(notification.error);
    } else char = '|';
    if (frame < previous) exact = false;
    const at = Math.max(frame, previous);
    const last = tokens[tokens.length - 1];
    if (last && last.frame === at) last.chars.push(char);
    else tokens.push({ frame: at, chars: [char] });
    previous = at;
  }
  const first = frames.reduce((min, f) => Math.min(min, f.frame), 0);
  if (first < 0) {
    // Frames before the subscription (an expected hot diagram): mark it with `^` at frame 0.
    const at = tokens.findIndex((t) => t.frame >= 0);
    tokens.splice(at === -1 ? tokens.length : at, 0, { frame: 0, chars: ['^'], marker: true });
  }
  const drawn = draw(tokens, mode, first);
  return { marbles: drawn.marbles, exact: exact && drawn.exact && errors.length <= 1, errors };
}

/**
 * Draws recorded frames as a marble diagram, with the values of its letters.
 *
 * The inverse of `TestScheduler.parseMarbles`: same-frame notifications are grouped as `(ab)`,
 * an error is `#`, completion `|`, and in run mode a long gap becomes a time progression
 * (`a 250ms b`). Equal values (by {@link deepEqual}) share a letter; a one-character string value
 * is drawn as itself when it can be.
 *
 * @example
 * const frames = TestScheduler.parseMarbles('-a 20ms (bc)|', { a: 1, b: 2, c: 3 }, undefined, false, true);
 * renderMarbles(frames); // { marbles: '-a 20ms (bc)|', values: { a: 1, b: 2, c: 3 }, exact: true }
 */
export function renderMarbles(frames: readonly MarbleFrame[], options?: RenderOptions): RenderedMarbles {
  if (!Array.isArray(frames)) {
    throw new TypeError(`Expected \`frames\` to be an array of { frame, notification }, got ${describe(frames)}`);
  }
  for (let i = 0; i < frames.length; i++) {
    if (!isFrame(frames[i])) {
      throw new TypeError(`Expected \`frames[${i}]\` to be { frame, notification } (a number and a notification of kind "N", "E" or "C"), got ${describe(frames[i])}`);
    }
  }
  const mode = modeOf(options);
  const legend = new Legend();
  const drawn = drawFrames(frames, legend, mode);
  const values = Object.fromEntries(legend.list());
  return drawn.errors.length > 0
    ? { marbles: drawn.marbles, values, error: drawn.errors[0], exact: drawn.exact }
    : { marbles: drawn.marbles, values, exact: drawn.exact };
}

/**
 * Draws one subscription log as a subscription diagram: `^` where it subscribed, `!` where it
 * unsubscribed (none while still subscribed), `(^!)` when both happened in the same frame.
 * The inverse of `TestScheduler.parseMarblesAsSubscriptions`.
 *
 * @example
 * renderSubscription({ subscribedFrame: 2, unsubscribedFrame: 5 }); // '--^--!'
 */
export function renderSubscription(log: SubscriptionFrames, options?: RenderOptions): string {
  if (typeof log !== 'object' || log === null || typeof log.subscribedFrame !== 'number') {
    throw new TypeError(`Expected \`log\` to be { subscribedFrame, unsubscribedFrame }, got ${describe(log)}`);
  }
  const mode = modeOf(options);
  const { subscribedFrame: sub, unsubscribedFrame: unsub } = log;
  if (sub === Infinity) return '';
  if (unsub === sub) return draw([{ frame: sub, chars: ['(^!)'] }], mode, 0).marbles;
  let out = '';
  const before = Math.max(0, Math.round(sub / mode.factor));
  out = gap(out, before, before * mode.factor, mode, true) + '^';
  if (unsub !== Infinity) {
    const chars = Math.max(0, Math.round((unsub - sub) / mode.factor) - 1);
    out = gap(out, chars, chars * mode.factor, mode, true) + '!';
  }
  return out;
}

/**
 * Renders a value for a diagram's legend or a message, compactly and unambiguously:
 * strings quoted, `-0`, `NaN`, `undefined`, `123n`, `Date(2024-01-01T00:00:00.000Z)`,
 * `Map {"k" => 1}`, `Set {1, 2}`, `Error: boom`, class instances with their name
 * (`Point {"x":1}`), an inner observable recorded by the scheduler as its own diagram
 * (`Observable -a| where a = 1`), and `[Circular]` for cycles.
 *
 * @example
 * formatValue({ id: 1, tags: new Set(['x']) }); // '{"id":1,"tags":Set {"x"}}'
 */
export function formatValue(value: unknown): string {
  return format(value, []);
}

/** Internal: whether `value` is what the scheduler records for an Observable (an empty list only when `allowEmpty`). */
export function isFrameList(value: unknown, allowEmpty = false): value is MarbleFrame[] {
  return (
    Array.isArray(value) &&
    (allowEmpty || value.length > 0) &&
    value.every(isFrame)
  );
}

/** Whether `m` is one recorded frame: `{ frame: number, notification: { kind: 'N' | 'E' | 'C', … } }`. */
function isFrame(m: unknown): m is MarbleFrame {
  return (
    typeof m === 'object' &&
    m !== null &&
    typeof (m as MarbleFrame).frame === 'number' &&
    typeof (m as MarbleFrame).notification === 'object' &&
    (m as MarbleFrame).notification !== null &&
    ['N', 'E', 'C'].includes((m as MarbleFrame).notification.kind)
  );
}

function format(value: unknown, stack: object[]): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
      return `${value}n`;
    case 'symbol':
      return value.toString();
    case 'function':
      return value.name ? `[Function ${value.name}]` : '[Function]';
    case 'undefined':
      return 'undefined';
    case 'boolean':
      return String(value);
  }
  if (value === null) return 'null';
  const object = value as object;
  if (stack.includes(object)) return '[Circular]';
  stack.push(object);
  try {
    return formatObject(object, stack);
  } finally {
    stack.pop();
  }
}

function formatObject(value: object, stack: object[]): string {
  const inner = (v: unknown) => format(v, stack);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Date(Invalid)' : `Date(${value.toISOString()})`;
  if (value instanceof RegExp) return String(value);
  if (value instanceof Error) {
    const head = value.message ? `${value.name}: ${value.message}` : value.name;
    return ownKeys(value).length > 0 ? `${head} ${formatProperties(value, stack)}` : head;
  }
  if (value instanceof Number || value instanceof String || value instanceof Boolean) {
    return `[${value.constructor.name}: ${inner(value.valueOf())}]`;
  }
  if (isFrameList(value)) {
    const legend = new Legend();
    const drawn = drawFrames(value, legend, { factor: 1, runMode: true, longGap: 10 });
    const where = [
      ...legend.list().map(([l, v]) => `${l} = ${inner(v)}`),
      ...drawn.errors.map((e) => `# = ${inner(e)}`),
    ];
    return `Observable ${drawn.marbles || '(nothing)'}${where.length > 0 ? ` where ${where.join(', ')}` : ''}`;
  }
  if (Array.isArray(value)) {
    const items: string[] = [];
    for (let i = 0; i < value.length; i++) items.push(i in value ? inner(value[i]) : '<hole>');
    return `[${items.join(',')}]`;
  }
  if (value instanceof Map) {
    return `Map {${[...value].map(([k, v]) => `${inner(k)} => ${inner(v)}`).join(', ')}}`;
  }
  if (value instanceof Set) return `Set {${[...value].map(inner).join(', ')}}`;
  if (ArrayBuffer.isView(value)) {
    const name = value.constructor.name;
    const items = value instanceof DataView ? [] : Array.from(value as unknown as ArrayLike<unknown>, inner);
    return `${name} [${items.join(',')}]`;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  const name =
    proto === null
      ? '[null prototype] '
      : proto === Object.prototype
        ? ''
        : `${(value as { constructor?: { name?: unknown } }).constructor?.name || 'Object'} `;
  return name + formatProperties(value, stack);
}

function formatProperties(value: object, stack: object[]): string {
  const record = value as Record<PropertyKey, unknown>;
  const parts = ownKeys(value).map(
    (k) => `${typeof k === 'symbol' ? `[${k.toString()}]` : JSON.stringify(k)}:${format(record[k], stack)}`,
  );
  return `{${parts.join(',')}}`;
}
