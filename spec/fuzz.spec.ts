/**
 * A fuzz of bad arguments over the public API (the core entry, `testing`, `flow`, `devtools`;
 * for scopes and the event bus only the argument checks, their owners' specs test the rest).
 * Every bad argument must be refused
 * synchronously, at call time, with a TypeError or RangeError whose message names the parameter
 * (`limit`, `options.settle`, `tasks[2]`); what only a subscription can see (the tasks of a lazy
 * iterable) must error, not hang or crash, with a message naming the parameter.
 */
import fc from 'fast-check';
import { EMPTY, Observable, Subscription, asyncScheduler, from, lastValueFrom, of, timeout, toArray } from 'rxjs';
import {
  CapacityLimiter,
  CircuitBreaker,
  EventBus,
  RateLimiter,
  boundedMap,
  circuitBreaker,
  completionStream,
  concurrently,
  executeConcurrently,
  failAfter,
  failAt,
  firstSuccess,
  firstToFinish,
  gather,
  moveOnAfter,
  moveOnAt,
  processConcurrently,
  pull,
  retryBackoff,
  scope,
  streamConcurrently,
  streamConcurrentlyWith,
  takeUntilAborted,
  withCapacity,
  withRate,
} from '../lib/index';
import { createTestScheduler, deepEqual, renderMarbles, renderSubscription, seededRandom } from '../lib/testing/index';
import { FlowDefinitionError, configureFlows, executionStages, runFlow, runFlowResult } from '../lib/flow/index';
import { parseFlow, stringifyFlow } from '../lib/flow/yaml/index';
import { createRecorder, renderTimeline, renderTimelineText, traceTasks } from '../lib/devtools/index';

// ── Bad values, by what the parameter expects ───────────────────────────────────────────────

/** Objects with `now` and `schedule` that are not schedulers. */
const LOOK_ALIKE_SCHEDULERS = [
  { now: () => 0, schedule: () => ({}) }, // schedule() returns no Subscription
  { now: () => NaN, schedule: () => new Subscription() }, // now() is not a finite number
  { now: () => '0', schedule: () => new Subscription() },
  {
    now: () => {
      throw new Error('no clock');
    },
    schedule: () => new Subscription(),
  },
  { now: () => 0, schedule: 5 },
];

/** Not a priority (any finite number is one). */
const PRIORITY = [NaN, Infinity, -Infinity, '1', null, {}, true];
const BAD = {
  limit: [0, -1, 1.5, NaN, -Infinity, '2', null, {}, [], true],
  fn: [null, 1, 'f', {}, [], true, NaN],
  boolean: ['yes', 1, 0, null, {}, [], NaN],
  duration: [-1, NaN, Infinity, '5', {}, [], true],
  date: [new Date(NaN), NaN, Infinity, '2030-01-01', {}, [], true],
  scheduler: [5, null, {}, [], 'async', () => 0, ...LOOK_ALIKE_SCHEDULERS],
  options: [null, 5, 'x', true, [], NaN],
  record: [5, 'x', [], null, true],
  task: [null, 5, true, NaN, Symbol('s')],
  input: [null, undefined, 5, true, NaN, {}, () => 0],
  string: [5, null, {}, [], true],
};

/** `{}` (an object literal with no keys). */
const isEmptyObject = (v: unknown): boolean => v !== null && typeof v === 'object' && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype && Object.keys(v).length === 0;

// ── The table ───────────────────────────────────────────────────────────────────────────────

/** One positional parameter: its index, how messages name it, and values it must refuse. */
interface Param {
  readonly at: number;
  readonly named: string;
  readonly bad: readonly unknown[];
  /** The error class expected instead of TypeError/RangeError (flow definitions). */
  readonly error?: abstract new (...args: never[]) => Error;
}

/** An options parameter: its index, its name in messages, and bad values per key. */
interface OptionsParam {
  readonly at: number;
  readonly named: string;
  readonly keys: Readonly<Record<string, readonly unknown[]>>;
  /**
   * Variadic combinators (`gather(a, b, options?)`): a trailing non-object is read as one more
   * task, so a bad "options" is refused as a bad task, named by its position (`tasks[2]`).
   */
  readonly variadic?: string;
}

