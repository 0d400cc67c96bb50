import { Observable, filter, map, type Subscriber, type Subscription } from 'rxjs';
import { readOptions } from '../internal/options.js';
import * as opt from '../internal/options.js';
import { signalOption, takeUntilAborted } from '../resilience/takeUntilAborted.js';
import { describe } from '../internal/validate.js';
import { cacheKey } from './cache.js';
import { FlowDefinitionError, FlowVertexError, messageOf } from './errors.js';
import { FlowStep } from './follow.js';
import { isPlainResult } from '../internal/lifecycle.js';
import { compileFlow, type CompiledFlow, type CompiledGroup, type CompiledVertex } from './graph.js';
import { IntHeap } from '../internal/heap.js';
import { SETTING_READERS, resolveSettings, type ResolvedFlowSettings } from './settings.js';
import type {
  FlowCompensation,
  FlowContext,
  FlowEvent,
  FlowHandler,
  FlowHookResult,
  FlowOutputs,
  FlowResult,
  FlowSpec,
  FlowTransactionHooks,
  RunFlowOptions,
} from './types.js';

/** The options of `runFlow`: the settings, and what the run needs. */
const RUN_OPTIONS = {
  ...SETTING_READERS,
  handlers: opt.record('an object of handler functions by name'),
  initialData: opt.record('an object'),
  transaction: opt.record('an object of begin, commit and rollback hooks'),
  compensations: opt.record('an object of compensation functions by vertex name'),
  signal: signalOption,
};

/** The hooks of `options.transaction`. */
const HOOKS = { begin: opt.fn(undefined), commit: opt.fn(undefined), rollback: opt.fn(undefined) };

/** Everything a run needs, checked at call time. */
interface Plan {
  readonly flow: CompiledFlow;
  /** Handler by vertex index. */
  readonly handlers: FlowHandler[];
  readonly initialData: Record<string, unknown>;
  readonly settings: ResolvedFlowSettings;
  readonly transaction: FlowTransactionHooks;
  readonly compensations: Record<string, FlowCompensation>;
  /** `options.signal`: cancels the run from outside. */
  readonly signal: AbortSignal | undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `record[key]` when it is the record's own property (so a vertex named `toString` finds no inherited function). */
function own(record: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}

/** Validates the flow and the options together; throws before any Observable exists. */
function plan(spec: FlowSpec, options: RunFlowOptions): Plan {
  const flow = compileFlow(spec);
  const { handlers: handlerMap, initialData, transaction, compensations, signal } = readOptions('options', options, RUN_OPTIONS);
  const handlers = flow.vertices.map((v) => {
    const handler = typeof v.handler === 'function' ? v.handler : own(handlerMap, v.handler);
    if (typeof handler !== 'function') {
      throw new FlowDefinitionError(
        `Vertex \`${v.name}\` needs handler \`${String(v.handler)}\`, but \`options.handlers.${String(v.handler)}\` is ${describe(handler)}; expected a function`,
        { vertex: v.name, binding: 'handler', path: ['flow', v.name] },
      );
    }
    for (const b of v.bindings) {
      if (b.source < 0 && !Object.prototype.hasOwnProperty.call(initialData, b.key)) {
        throw new FlowDefinitionError(
          `Vertex \`${v.name}\` binds \`${b.name}: input.${b.key}\`, but \`options.initialData\` has no key \`${b.key}\` (it has: ${Object.keys(initialData).join(', ') || 'nothing'})`,
          { vertex: v.name, binding: `${b.name}: input.${b.key}`, path: ['flow', v.name, 'inputs', b.name] },
        );
      }
    }
    return handler as FlowHandler;
  });
  readOptions('options.transaction', transaction, HOOKS);
  for (const [name, compensation] of Object.entries(compensations)) {
    if (!flow.vertices.some((v) => v.name === name)) {
      throw new FlowDefinitionError(`\`options.compensations.${name}\` names no vertex of the flow`, { vertex: name, binding: 'compensations' });
    }
    if (typeof compensation !== 'function') {
      throw new TypeError(`Expected \`options.compensations.${name}\` to be a function, got ${describe(compensation)}`);
    }
  }
  return {
    flow,
    handlers,
    initialData,
    settings: resolveSettings(options),
    transaction: transaction as FlowTransactionHooks,
    compensations: compensations as Record<string, FlowCompensation>,
    signal,
  };
}

/** Where a vertex is in a run. */
type VertexState =
  /** Not started: its inputs are not all there, or it waits for a worker or for its group. */
  | 'waiting'
  /** Its work (begin hook, handler, commit hook) is running. */
  | 'running'
  /** Completed: its outputs are stored. */
  | 'done';

/** Where an atomic group is in a run. */
type GroupState =
  /** None of its vertices has started. */
  | 'closed'
  /** Some started, not all completed: a failure now rolls it back or compensates it. */
  | 'open'
  /** Every vertex completed (after `commit`, under `rollback`). */
  | 'committed';

/** One vertex in one run. */
class VertexRun {
  state: VertexState = 'waiting';
  /** Producers not completed yet (the eager schedule starts it at 0). */
  pending: number;
  /** Its outputs, once completed (and not rolled back or compensated). */
  outputs: FlowOutputs | undefined = undefined;
  /** Its inputs, once completed in a group: for its compensation. */
  inputs: Record<string, unknown> | undefined = undefined;
  /** The piece of its work running now (begin hook, handler, commit hook); cancelled with the run. */
  step: FlowStep | undefined = undefined;
  /** Its position in completion order (1-based; 0 while not completed). */
  doneAt = 0;

