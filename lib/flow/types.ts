import type { ObservableInput } from 'rxjs';
import type { TaskContext } from '../types.js';

/** `pure` vertices may be cached (same handler, same inputs → same outputs); `side_effect` ones never are. */
export type FlowEffect = 'pure' | 'side_effect';

/** What a vertex produces: named outputs that other vertices bind to as `VERTEX.KEY`. */
export type FlowOutputs = Record<string, unknown>;

/** The flat data of a flow: `input.KEY` for the initial data and `VERTEX.KEY` for every output. */
export type FlowResult = Record<string, unknown>;

/**
 * What a handler receives besides its inputs: its vertex's name and a lazily created `signal`
 * (aborted when the vertex is cancelled: another vertex failed, or the consumer unsubscribed).
 *
 * @example
 * ```ts
 * const load: FlowHandler = ({ id }, ctx) => fetch(`/items/${id}`, { signal: ctx.signal }).then(async (r) => ({ [ctx.vertex]: await r.json() }));
 * ```
 */
export interface FlowContext extends TaskContext {
  /** The name of the vertex being run. */
  readonly vertex: string;
}

/** What a handler may return: a record of outputs, nothing, or any ObservableInput of them (its last value counts). */
export type FlowHandlerResult = FlowOutputs | void | ObservableInput<FlowOutputs | void>;

/**
 * The work of a vertex. `inputs` holds the vertex's bindings by name (typed `any` because the
 * graph is data, often YAML); the result is its outputs: a plain record, a Promise of one, or an
 * Observable whose last value is one. `ctx.signal` aborts if the vertex is cancelled.
 *
 * @example
 * ```ts
 * const fetchUser: FlowHandler = ({ id }, { signal }) => fetch(`/users/${id}`, { signal }).then(async (r) => ({ user: await r.json() }));
 * const count: FlowHandler = ({ orders }) => ({ total: orders.length });
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type FlowHandler = (inputs: any, ctx: FlowContext) => FlowHandlerResult;

/**
 * One vertex of a {@link FlowSpec}.
 *
 * @example
 * ```ts
 * const report: FlowVertexSpec = { handler: 'render', inputs: { user: 'fetch_user.user' }, outputs: ['text'] };
 * ```
 */
export interface FlowVertexSpec {
  /** The name of its handler in `runFlow`'s `handlers` (default: the vertex name), or the function itself. */
  handler?: string | FlowHandler | undefined;
  /** `pure` (cacheable) or `side_effect` (default). */
  effect?: FlowEffect | undefined;
  /** Input name → `input.KEY` (initial data) or `VERTEX.KEY` (another vertex's output, which makes an edge). */
  inputs?: Record<string, string> | undefined;
  /** The keys this vertex produces, when declared: bindings to other keys are definition errors. */
  outputs?: readonly string[] | undefined;
}

/** What an atomic group does when one of its vertices (or the flow, while the group is open) fails. */
export type FlowFailurePolicy = 'rollback' | 'compensate' | 'abort';

/**
 * An atomic group of a {@link FlowSpec}: its vertices run one at a time and are undone together
 * (by `on_failure`) if the flow fails while the group is open.
 *
 * @example
 * ```ts
 * const payment: FlowAtomicGroupSpec = { vertices: ['reserve', 'charge', 'confirm'], on_failure: 'compensate' };
 * ```
 */
export interface FlowAtomicGroupSpec {
  /** Its vertices; a vertex belongs to at most one group. */
  vertices: readonly string[];
  /** Default `rollback`. */
  on_failure?: FlowFailurePolicy | undefined;
  /** Run the group's vertices one at a time even in parallel mode (default `true`). */
  no_parallel?: boolean | undefined;
  /** Never cache the group's vertices (default `true`; `false` lets its pure vertices be cached). */
  no_cache?: boolean | undefined;
}

/**
 * A flow: vertices keyed by name, and optional atomic groups. The same shape as the YAML that
 * `parseFlow` reads (snake_case keys included), so the two forms convert one to one.
 *
 * @example
 * ```ts
 * const spec: FlowSpec = {
 *   flow: {
 *     fetch_user: { handler: 'fetchUser', effect: 'pure', inputs: { id: 'input.userId' } },
 *     report: { inputs: { user: 'fetch_user.user' } },
 *   },
 *   atomic_groups: { audit: { vertices: ['report'], on_failure: 'abort' } },
 * };
 * ```
 */
export interface FlowSpec {
  flow: Record<string, FlowVertexSpec | null>;
  atomic_groups?: Record<string, FlowAtomicGroupSpec> | undefined;
}

/** How parallel mode starts vertices: as soon as their inputs exist, or stage by stage. */
export type FlowSchedule = 'eager' | 'stages';

/**
 * A cache for pure vertices' outputs (synchronous). `cache: true` uses an in-memory one shared by all flows.
 *
 * @example
 * ```ts
 * const lru = new Map<string, FlowOutputs>();
 * const store: FlowCacheStore = { get: (k) => lru.get(k), set: (k, v) => void lru.set(k, v) };
 * runFlow(spec, { handlers, cache: store });
 * ```
 */
export interface FlowCacheStore {
  get(key: string): FlowOutputs | undefined;
  set(key: string, outputs: FlowOutputs): void;
}