interface Entry {
  readonly name: string;
  readonly call: (...args: unknown[]) => unknown;
  /** Arguments that are accepted. */
  readonly valid: readonly unknown[];
  readonly params: readonly Param[];
  readonly options?: OptionsParam;
}

const project = (x: unknown) => of(x);
const flowSpec = { flow: { a: {} } };
const handlers = { a: () => ({ out: 1 }) };
const records: unknown[] = [];

const ENTRIES: readonly Entry[] = [
  // Fan-out
  {
    name: 'boundedMap',
    call: (p, l, o) => boundedMap(p as never, l as number, o as never),
    valid: [project, 2, {}],
    params: [
      { at: 0, named: 'project', bad: BAD.fn },
      { at: 1, named: 'limit', bad: [...BAD.limit, undefined] },
    ],
    options: { at: 2, named: 'options', keys: { ordered: BAD.boolean, settle: BAD.boolean } },
  },
  { name: 'pull', call: (s) => pull(s as never), valid: [[1]], params: [{ at: 0, named: 'source', bad: [null, undefined, 5, true, {}] }] },
  {
    name: 'processConcurrently',
    call: (s, h, o) => processConcurrently(s as never, h as never, o as never),
    valid: [[1], () => EMPTY, {}],
    params: [
      { at: 0, named: 'source', bad: BAD.input },
      { at: 1, named: 'handler', bad: BAD.fn },
    ],
    options: { at: 2, named: 'options', keys: { concurrentTasks: BAD.limit, ignoreErrors: BAD.boolean, onError: BAD.fn } },
  },
  {
    name: 'executeConcurrently',
    call: (h, s, o) => executeConcurrently(h as never, s as never, o as never),
    valid: [project, [1], {}],
    params: [
      { at: 0, named: 'handler', bad: BAD.fn },
      { at: 1, named: 'source', bad: BAD.input },
    ],
    options: { at: 2, named: 'options', keys: { concurrentTasks: BAD.limit, settle: BAD.boolean } },
  },
  {
    name: 'concurrently',
    call: (t, o) => concurrently(t as never, o as never),
    valid: [[of(1), () => of(2)], {}],
    params: [
      { at: 0, named: 'tasks', bad: [null, undefined, 5, true, {}, () => 0, [of(1), 5], [null]] },
    ],
    options: { at: 1, named: 'options', keys: { concurrentTasks: BAD.limit, settle: BAD.boolean } },
  },
  {
    name: 'completionStream',
    call: (t, o) => completionStream(t as never, o as never),
    valid: [[of(1)], {}],
    params: [{ at: 0, named: 'tasks', bad: [...BAD.input, [of(1), null], [5]] }],
    options: { at: 1, named: 'options', keys: { limit: BAD.limit, settle: BAD.boolean } },
  },
  // Combinators
  {
    name: 'streamConcurrently',
    call: (...a) => streamConcurrently(...(a as never[])),
    valid: [of(1), of(2), {}],
    params: [{ at: 1, named: 'sources', bad: BAD.task }],
    options: { at: 2, named: 'options', keys: { exhaustive: BAD.boolean }, variadic: 'sources[2]' },
  },
  {
    name: 'streamConcurrentlyWith',
    call: (...a) => streamConcurrentlyWith(...(a as never[])),
    valid: [of(1), {}],
    params: [{ at: 0, named: 'others', bad: BAD.task }],
    options: { at: 1, named: 'options', keys: { exhaustive: BAD.boolean }, variadic: 'others[1]' },
  },
  {
    name: 'gather(...tasks)',
    call: (...a) => gather(...(a as never[])),
    valid: [of(1), () => of(2), {}],
    params: [{ at: 0, named: 'tasks', bad: BAD.task }],
    options: { at: 2, named: 'options', keys: { settle: BAD.boolean, errors: ['some', 5, null, true] }, variadic: 'tasks[2]' },
  },
  {
    name: 'gather({ ...tasks })',
    call: (r, o) => gather(r as never, o as never),
    valid: [{ a: of(1) }, {}],
    params: [{ at: 0, named: 'tasks', bad: [{ a: null }, { a: 5 }, { a: true }] }],
    options: { at: 1, named: 'options', keys: { settle: BAD.boolean, errors: ['some', 5, null, true] } },
  },
  { name: 'firstToFinish', call: (...a) => firstToFinish(...(a as never[])), valid: [of(1), of(2)], params: [{ at: 1, named: 'tasks', bad: [...BAD.task, {}] }] },
  { name: 'firstSuccess', call: (...a) => firstSuccess(...(a as never[])), valid: [of(1), of(2)], params: [{ at: 0, named: 'tasks', bad: [...BAD.task, {}] }] },
  // Resilience
  {
    name: 'retryBackoff',
    call: (o) => retryBackoff(o as never),
    valid: [{}],
    params: [],
    options: {
      at: 0,
      named: 'options',
      keys: {
        attempts: BAD.limit,
        baseDelay: [...BAD.duration, null],
        maxDelay: [...BAD.duration, null],
        jitter: [...BAD.duration, null],
        retryOn: ['TypeError', 5, [], ['x'], [TypeError, 5], {}, null, true],
        deadline: [-1, NaN, Infinity, '10', {}, [], true, new Date(NaN)],
        context: [null, 5, 'ctx', true, {}, [], { remaining: 5 }, new AbortController().signal, () => 0],
        resetOnSuccess: BAD.boolean,
        onRetry: BAD.fn,
        random: BAD.fn,
        scheduler: BAD.scheduler,
      },
    },
  },
  { name: 'new CapacityLimiter', call: (t) => new CapacityLimiter(t as number), valid: [2], params: [{ at: 0, named: 'total', bad: [...BAD.limit, undefined] }] },
  {
    name: 'limiter.total =',
    call: (t) => {
      new CapacityLimiter(1).total = t as number;
    },
    valid: [3],
    params: [{ at: 0, named: 'total', bad: BAD.limit }],
  },
  { name: 'limiter.acquire', call: (f) => new CapacityLimiter(1).acquire(f as never), valid: [() => undefined], params: [{ at: 0, named: 'onGranted', bad: [...BAD.fn, undefined] }] },
  {
    name: 'limiter.run',
    call: (t, o) => new CapacityLimiter(1).run(t as never, o as never),
    valid: [of(1), {}],
    params: [{ at: 0, named: 'task', bad: [...BAD.task, undefined] }],
    options: { at: 1, named: 'options', keys: { priority: PRIORITY, timeout: BAD.duration } },
  },
  {
    name: 'withCapacity',
    call: (l, o) => withCapacity(l as never, o as never),
    valid: [new CapacityLimiter(1), {}],
    params: [{ at: 0, named: 'limiter', bad: [null, undefined, 5, {}, { acquire: () => ({ state: 'waiting', release() {} }) }] }],
    options: { at: 1, named: 'options', keys: { priority: PRIORITY, timeout: BAD.duration } },
  },
  {
    name: 'new CapacityLimiter(total, options)',
    call: (t, o) => new CapacityLimiter(t as number, o as never),
    valid: [2, {}],
    params: [],
    options: { at: 1, named: 'options', keys: { maxWaiting: [-1, 1.5, NaN, 'x', null], store: [5, 'x', {}, { acquire: () => true }], scheduler: BAD.scheduler } },
  },
  {
    name: 'new RateLimiter',
    call: (o) => new RateLimiter(o as never),
    valid: [{ limit: 2, interval: 100 }],
    params: [],
    options: {
      at: 0,
      named: 'options',
      keys: {
        limit: [0, -1, 1.5, NaN, Infinity, 'x', null, undefined],
        interval: [0, -1, NaN, Infinity, 'x', null, undefined],
        spread: BAD.boolean,
        maxWaiting: [-1, 1.5, NaN, 'x', null],
        scheduler: BAD.scheduler,
        store: [5, 'x', {}],
      },
    },
  },
  {
    name: 'withRate',
    call: (l, o) => withRate(l as never, o as never),
    valid: [new RateLimiter({ limit: 2, interval: 100 }), {}],
    params: [{ at: 0, named: 'limiter', bad: [null, undefined, 5, {}, { run: () => of(1), acquire: () => ({}) }] }],
    options: { at: 1, named: 'options', keys: { cost: [0, -1, 1.5, NaN, Infinity, 'x', null, 3], priority: PRIORITY, timeout: BAD.duration } },
  },
  {
    name: 'new CircuitBreaker',
    call: (o) => new CircuitBreaker(o as never),
    valid: [{}],
    params: [],
    options: {
      at: 0,
      named: 'options',
      keys: {
        threshold: [0, -1, 1.5, NaN, Infinity, 'x'],
        halfOpenAfter: [-1, NaN, Infinity, 'x', []],
        halfOpenMax: [0, -1, 1.5, NaN, Infinity, 'x', null],
        isFailure: BAD.fn,
        scheduler: BAD.scheduler,
        name: BAD.string,
      },
    },
  },
  {
    name: 'circuitBreaker',
    call: (b) => circuitBreaker(b as never),
    valid: [new CircuitBreaker()],
    params: [{ at: 0, named: 'breaker', bad: [null, undefined, 5, {}, { admit: () => 1, settle: () => undefined, counts: () => true }] }],
  },
  {
    name: 'takeUntilAborted',
    call: (s, o) => takeUntilAborted(s as never, o as never),
    valid: [new AbortController().signal, {}],
    params: [{ at: 0, named: 'signal', bad: [null, undefined, 5, {}, { aborted: 'no' }] }],
    options: { at: 1, named: 'options', keys: { mode: ['stop', 5, null, true] } },
  },
  ...(
    [
      ['failAfter', failAfter, 'ms', BAD.duration],
      ['moveOnAfter', moveOnAfter, 'ms', BAD.duration],
      ['failAt', failAt, 'date', BAD.date],
      ['moveOnAt', moveOnAt, 'date', BAD.date],
    ] as const
  ).map(
    ([name, op, named, bad]): Entry => ({
      name,
      call: (v, s) => (op as (v: unknown, s: unknown) => unknown)(v, s),
      valid: [5, asyncScheduler],
      params: [
        { at: 0, named, bad },
        // moveOnAfter/moveOnAt take an options object there too: `{}` is an empty one.
        { at: 1, named: 'scheduler', bad: name.startsWith('fail') ? BAD.scheduler : BAD.scheduler.filter((v) => !isEmptyObject(v)) },
      ],
    }),
  ),
  // moveOnAfter(ms, { scheduler, onTimeout }) / moveOnAt(date, { … }): the options form of the
  // second argument; an object with both `now` and `schedule` is read as a scheduler instead.
  ...(
    [
      ['moveOnAfter (options)', moveOnAfter],
      ['moveOnAt (options)', moveOnAt],
    ] as const
  ).map(
    ([name, op]): Entry => ({
      name,
      call: (v, o) => (op as (v: unknown, o: unknown) => unknown)(v, o),
      valid: [5, {}],
      params: [],
      options: { at: 1, named: 'options', keys: { scheduler: BAD.scheduler, onTimeout: BAD.fn } },
    }),
  ),
  // Scopes and the bus (their owners test their behaviour; here only the argument checks)
  {
    name: 'scope',
    call: (n, b, o) => scope(n as never, b as never, o as never),
    valid: ['job', () => of(1), {}],
    params: [
      { at: 0, named: 'name', bad: [5, null, undefined, '', {}] },
      { at: 1, named: 'body', bad: BAD.fn },
    ],
    options: { at: 2, named: 'options', keys: { isolated: BAD.boolean, deadline: [-1, NaN, Infinity, 'x', {}, new Date(NaN)], scheduler: BAD.scheduler, errors: ['some', 5, null, true, {}] } },
  },
  { name: 'new EventBus', call: (o) => new EventBus(o as never), valid: [{}], params: [], options: { at: 0, named: 'options', keys: { codec: [5, 'x', {}] } } },
  {
    name: 'bus.request',
    call: (r, t, m, o) => new EventBus().request(r as never, t as never, m as never, o as never),
    valid: [new (class Ping {})(), class Pong {}, () => true, {}],
    params: [
      { at: 0, named: 'request', bad: [null, undefined, 5, 'x'] },
      { at: 1, named: 'ResponseType', bad: [null, undefined, 5, 'x', {}] },
      { at: 2, named: 'match', bad: BAD.fn },
    ],
    options: { at: 3, named: 'options', keys: { timeout: BAD.duration, scheduler: BAD.scheduler } },
  },
  // testing
  { name: 'createTestScheduler', call: (o) => createTestScheduler(o as never), valid: [{}], params: [], options: { at: 0, named: 'options', keys: { strict: BAD.boolean, longGap: BAD.limit } } },
  { name: 'deepEqual', call: (a, b, o) => deepEqual(a, b, o as never), valid: [1, 1, {}], params: [], options: { at: 2, named: 'options', keys: { strict: BAD.boolean } } },
  {
    name: 'renderMarbles',
    call: (f, o) => renderMarbles(f as never, o as never),
    valid: [[], {}],
    params: [{ at: 0, named: 'frames', bad: [null, undefined, 5, 'x', {}, [5], new Array(1), [{ frame: 0, notification: { kind: 'X' } }]] }],
    options: { at: 1, named: 'options', keys: { frameTimeFactor: [0, ...BAD.duration], runMode: BAD.boolean, longGap: BAD.limit } },
  },
  {
    name: 'renderSubscription',
    call: (l, o) => renderSubscription(l as never, o as never),
    valid: [{ subscribedFrame: 0, unsubscribedFrame: 2 }, {}],
    params: [{ at: 0, named: 'log', bad: [null, undefined, 5, 'x', {}] }],
    options: { at: 1, named: 'options', keys: { frameTimeFactor: [0, ...BAD.duration], runMode: BAD.boolean, longGap: BAD.limit } },
  },
  { name: 'seededRandom', call: (s) => seededRandom(s as number), valid: [1], params: [{ at: 0, named: 'seed', bad: [NaN, Infinity, 'x', null, undefined, {}] }] },
  // flow
  ...(
    [
      ['runFlow', runFlow],
      ['runFlowResult', runFlowResult],
    ] as const
  ).map(
    ([name, run]): Entry => ({
      name,
      call: (f, o) => run(f as never, o as never),
      valid: [flowSpec, { handlers }],
      params: [{ at: 0, named: 'flow', bad: [null, 5, {}, [], 'x'], error: FlowDefinitionError }],
      options: {
        at: 1,
        named: 'options',
        keys: {
          parallel: BAD.boolean,
          maxWorkers: BAD.limit,
          schedule: ['lazy', 5, null, {}],
          cache: [{}, 5, 'x', null, { get: () => undefined }],
          handlers: BAD.record,
          initialData: BAD.record,
          transaction: [...BAD.record, { begin: 1 }, { bgin: () => undefined }],
          compensations: [...BAD.record, { a: 1 }],
        },
      },
    }),
  ),
  { name: 'executionStages', call: (f) => executionStages(f as never), valid: [flowSpec], params: [{ at: 0, named: 'flow', bad: [null, 5, {}, []], error: FlowDefinitionError }] },
  { name: 'stringifyFlow', call: (f) => stringifyFlow(f as never), valid: [flowSpec], params: [{ at: 0, named: 'flow', bad: [null, 5, {}, []], error: FlowDefinitionError }] },
  { name: 'parseFlow', call: (t) => parseFlow(t as never), valid: ['flow:\n  a: {}\n'], params: [{ at: 0, named: 'text', bad: BAD.string }] },
  {
    name: 'configureFlows',
    call: (s) => configureFlows(s as never),
    valid: [{}],
    params: [],
    options: { at: 0, named: 'settings', keys: { parallel: BAD.boolean, maxWorkers: BAD.limit, schedule: ['lazy', 5, null], cache: [{}, 5, 'x', null] } },
  },
  // devtools
  { name: 'createRecorder', call: (o) => createRecorder(o as never), valid: [{}], params: [], options: { at: 0, named: 'options', keys: { scheduler: BAD.scheduler } } },
  {
    name: 'traceTasks',
    call: (r, l) => traceTasks(r as never, l as never),
    valid: [createRecorder(), 'task'],
    params: [
      { at: 0, named: 'recorder', bad: [null, undefined, 5, {}, { begin() {}, end() {} }] },
      { at: 1, named: 'label', bad: [5, null, {}, true] },
    ],
  },
  {
    name: 'renderTimeline',
    call: (r, o) => renderTimeline(r as never, o as never),
    valid: [records, {}],
    params: [{ at: 0, named: 'records', bad: [null, undefined, 5, 'x', {}, [{}], new Array(1)] }],
    options: { at: 1, named: 'options', keys: { title: BAD.string, width: [399, 20_001, 1.5, NaN, 'x', null] } },
  },
  {
    name: 'renderTimelineText',
    call: (r, o) => renderTimelineText(r as never, o as never),
    valid: [records, {}],
    params: [{ at: 0, named: 'records', bad: [null, undefined, 5, 'x', {}, [{}], new Array(1)] }],
    options: { at: 1, named: 'options', keys: { width: [9, 1001, 1.5, NaN, 'x', null] } },
  },
];