  constructor(
    readonly spec: CompiledVertex,
    readonly group: GroupRun | undefined,
  ) {
    this.pending = spec.deps.length;
  }
}

/** One atomic group in one run. */
class GroupRun {
  state: GroupState = 'closed';
  /** No other vertex of the group may start now (one runs under `no_parallel`, or `begin` runs). */
  busy = false;
  /** Ranks of its ready vertices held back while it is busy. */
  readonly waiting = new IntHeap();
  /** Its completed vertices, in completion order. */
  readonly done: VertexRun[] = [];
  /** How many vertices of the run had completed when it opened: a rollback removes every later output. */
  openedAt = 0;

  constructor(readonly spec: CompiledGroup) {}
}

/** One subscription's run: the scheduler. */
class FlowRun {
  /** By vertex index. */
  private readonly vertices: VertexRun[];
  /** Vertex runs by rank (the ready queue holds ranks). */
  private readonly byRank: VertexRun[];
  private readonly maxWorkers: number;
  private readonly eager: boolean;
  /** Ranks of the vertices ready to start. */
  private readonly ready = new IntHeap();
  /** Open groups, in the order they opened. */
  private readonly openGroups: GroupRun[] = [];
  /** Vertices running now. */
  private running = 0;
  /** Vertices completed so far. */
  private completed = 0;
  /** Finished or failed: nothing new starts. */
  private stopped = false;
  /** Re-entrancy guard of `pump`. */
  private pumping = false;
  /** The stage running (`schedule: 'stages'`) and how many of its vertices are left. */
  private stage = 0;
  private stageLeft = 0;
  /** The recovery hook running (rollback, compensation), cancelled on unsubscribe. */
  private recovery: FlowStep | undefined = undefined;

  constructor(
    private readonly plan: Plan,
    private readonly subscriber: Subscriber<FlowEvent>,
  ) {
    const groups = plan.flow.groups.map((g) => new GroupRun(g));
    this.vertices = plan.flow.vertices.map((v) => new VertexRun(v, v.group >= 0 ? groups[v.group] : undefined));
    this.byRank = plan.flow.order.map((i) => this.vertices[i]!);
    this.maxWorkers = plan.settings.maxWorkers;
    this.eager = plan.settings.schedule === 'eager';
  }

  private get live(): boolean {
    return !this.stopped && !this.subscriber.closed;
  }

  run(): void {
    const stages = this.plan.flow.stages;
    if (stages.length === 0) return this.finish();
    this.makeReady(stages[0]!);
    this.pump();
  }

  /** The vertices (by index) of the next stage are ready. */
  private makeReady(stage: readonly number[]): void {
    this.stageLeft = stage.length;
    for (const i of stage) this.ready.push(this.vertices[i]!.spec.rank);
  }

  /** Starts ready vertices while workers are free; re-entrant calls return at once. */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    const ready = this.ready;
    while (ready.size > 0 && this.running < this.maxWorkers && this.live) {
      const v = this.byRank[ready.pop()]!;
      if (v.group?.busy) v.group.waiting.push(v.spec.rank);
      else this.start(v);
    }
    this.pumping = false;
  }

