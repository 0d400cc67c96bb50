import { Observable, filter, map, type Subscriber, type Subscription } from 'rxjs';
import { opt, readOptions } from '../internal/options.js';
import { describe } from '../internal/validate.js';
import { cacheKey } from './cache.js';
import { FlowDefinitionError, FlowVertexError, messageOf } from './errors.js';
import { FlowVertexContext, follow, isObservableInput, subscribeLast } from './follow.js';
import { compileFlow, type CompiledFlow, type CompiledGroup, type CompiledVertex } from './graph.js';
import { IntHeap } from '../internal/heap.js';
import { SETTING_READERS, resolveSettings, type ResolvedFlowSettings } from './settings.js';
import type {
  FlowCompensation,
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
  const { handlers: handlerMap, initialData, transaction, compensations } = readOptions('options', options, RUN_OPTIONS);
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
  };
}

const RUNNING = 1;
const DONE = 2;
const CLOSED = 0;
const OPEN = 1;
const COMMITTED = 2;

/** One subscription's run: the scheduler. */
class FlowRun {
  private readonly vertices: CompiledVertex[];
  private readonly groups: CompiledGroup[];
  private readonly maxWorkers: number;
  private readonly eager: boolean;
  /** 0 waiting, RUNNING, DONE. */
  private readonly state: Uint8Array;
  private readonly pending: Int32Array;
  private readonly outputs: (FlowOutputs | undefined)[];
  /** Inputs of completed group vertices, for compensations. */
  private readonly inputs: (Record<string, unknown> | undefined)[];
  private readonly subs: (Subscription | undefined)[];
  private readonly ctxs: (FlowVertexContext | undefined)[];
  private readonly ready = new IntHeap();
  private readonly groupBusy: boolean[];
  private readonly groupWaiting: IntHeap[];
  private readonly groupState: number[];
  /** Completed vertices of each group, in completion order. */
  private readonly groupDone: number[][];
  /** How many vertices had completed when each group opened: a rollback removes every later output. */
  private readonly groupOpenedAt: number[];
  /** Per vertex, its position in completion order (1-based; 0 while not completed). */
  private readonly doneAt: Int32Array;
  private readonly openGroups: number[] = [];
  private running = 0;
  private completed = 0;
  private stopped = false;
  private pumping = false;
  private stage = 0;
  private stageLeft = 0;
  private recovery: Subscription | undefined = undefined;
  private recoveryCtx: FlowVertexContext | undefined = undefined;

  constructor(
    private readonly plan: Plan,
    private readonly subscriber: Subscriber<FlowEvent>,
  ) {
    const n = plan.flow.vertices.length;
    this.vertices = plan.flow.vertices;
    this.groups = plan.flow.groups;
    this.maxWorkers = plan.settings.maxWorkers;
    this.eager = plan.settings.schedule === 'eager';
    this.state = new Uint8Array(n);
    this.pending = Int32Array.from(this.vertices, (v) => v.deps.length);
    this.outputs = new Array<FlowOutputs | undefined>(n);
    this.inputs = new Array<Record<string, unknown> | undefined>(n);
    this.subs = new Array<Subscription | undefined>(n);
    this.ctxs = new Array<FlowVertexContext | undefined>(n);
    this.groupBusy = this.groups.map(() => false);
    this.groupWaiting = this.groups.map(() => new IntHeap());
    this.groupState = this.groups.map(() => CLOSED);
    this.groupDone = this.groups.map(() => []);
    this.groupOpenedAt = this.groups.map(() => 0);
    this.doneAt = new Int32Array(n);
  }

  private get live(): boolean {
    return !this.stopped && !this.subscriber.closed;
  }

  run(): void {
    const stages = this.plan.flow.stages;
    if (stages.length === 0) return this.finish();
    this.stageLeft = stages[0]!.length;
    for (const i of stages[0]!) this.ready.push(this.vertices[i]!.rank);
    this.pump();
  }