// ── Checking ────────────────────────────────────────────────────────────────────────────────

/** Renders a value for a failure report. */
function show(value: unknown): string {
  if (typeof value === 'function') return `function ${value.name}`;
  if (typeof value === 'symbol') return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * Calls `run` and returns `undefined` when it threw the right error synchronously (a TypeError or
 * RangeError, or `errorClass`, whose message contains `` `named `` or `` `named. `` / `` `named[ ``),
 * else a description of what went wrong.
 */
function rejection(run: () => unknown, named: string, errorClass?: abstract new (...args: never[]) => Error): string | undefined {
  let error: unknown;
  try {
    run();
  } catch (e) {
    error = e;
  }
  if (error === undefined) return 'accepted';
  const okClass = errorClass ? error instanceof errorClass : error instanceof TypeError || error instanceof RangeError;
  if (!okClass) return `threw ${(error as Error)?.name ?? show(error)}: ${(error as Error)?.message}`;
  const message = (error as Error).message;
  const names = errorClass === FlowDefinitionError ? /flow definition/ : new RegExp(`\`${named.replace(/[.[\]]/g, '\\$&')}([.[\`]|\\])`);
  if (!names.test(message)) return `message does not name \`${named}\`: ${message}`;
  return undefined;
}

function withArg(valid: readonly unknown[], at: number, value: unknown): unknown[] {
  const args = [...valid];
  args[at] = value;
  return args;
}