  private start(v: VertexRun): void {
    v.state = 'running';
    this.running++;
    const group = v.group;
    if (group !== undefined) {
      if (group.spec.noParallel) group.busy = true;
      if (group.state === 'closed') {
        group.state = 'open';
        group.openedAt = this.completed;
        this.openGroups.push(group);
        const begin = group.spec.onFailure === 'rollback' ? this.plan.transaction.begin : undefined;
        if (begin) {
          // No other vertex of the group starts before `begin` is done, even with `no_parallel: false`.
          group.busy = true;
          return this.step(v, () => begin(group.spec.name), () => {
            if (!group.spec.noParallel) this.releaseGroup(group);
            this.execute(v);
            this.pump();
          });
        }
      }
    }
    this.execute(v);
  }

  /** Lets every waiting vertex of `group` start (a group whose vertices may overlap, once `begin` is done). */
  private releaseGroup(group: GroupRun): void {
    group.busy = false;
    while (group.waiting.size > 0) this.ready.push(group.waiting.pop());
  }

  private execute(v: VertexRun): void {
    if (!this.live) return;
    const spec = v.spec;
    const inputs: Record<string, unknown> = {};
    for (const b of spec.bindings) inputs[b.name] = b.source < 0 ? this.plan.initialData[b.key] : this.vertices[b.source]!.outputs![b.key];
    const handler = this.plan.handlers[spec.index]!;
    const cache = this.plan.settings.cache;
    const key = cache && spec.pure && !v.group?.spec.noCache ? cacheKey(spec.name, handler, inputs) : undefined;
    if (key !== undefined) {
      const hit = cache!.get(key);
      if (hit !== undefined) return this.produced(v, inputs, hit, true, undefined);
    }
    if (!this.emit({ type: 'started', vertex: spec.name, inputs })) return;
    this.step(v, (ctx) => handler(inputs, ctx), (value) => this.produced(v, inputs, value, false, key));
  }

  /** Runs one piece of a vertex's work (hook or handler) through the task lifecycle, tracked for cancellation. */
  private step(v: VertexRun, work: (ctx: FlowContext) => unknown, next: (value: unknown) => void): void {
    const step = new FlowStep(v.spec.name, work, next, (error) => this.fail(v, error, true));
    v.step = step;
    step.start(isPlainResult);
  }

  /** The handler (or the cache) gave `value`: check it, store it, commit the group if this was its last vertex. */
  private produced(v: VertexRun, inputs: Record<string, unknown>, value: unknown, cached: boolean, key: string | undefined): void {
    if (!this.live) return;
    const spec = v.spec;
    if (value !== undefined && value !== null && !isRecord(value)) {
      return this.fail(v, new TypeError(`Vertex \`${spec.name}\`: expected its handler to produce a record of outputs (or nothing), got ${describe(value)}`), false);
    }
    const outputs = (value ?? {}) as FlowOutputs;
    for (const read of spec.reads) {
      if (!Object.prototype.hasOwnProperty.call(outputs, read.key)) {
        const reader = this.vertices[read.reader]!.spec.name;
        return this.fail(
          v,
          new TypeError(
            `Vertex \`${spec.name}\` produced no output \`${read.key}\`, which vertex \`${reader}\` reads (\`${read.input}: ${spec.name}.${read.key}\`); it produced: ${Object.keys(outputs).join(', ') || 'nothing'}`,
          ),
          false,
        );
      }
    }
    if (key !== undefined && !cached) this.plan.settings.cache!.set(key, outputs);
    const group = v.group;
    const commit = group?.spec.onFailure === 'rollback' ? this.plan.transaction.commit : undefined;
    if (commit && group!.done.length === group!.spec.vertices.length - 1) {
      return this.step(v, () => commit(group!.spec.name), () => this.complete(v, inputs, outputs, cached));
    }
    this.complete(v, inputs, outputs, cached);
  }