  /** Starts ready vertices while workers are free; re-entrant calls return at once. */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    const { ready, vertices, groupBusy } = this;
    while (ready.size > 0 && this.running < this.maxWorkers && this.live) {
      const i = this.plan.flow.order[ready.pop()]!;
      const g = vertices[i]!.group;
      if (g >= 0 && groupBusy[g]) this.groupWaiting[g]!.push(vertices[i]!.rank);
      else this.start(i);
    }
    this.pumping = false;
  }

  private start(i: number): void {
    const v = this.vertices[i]!;
    this.state[i] = RUNNING;
    this.running++;
    const g = v.group;
    if (g >= 0) {
      const group = this.groups[g]!;
      if (group.noParallel) this.groupBusy[g] = true;
      if (this.groupState[g] === CLOSED) {
        this.groupState[g] = OPEN;
        this.groupOpenedAt[g] = this.completed;
        this.openGroups.push(g);
        const begin = group.onFailure === 'rollback' ? this.plan.transaction.begin : undefined;
        if (begin) {
          // No other vertex of the group starts before `begin` is done, even with `no_parallel: false`.
          this.groupBusy[g] = true;
          return this.step(i, () => begin(group.name), () => {
            if (!group.noParallel) this.releaseGroup(g);
            this.execute(i);
            this.pump();
          });
        }
      }
    }
    this.execute(i);
  }

  /** Lets every waiting vertex of group `g` start (a group whose vertices may overlap, once `begin` is done). */
  private releaseGroup(g: number): void {
    this.groupBusy[g] = false;
    const waiting = this.groupWaiting[g]!;
    while (waiting.size > 0) this.ready.push(waiting.pop());
  }

  private execute(i: number): void {
    if (!this.live) return;
    const v = this.vertices[i]!;
    const inputs: Record<string, unknown> = {};
    for (const b of v.bindings) inputs[b.name] = b.source < 0 ? this.plan.initialData[b.key] : this.outputs[b.source]![b.key];
    const handler = this.plan.handlers[i]!;
    const cache = this.plan.settings.cache;
    const key = cache && v.pure && (v.group < 0 || !this.groups[v.group]!.noCache) ? cacheKey(v.name, handler, inputs) : undefined;
    if (key !== undefined) {
      const hit = cache!.get(key);
      if (hit !== undefined) return this.produced(i, inputs, hit, true, undefined);
    }
    if (!this.emit({ type: 'started', vertex: v.name, inputs })) return;
    const ctx = new FlowVertexContext(v.name);
    this.ctxs[i] = ctx;
    // The handler is called here rather than through `step`: a synchronous one costs no closures.
    let result: unknown;
    try {
      result = handler(inputs, ctx);
    } catch (error) {
      return this.fail(i, error, true);
    }
    if (!isObservableInput(result)) return this.produced(i, inputs, result, false, key);
    const sub = subscribeLast(result, (value) => this.produced(i, inputs, value, false, key), (error) => this.fail(i, error, true));
    if (sub) this.subs[i] = sub;
  }

  /** Runs one piece of a vertex's work (hook or handler), tracking it for cancellation. */
  private step(i: number, call: () => unknown, next: (value: unknown) => void): void {
    const sub = follow(call, next, (error) => this.fail(i, error, true));
    if (sub) this.subs[i] = sub;
  }

  /** The handler (or the cache) gave `value`: check it, store it, commit the group if this was its last vertex. */
  private produced(i: number, inputs: Record<string, unknown>, value: unknown, cached: boolean, key: string | undefined): void {
    if (!this.live) return;
    const v = this.vertices[i]!;
    this.ctxs[i] = undefined;
    if (value !== undefined && value !== null && !isRecord(value)) {
      return this.fail(i, new TypeError(`Vertex \`${v.name}\`: expected its handler to produce a record of outputs (or nothing), got ${describe(value)}`), false);
    }
    const outputs = (value ?? {}) as FlowOutputs;
    for (const read of v.reads) {
      if (!Object.prototype.hasOwnProperty.call(outputs, read.key)) {
        const reader = this.vertices[read.reader]!.name;
        return this.fail(
          i,
          new TypeError(
            `Vertex \`${v.name}\` produced no output \`${read.key}\`, which vertex \`${reader}\` reads (\`${read.input}: ${v.name}.${read.key}\`); it produced: ${Object.keys(outputs).join(', ') || 'nothing'}`,
          ),
          false,
        );
      }
    }
    if (key !== undefined && !cached) this.plan.settings.cache!.set(key, outputs);
    const g = v.group;
    const group = this.groups[g];
    const commit = group?.onFailure === 'rollback' ? this.plan.transaction.commit : undefined;
    if (commit && this.groupDone[g]!.length === group!.vertices.length - 1) {
      return this.step(i, () => commit(group!.name), () => this.complete(i, inputs, outputs, cached));
    }
    this.complete(i, inputs, outputs, cached);
  }

  private complete(i: number, inputs: Record<string, unknown>, outputs: FlowOutputs, cached: boolean): void {
    if (!this.live) return;
    const v = this.vertices[i]!;
    this.state[i] = DONE;
    this.subs[i] = undefined;
    this.outputs[i] = outputs;
    this.running--;
    this.doneAt[i] = ++this.completed;
    const g = v.group;
    if (g >= 0) {
      const done = this.groupDone[g]!;
      const group = this.groups[g]!;
      done.push(i);
      this.inputs[i] = inputs;
      if (done.length === group.vertices.length) {
        this.groupState[g] = COMMITTED;
        this.openGroups.splice(this.openGroups.indexOf(g), 1);
      }
      if (group.noParallel) {
        this.groupBusy[g] = false;
        if (this.groupWaiting[g]!.size > 0) this.ready.push(this.groupWaiting[g]!.pop());
      }
    }
    if (!this.emit({ type: 'completed', vertex: v.name, outputs, cached })) return;
    if (this.eager) {
      for (const c of v.consumers) if (--this.pending[c]! === 0) this.ready.push(this.vertices[c]!.rank);
    } else if (--this.stageLeft === 0 && this.stage + 1 < this.plan.flow.stages.length) {
      const next = this.plan.flow.stages[++this.stage]!;
      this.stageLeft = next.length;
      for (const c of next) this.ready.push(this.vertices[c]!.rank);
    }
    if (this.completed === this.vertices.length) return this.finish();
    this.pump();
  }

  private finish(): void {
    this.stopped = true;
    if (this.emit({ type: 'done', result: this.data() })) this.subscriber.complete();
  }

  /** A vertex failed: cancel the running ones, recover open groups, then error. */
  private fail(i: number, cause: unknown, prefix: boolean): void {
    if (!this.live) return;
    this.stopped = true;
    const name = this.vertices[i]!.name;
    this.subs[i] = undefined;
    this.ctxs[i] = undefined;
    if (!this.emit({ type: 'failed', vertex: name, error: cause })) return;
    this.cancelRunning();
    const errors: unknown[] = [];
    this.recover([...this.openGroups], errors, () => {
      const message = prefix ? `Vertex \`${name}\` failed: ${messageOf(cause)}` : messageOf(cause);
      this.subscriber.error(new FlowVertexError(name, message, cause, errors));
    });
  }

  private cancelRunning(): void {
    for (let i = 0; i < this.vertices.length; i++) {
      if (this.state[i] !== RUNNING) continue;
      const sub = this.subs[i];
      const ctx = this.ctxs[i];
      this.subs[i] = undefined;
      this.ctxs[i] = undefined;
      sub?.unsubscribe();
      ctx?.abort();
    }
  }

  /** Undoes the open groups, the last opened first, one after the other. */
  private recover(groups: number[], errors: unknown[], done: () => void): void {
    const g = groups.pop();
    if (g === undefined) return done();
    const group = this.groups[g]!;
    const finished = this.groupDone[g]!;
    const next = (): void => this.recover(groups, errors, done);
    if (group.onFailure === 'abort') return next();
    const names = (list: readonly number[]): string[] => list.map((i) => this.vertices[i]!.name);
    if (group.onFailure === 'rollback') {
      // Back to the data as it was when the group's first vertex started: the group's outputs and
      // those of any vertex that completed since (in parallel mode, or between two group vertices).
      const openedAt = this.groupOpenedAt[g]!;
      for (let i = 0; i < this.vertices.length; i++) if (this.doneAt[i]! > openedAt) this.outputs[i] = undefined;
      const rollback = this.plan.transaction.rollback;
      return this.hook(rollback && (() => rollback(group.name)), undefined, errors, () => {
        if (this.emit({ type: 'rolledBack', group: group.name, strategy: 'rollback', vertices: names(finished), data: this.data() })) next();
      });
    }
    const reverse = [...finished].reverse();
    const compensated: number[] = [];
    const compensate = (k: number): void => {
      const i = reverse[k];
      if (i === undefined) {
        if (this.emit({ type: 'rolledBack', group: group.name, strategy: 'compensate', vertices: names(compensated), data: this.data() })) next();
        return;
      }
      const name = this.vertices[i]!.name;
      const compensation = own(this.plan.compensations, name) as FlowCompensation | undefined;
      if (!compensation) return compensate(k + 1);
      const ctx = new FlowVertexContext(name);
      this.hook(() => compensation(this.outputs[i]!, this.inputs[i], ctx), ctx, errors, () => {
        compensated.push(i);
        this.outputs[i] = undefined;
        compensate(k + 1);
      });
    };
    compensate(0);
  }

  /** Runs a recovery hook to completion; its error is recorded and recovery goes on. */
  private hook(call: (() => FlowHookResult) | undefined, ctx: FlowVertexContext | undefined, errors: unknown[], next: () => void): void {
    if (!call || this.subscriber.closed) return next();
    this.recoveryCtx = ctx;
    const after = (): void => {
      this.recoveryCtx = undefined;
      next();
    };
    const sub = follow(call, after, (error) => {
      errors.push(error);
      after();
    });
    if (sub) this.recovery = sub;
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
    for (const i of this.plan.flow.order) {
      const outputs = this.outputs[i];
      if (outputs === undefined) continue;
      const name = this.vertices[i]!.name;
      for (const key of Object.keys(outputs)) result[`${name}.${key}`] = outputs[key];
    }
    return result;
  }

  teardown(): void {
    this.stopped = true;
    this.cancelRunning();
    this.recovery?.unsubscribe();
    this.recoveryCtx?.abort();
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
  return new Observable<FlowEvent>((subscriber) => {
    const run = new FlowRun(p, subscriber);
    run.run();
    return () => run.teardown();
  });
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