afterEach(() => {
  configureFlows();
});

describe('fuzz: every entry point accepts its valid arguments', () => {
  it.each(ENTRIES.map((e) => [e.name, e] as const))('%s', (_name, entry) => {
    expect(() => entry.call(...entry.valid)).not.toThrow();
  });
});

describe('fuzz: bad arguments are refused at call time, naming the parameter', () => {
  it.each(ENTRIES.map((e) => [e.name, e] as const))('%s', (_name, entry) => {
    const failures: string[] = [];
    for (const param of entry.params) {
      for (const bad of param.bad) {
        const problem = rejection(() => entry.call(...withArg(entry.valid, param.at, bad)), param.named, param.error);
        if (problem) failures.push(`${param.named} = ${show(bad)}: ${problem}`);
      }
    }
    const options = entry.options;
    if (options) {
      // ('x' and [] are tasks to a variadic combinator.)
      for (const bad of options.variadic ? BAD.options.filter((v) => typeof v !== 'string' && !Array.isArray(v)) : BAD.options) {
        const problem = rejection(() => entry.call(...withArg(entry.valid, options.at, bad)), options.variadic ?? options.named);
        if (problem) failures.push(`${options.named} = ${show(bad)}: ${problem}`);
      }
      for (const [key, bads] of Object.entries(options.keys)) {
        for (const bad of bads) {
          const value = { ...(entry.valid[options.at] as object), [key]: bad };
          const problem = rejection(() => entry.call(...withArg(entry.valid, options.at, value)), `${options.named}.${key}`);
          if (problem) failures.push(`${options.named}.${key} = ${show(bad)}: ${problem}`);
        }
        // A misspelt key: one letter dropped.
        const misspelt = key.slice(0, -1);
        const problem = rejection(() => entry.call(...withArg(entry.valid, options.at, { [misspelt]: bads[0] })), `${options.named}.${misspelt}`);
        if (problem) failures.push(`misspelt ${options.named}.${misspelt}: ${problem}`);
      }
    }
    expect(failures).toEqual([]);
  });
});