/**
 * Settings that per-call options, `configureFlows` and the environment can all give.
 *
 * @example
 * ```ts
 * const settings: FlowSettings = { parallel: true, maxWorkers: 8, schedule: 'stages' };
 * configureFlows(settings);
 * ```
 */
export interface FlowSettings {
  /** Run several vertices at once (default `false`: one at a time, in a deterministic order). */
  parallel?: boolean | undefined;
  /** At most this many vertices at once in parallel mode (default 4; `Infinity` allowed). */
  maxWorkers?: number | undefined;
  /** `eager` (default) or `stages`. */
  schedule?: FlowSchedule | undefined;
  /** Cache pure vertices: `true` (shared in-memory store), `false` (default) or your store. */
  cache?: boolean | FlowCacheStore | undefined;
}

/** What a transaction hook or compensation returns: nothing, or work to wait for. */
export type FlowHookResult = void | ObservableInput<unknown>;

/**
 * Called around atomic groups whose `on_failure` is `rollback`. Each may return work to wait for.
 *
 * @example
 * ```ts
 * const transaction: FlowTransactionHooks = {
 *   begin: () => db.query('BEGIN'), commit: () => db.query('COMMIT'), rollback: () => db.query('ROLLBACK'),
 * };
 * ```
 */
export interface FlowTransactionHooks {
  /** Before the group's first vertex starts; no vertex of the group starts before it is done. */
  begin?: ((group: string) => FlowHookResult) | undefined;
  /** After the group's last vertex produced its outputs (before it counts as completed). */
  commit?: ((group: string) => FlowHookResult) | undefined;
  /** After a failure while the group was open, once running vertices are cancelled and the data restored to what it was before the group. */
  rollback?: ((group: string) => FlowHookResult) | undefined;
}

/**
 * Undoes a completed vertex of a `compensate` group: gets its outputs and inputs.
 *
 * @example
 * ```ts
 * const compensations: Record<string, FlowCompensation> = { charge: ({ paymentId }) => refund(paymentId) };
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type FlowCompensation = (outputs: FlowOutputs, inputs: any, ctx: FlowContext) => FlowHookResult;

/**
 * Options of `runFlow` and `runFlowResult`. The settings among them (`parallel`, `maxWorkers`,
 * `schedule`, `cache`) override `configureFlows` and the environment.
 *
 * @example
 * ```ts
 * const options: RunFlowOptions = { handlers: { fetchUser }, initialData: { userId: 42 }, parallel: true, maxWorkers: 8 };
 * ```
 */
export interface RunFlowOptions extends FlowSettings {
  /** Handlers by name (a vertex's `handler`, default its own name). */
  handlers?: Record<string, FlowHandler> | undefined;
  /** The data that `input.KEY` bindings read. */
  initialData?: Record<string, unknown> | undefined;
  /** Hooks around `rollback` groups. */
  transaction?: FlowTransactionHooks | undefined;
  /**
   * An outside cancellation signal: when it aborts, the run is cancelled as if unsubscribed
   * (running handlers' signals abort, no vertex starts) and errors with `signal.reason`.
   */
  signal?: AbortSignal | undefined;
  /** Compensations by vertex name, for `compensate` groups. */
  compensations?: Record<string, FlowCompensation> | undefined;
}

/** A vertex started (its handler is being called). Cache hits have no `started` event. */
export interface FlowStartedEvent {
  readonly type: 'started';
  readonly vertex: string;
  readonly inputs: Record<string, unknown>;
}

/** A vertex completed, from its handler or (`cached: true`) from the cache. */
export interface FlowCompletedEvent {
  readonly type: 'completed';
  readonly vertex: string;
  readonly outputs: FlowOutputs;
  readonly cached: boolean;
}

/** A vertex failed; running vertices are being cancelled and the flow will error. */
export interface FlowFailedEvent {
  readonly type: 'failed';
  readonly vertex: string;
  readonly error: unknown;
}

/**
 * An open atomic group was undone after a failure. `strategy: 'rollback'` restored the flow's
 * data to what it was before the group's first vertex started (removing the outputs of
 * `vertices`, the group's completed vertices, and of any other vertex that completed since) and
 * called the `rollback` hook; `'compensate'` ran the compensations of `vertices` (completed ones,
 * in reverse completion order) and removed their outputs. `data` is the flow's data afterwards.
 */
export interface FlowRolledBackEvent {
  readonly type: 'rolledBack';
  readonly group: string;
  readonly strategy: 'rollback' | 'compensate';
  readonly vertices: readonly string[];
  readonly data: FlowResult;
}

/** The last event: every vertex completed; `result` is the flat data. */
export interface FlowDoneEvent {
  readonly type: 'done';
  readonly result: FlowResult;
}

/**
 * What `runFlow` emits: `started` / `completed` per vertex, `failed` and `rolledBack` on a
 * failure (before the error), and last `done` with the flat result.
 *
 * @example
 * ```ts
 * runFlow(spec, options).subscribe((e) => { if (e.type === 'completed') console.log(e.vertex, e.cached); });
 * ```
 */
export type FlowEvent = FlowStartedEvent | FlowCompletedEvent | FlowFailedEvent | FlowRolledBackEvent | FlowDoneEvent;