  private complete(v: VertexRun, inputs: Record<string, unknown>, outputs: FlowOutputs, cached: boolean): void {
    if (!this.live) return;
    const spec = v.spec;
    v.state = 'done';
    v.step = undefined;
    v.outputs = outputs;
    this.running--;
    v.doneAt = ++this.completed;
    const group = v.group;
    if (group !== undefined) {
      group.done.push(v);
      v.inputs = inputs;
      if (group.done.length === group.spec.vertices.length) {
        group.state = 'committed';
        this.openGroups.splice(this.openGroups.indexOf(group), 1);
      }
      if (group.spec.noParallel) {
        group.busy = false;
        if (group.waiting.size > 0) this.ready.push(group.waiting.pop());
      }
    }
    if (!this.emit({ type: 'completed', vertex: spec.name, outputs, cached })) return;
    if (this.eager) {
      for (const c of spec.consumers) {
        const consumer = this.vertices[c]!;
        if (--consumer.pending === 0) this.ready.push(consumer.spec.rank);
      }
    } else if (--this.stageLeft === 0 && this.stage + 1 < this.plan.flow.stages.length) {
      this.makeReady(this.plan.flow.stages[++this.stage]!);
    }
    if (this.completed === this.vertices.length) return this.finish();
    this.pump();
  }

  private finish(): void {
    this.stopped = true;
    if (this.emit({ type: 'done', result: this.data() })) this.subscriber.complete();
  }

  /** A vertex failed: cancel the running ones, recover open groups, then error. */
  private fail(v: VertexRun, cause: unknown, prefix: boolean): void {
    if (!this.live) return;
    this.stopped = true;
    const name = v.spec.name;
    v.step = undefined;
    if (!this.emit({ type: 'failed', vertex: name, error: cause })) return;
    this.cancelRunning();
    const errors: unknown[] = [];
    this.recover([...this.openGroups], errors, () => {
      const message = prefix ? `Vertex \`${name}\` failed: ${messageOf(cause)}` : messageOf(cause);
      this.subscriber.error(new FlowVertexError(name, message, cause, errors));
    });
  }

  /** Cancels the work of every running vertex (the lifecycle aborts their signals). */
  private cancelRunning(): void {
    for (const v of this.vertices) {
      if (v.state !== 'running') continue;
      const step = v.step;
      v.step = undefined;
      step?.cancel();
    }
  }

  /** Undoes the open groups, the last opened first, one after the other. */
  private recover(groups: GroupRun[], errors: unknown[], done: () => void): void {
    const group = groups.pop();
    if (group === undefined) return done();
    const { name, onFailure } = group.spec;
    const finished = group.done;
    const next = (): void => this.recover(groups, errors, done);
    if (onFailure === 'abort') return next();
    const names = (list: readonly VertexRun[]): string[] => list.map((v) => v.spec.name);
    if (onFailure === 'rollback') {
      // Back to the data as it was when the group's first vertex started: the group's outputs and
      // those of any vertex that completed since (in parallel mode, or between two group vertices).
      for (const v of this.vertices) if (v.doneAt > group.openedAt) v.outputs = undefined;
      const rollback = this.plan.transaction.rollback;
      return this.hook(name, rollback && (() => rollback(name)), errors, () => {
        if (this.emit({ type: 'rolledBack', group: name, strategy: 'rollback', vertices: names(finished), data: this.data() })) next();
      });
    }
    const reverse = [...finished].reverse();
    const compensated: VertexRun[] = [];
    const compensate = (k: number): void => {
      const v = reverse[k];
      if (v === undefined) {
        if (this.emit({ type: 'rolledBack', group: name, strategy: 'compensate', vertices: names(compensated), data: this.data() })) next();
        return;
      }
      const compensation = own(this.plan.compensations, v.spec.name) as FlowCompensation | undefined;
      if (!compensation) return compensate(k + 1);
      this.hook(v.spec.name, (ctx) => compensation(v.outputs!, v.inputs, ctx), errors, () => {
        compensated.push(v);
        v.outputs = undefined;
        compensate(k + 1);
      });
    };
    compensate(0);
  }

  /** Runs a recovery hook to completion through the task lifecycle; its error is recorded and recovery goes on. */
  private hook(owner: string, call: ((ctx: FlowContext) => FlowHookResult) | undefined, errors: unknown[], next: () => void): void {
    if (!call || this.subscriber.closed) return next();
    const after = (): void => {
      this.recovery = undefined;
      next();
    };
    const step = new FlowStep(owner, call, after, (error) => {
      errors.push(error);
      after();
    });
    this.recovery = step;
    step.start(isPlainResult);
  }

  /** Emits an event; `false` when the consumer has gone (possibly because of this event). */
  private emit(event: FlowEvent): boolean {
    this.subscriber.next(event);
    return !this.subscriber.closed;
  }