describe('fuzz (fast-check): random junk', () => {
  const withOptions = ENTRIES.filter((e) => e.options !== undefined);

  it('an unknown option key, whatever it is, is refused naming it and the known ones', () => {
    fc.assert(
      fc.property(fc.constantFrom(...withOptions), fc.string({ minLength: 1, maxLength: 12 }), fc.anything(), (entry, key, value) => {
        const options = entry.options!;
        fc.pre(!(key in options.keys) && key !== '__proto__');
        let error: unknown;
        try {
          entry.call(...withArg(entry.valid, options.at, { [key]: value }));
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(TypeError);
        expect((error as Error).message).toContain(`Unknown option \`${options.named}.${key}\`; expected one of `);
      }),
      { numRuns: 200 },
    );
  });

  it('any value in any parameter is accepted, or refused with an error naming that parameter (never a crash)', () => {
    interface Slot {
      readonly entry: Entry;
      readonly at: number;
      readonly named: string;
      readonly error?: Param['error'];
      /** The option key the value goes under, for an option's slot. */
      readonly key?: string;
    }
    const slots = ENTRIES.flatMap((entry): Slot[] => [
      ...entry.params.map((param) => ({ entry, at: param.at, named: param.named, error: param.error })),
      ...(entry.options ? [{ entry, at: entry.options.at, named: entry.options.variadic ?? entry.options.named }] : []),
      ...Object.keys(entry.options?.keys ?? {}).map((key) => ({ entry, at: entry.options!.at, named: `${entry.options!.named}.${key}`, key })),
    ]);
    const junk = fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withNullPrototype: true, withTypedArray: true, withSparseArray: true, withBoxedValues: true });
    fc.assert(
      fc.property(fc.constantFrom(...slots), junk, (slot, value) => {
        const { entry, at, named, error } = slot;
        // An option key's slot puts the value under that key of a valid options object.
        const args = withArg(entry.valid, at, slot.key !== undefined ? { ...(entry.valid[at] as object), [slot.key]: value } : value);
        let thrown: unknown;
        try {
          entry.call(...args);
        } catch (e) {
          thrown = e;
        }
        if (thrown === undefined) return;
        // A flow definition error names the vertex, the binding or the line instead.
        if (thrown instanceof FlowDefinitionError) return;
        const problem = rejection(() => entry.call(...args), named, error);
        // A whole options object's own keys are named as `options.key`.
        if (problem !== undefined && slot.key === undefined && /^Unknown option|`options\.|`settings\./.test((thrown as Error).message)) return;
        expect(problem).toBeUndefined();
      }),
      { numRuns: 500 },
    );
  });

  it('a limit that is not an integer ≥ 1 or Infinity is a RangeError naming it', () => {
    const limits = [
      (v: unknown) => boundedMap(project, v as number),
      (v: unknown) => concurrently([], { concurrentTasks: v as number }),
      (v: unknown) => completionStream([], { limit: v as number }),
      (v: unknown) => new CapacityLimiter(v as number),
      (v: unknown) => retryBackoff({ attempts: v as number }),
    ];
    const names = ['limit', 'options.concurrentTasks', 'options.limit', 'total', 'options.attempts'];
    fc.assert(
      fc.property(
        fc.nat({ max: limits.length - 1 }),
        fc.anything().filter((v) => v !== undefined && !(typeof v === 'number' && ((Number.isInteger(v) && v >= 1) || v === Infinity))),
        (i, value) => {
          expect(() => limits[i]!(value)).toThrow(RangeError);
          expect(() => limits[i]!(value)).toThrow(`\`${names[i]}\``);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a duration that is not a finite number ≥ 0 is a RangeError naming it', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<[(v: unknown) => unknown, string]>(
          [(v) => failAfter(v as number), 'ms'],
          [(v) => moveOnAfter(v as number), 'ms'],
          [(v) => retryBackoff({ baseDelay: v as number }), 'options.baseDelay'],
          [(v) => retryBackoff({ jitter: v as number }), 'options.jitter'],
        ),
        fc.anything().filter((v) => v !== undefined && v !== null && !(typeof v === 'number' && v >= 0 && Number.isFinite(v))),
        ([op, named], value) => {
          expect(() => op(value)).toThrow(RangeError);
          expect(() => op(value)).toThrow(`\`${named}\``);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('fuzz: what only the subscription can see errors (no hang), naming the parameter', () => {
  /** The error the Observable ends with, within 1 s. */
  const errorOf = (source: Observable<unknown>): Promise<Error> =>
    lastValueFrom(source.pipe(timeout(1000))).then(
      () => {
        throw new Error('completed without an error');
      },
      (e: unknown) => e as Error,
    );

  function* lazy(...tasks: unknown[]) {
    yield* tasks;
  }

  it.each([
    ['concurrently(generator of a non-task)', () => concurrently(lazy(of(1), 42) as never), /`tasks\[1\]` to be a task/],
    ['concurrently(factory returning 42)', () => concurrently([() => 42 as never]), /`tasks\[0\]` to return an Observable/],
    ['completionStream(Observable of a non-task)', () => completionStream(from([of(1), null]) as never), /`tasks\[1\]` to be a task/],
    ['completionStream(async iterable of a non-task)', () => completionStream((async function* () { yield 5; })() as never), /`tasks\[0\]` to be a task/],
    // What `project`/`handler`/a spawned factory returns is only known when it is called: named, with the index and the value.
    ['boundedMap(project returning 42)', () => of('a', 'b').pipe(boundedMap((x) => (x === 'b' ? 42 : of(x)) as never, 2)), /^Expected `project` to return an Observable, Promise, array, iterable or async iterable, got `42` \(number\) at index 1$/],
    ['boundedMap(project returning nothing), unordered', () => of(1).pipe(boundedMap(() => undefined as never, 1, { ordered: false })), /`project` to return .*got `undefined` \(undefined\) at index 0$/],
    ['processConcurrently(handler returning 42)', () => processConcurrently(of(1), () => 42 as never), /`handler` to return .*got `42` \(number\) at index 0$/],
    ['executeConcurrently(handler returning a plain object)', () => executeConcurrently(() => ({ id: 1 }) as never, of(1, 2)), /`handler` to return .*got `\{"id":1\}` \(object\) at index 0$/],
    ['scope.spawn(factory returning 42)', () => scope('s', (sc) => sc.spawn(() => 42 as never)), /`task` to return .*got `42` \(number\)$/],
  ] as const)('%s', async (_name, make, message) => {
    const error = await errorOf(make() as Observable<unknown>);
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toMatch(message);
  });

  it('settle mode reports that error as the item’s outcome; a project that throws keeps its own error', async () => {
    const settled = await lastValueFrom(of(1, 2).pipe(boundedMap((x) => (x === 1 ? (7 as never) : of(x)), 2, { settle: true }), toArray()));
    expect(settled).toEqual([
      { status: 'rejected', reason: new TypeError('Expected `project` to return an Observable, Promise, array, iterable or async iterable, got `7` (number) at index 0') },
      { status: 'fulfilled', value: 2 },
    ]);
    const own = new RangeError('own');
    const thrown = await errorOf(
      of(1).pipe(
        boundedMap(() => {
          throw own;
        }, 1),
      ),
    );
    expect(thrown).toBe(own);
  });
});