  /** The flat data: `input.KEY` and `VERTEX.KEY` for every output present. */
  private data(): FlowResult {
    const result: FlowResult = {};
    const initial = this.plan.initialData;
    for (const key of Object.keys(initial)) result[`input.${key}`] = initial[key];
    for (const v of this.byRank) {
      const outputs = v.outputs;
      if (outputs === undefined) continue;
      const name = v.spec.name;
      for (const key of Object.keys(outputs)) result[`${name}.${key}`] = outputs[key];
    }
    return result;
  }

  teardown(): void {
    this.stopped = true;
    this.cancelRunning();
    this.recovery?.cancel();
  }
}

/**
 * Runs a flow: every vertex once, after all the vertices it reads from, as a cold
 * `Observable<FlowEvent>`. Each subscription is a fresh run; unsubscribing cancels the running
 * vertices (their `ctx.signal` aborts).
 *
 * Serial by default (one vertex at a time, stage by stage, names sorted in a stage). With
 * `parallel: true` up to `maxWorkers` vertices run at once: `schedule: 'eager'` starts a vertex
 * as soon as its inputs exist, `'stages'` waits for the whole previous stage. A failing vertex
 * stops the flow: nothing new starts, running vertices are cancelled, open atomic groups are
 * rolled back / compensated, then the Observable errors with a {@link FlowVertexError}.
 *
 * The flow and the options are checked when you call it (not when you subscribe): bad ones throw
 * {@link FlowDefinitionError}, {@link FlowCycleError}, `TypeError` or `RangeError`.
 *
 * Diamond A → (B, C) → D with `parallel: true`; A is synchronous, B takes 20 ms, C 40, D 10:
 * ```text
 * time      0          20         40    50
 * A         (o|)
 * B         ^----------(o|)
 * C         ^---------------------(o|)
 * D                               ^-----(o|)
 * events    (AaBC)     b          (cD)  (dz|)     X = X started, x = X completed, z = done
 * ```
 * With `schedule: 'stages'` a vertex waits for its whole previous stage: were D to read only B,
 * eager would start it at 20 (while C runs), stages at 40. Serial runs A, B, C, D one by one.
 *
 * @example
 * ```ts
 * runFlow(parseFlow(yamlText), {
 *   handlers: { fetchUser: ({ id }, { signal }) => fetch(`/u/${id}`, { signal }).then((r) => r.json()) },
 *   initialData: { userId: 42 },
 *   parallel: true,
 * }).subscribe((event) => console.log(event.type, 'vertex' in event ? event.vertex : ''));
 * ```
 */
export function runFlow(flow: FlowSpec, options: RunFlowOptions = {}): Observable<FlowEvent> {
  const p = plan(flow, options);
  const events = new Observable<FlowEvent>((subscriber) => {
    const run = new FlowRun(p, subscriber);
    run.run();
    return () => run.teardown();
  });
  return p.signal === undefined ? events : events.pipe(takeUntilAborted<FlowEvent>(p.signal));
}

/**
 * {@link runFlow}, keeping only the flat result of the `done` event: `{ 'input.userId': 42,
 * 'fetch_user.user': …, … }`, then complete. Errors as `runFlow` does.
 *
 * @example
 * ```ts
 * runFlowResult(spec, { handlers, initialData: { userId: 42 } })
 *   .subscribe((result) => console.log(result['report.text']));
 * ```
 */
export function runFlowResult(flow: FlowSpec, options: RunFlowOptions = {}): Observable<FlowResult> {
  return runFlow(flow, options).pipe(
    filter((event): event is Extract<FlowEvent, { type: 'done' }> => event.type === 'done'),
    map((event) => event.result),
  );
}

/**
 * Groups the vertices into stages: a vertex's stage is one after the latest stage among the
 * vertices it reads from, so no two vertices of a stage depend on each other. Names are sorted
 * within a stage. Throws {@link FlowCycleError} or {@link FlowDefinitionError} for a bad flow.
 *
 * @example
 * ```ts
 * executionStages({ flow: { A: {}, B: { inputs: { a: 'A.x' } }, C: { inputs: { a: 'A.x' } },
 *   D: { inputs: { b: 'B.y', c: 'C.z' } } } });
 * // [['A'], ['B', 'C'], ['D']]
 * ```
 */
export function executionStages(flow: FlowSpec): string[][] {
  const compiled = compileFlow(flow);
  return compiled.stages.map((stage) => stage.map((i) => compiled.vertices[i]!.name));
}
