/**
 * The simulated order-processing job of `npm run demo`, written the way a service layer would
 * use the library:
 *
 * - `pull` over a generator of order ids, so ids are produced only as slots free up;
 * - `boundedMap` with at most `limit` orders in flight;
 * - per order, `gather` (settled) of three lookups: customer, payment and shipping;
 * - every request goes through ONE `CapacityLimiter` of `rateLimit` tokens, shared with a second
 *   pipeline (an inventory sync running alongside), so the API never sees more than `rateLimit`
 *   requests at once (it would reject the excess with a 429, which the result counts);
 * - optionally a `RateLimiter` too (`npm run demo -- --per-second N`): a request holds a capacity
 *   token first and then waits for a rate grant, so it is sent the moment it is granted; with
 *   `--processes N` both limiters are shared by N processes through Redis (`demo-processes.ts`);
 * - `retryBackoff` per request: transient 503s are retried with seeded jitter, within a deadline
 *   that also ends requests the server never answers;
 * - a `scope` owns both pipelines, and progress travels over its `EventBus`;
 * - a `runFlow` DAG (`report.ts`) builds the end-of-run report.
 */
import { asyncScheduler, defer, map, merge, switchMap, takeUntil, tap, toArray, type Observable, type SchedulerLike } from 'rxjs';
import {
  CapacityLimiter,
  DeadlineError,
  RateLimiter,
  withRate,
  boundedMap,
  gather,
  pull,
  retryBackoff,
  scope,
  withCapacity,
  type Scope,
  type Settled,
} from '../lib/index.js';
import { createRecorder, traceTasks, type TaskRecord } from '../lib/devtools/index.js';
import { ApiError, FakeApi, type ApiResponse, type ApiStats, type RequestKind } from './fake-api.js';
import { randomFor } from './random.js';
import { buildReport, type OrderOutcome, type RunReport } from './report.js';

export interface OrderJobOptions {
  /** How many orders to process. */
  readonly items: number;
  /** The most orders in flight at once (the `boundedMap` limit). */
  readonly limit: number;
  /** The API's rate limit: the most requests it accepts at once, and the shared limiter's size. */
  readonly rateLimit: number;
  /** Probability that one API request fails, 0..1. */
  readonly failureRate: number;
  /** Seed of every random outcome and jitter. */
  readonly seed: number;
  /** How many requests (from the start of the run) to trace for the timeline. Default 2,000. */
  readonly traceLimit?: number;
  /** Called with the live counters after every progress event (read them, do not keep a copy). */
  readonly onProgress?: (progress: Readonly<JobProgress>) => void;
  /** The API to call; default a new in-process `FakeApi` (the shared demo passes an HTTP client of one in another process). */
  readonly api?: Api;
  /** The limiter every request holds a token of; default `new CapacityLimiter(rateLimit)` (the shared demo passes one on Redis). */
  readonly limiter?: CapacityLimiter;
  /** A rate limit every request waits for after its token; default none. */
  readonly rate?: RateLimiter;
  /** The first order id (default 1): processes sharing one API take distinct ids. */
  readonly firstId?: number;
}

/** What the job needs of the API: `FakeApi`, or a client of one. */
export interface Api {
  request(kind: RequestKind, id: number, attempt: number): Observable<ApiResponse>;
  readonly stats: ApiStats;
}

/** Live counters, kept up to date by the job's progress subscriber on the scope's event bus. */
export interface JobProgress {
  readonly items: number;
  started: number;
  succeeded: number;
  failed: number;
  /** Retries of order lookups (an order whose payment took 3 attempts adds 2). */
  retried: number;
  /** Orders started and not yet finished. */
  inFlight: number;
  peakInFlight: number;
  /** The API's live figures (requests in flight right now, …). */
  readonly api: Readonly<ApiStats>;
  /** When the job started, `performance.now()` ms. */
  readonly startedAt: number;
}

export interface InventoryStats {
  /** Inventory sync requests that succeeded / failed for good; retries made. */
  synced: number;
  failed: number;
  retried: number;
}

export interface OrderJobResult {
  readonly options: Required<Omit<OrderJobOptions, 'onProgress' | 'api' | 'limiter' | 'rate' | 'firstId'>>;
  readonly report: RunReport;
  readonly progress: Readonly<JobProgress>;
  readonly api: Readonly<ApiStats>;
  readonly inventory: Readonly<InventoryStats>;
  /** From the first order to the last, ms (the report is not included). */
  readonly wallMs: number;
  /** One record per traced API request (the first `traceLimit` of the run), times in ms. */
  readonly timeline: readonly TaskRecord[];
}

// Retry policy of every request: 4 attempts, 10 → 20 → 40 ms (+ up to 50 % seeded jitter), and a
// deadline far above what a healthy request takes (the slowest successful orders take ~200 ms) that
// ends a request the server never answers.
const ATTEMPTS = 4;
const BASE_DELAY = 10;
const MAX_DELAY = 80;
const JITTER = 0.5;
export const REQUEST_DEADLINE = 1_000;
/** Inventory syncs in flight at once, alongside the orders. */
const INVENTORY_CONCURRENCY = 2;

// Progress events, sent on the job scope's bus.
export class OrderStarted {
  constructor(readonly id: number) {}
}
export class OrderSucceeded {
  constructor(readonly id: number, readonly ms: number) {}
}
export class OrderFailed {
  constructor(readonly id: number, readonly ms: number, readonly cause: string) {}
}
export class RequestRetried {
  constructor(readonly kind: RequestKind, readonly id: number, readonly retry: number, readonly error: unknown) {}
}
/** Sent once the last order is done: the inventory sync stops on it. */
export class OrdersFinished {}

/** The order ids, made only when `pull` asks for the next one. */
function* orderIds(count: number, first: number): Generator<number> {
  for (let id = first; id < first + count; id++) yield id;
}

/** Inventory sync numbers, for as long as the orders last. */
function* syncIds(): Generator<number> {
  for (let n = 1; ; n++) yield n;
}

/** Times requests with `performance.now()`, for sub-millisecond bars on the timeline. */
const preciseClock: SchedulerLike = {
  now: () => performance.now(),
  schedule: asyncScheduler.schedule.bind(asyncScheduler) as SchedulerLike['schedule'],
};

/** Runs the job: cold, each subscription is a fresh run with its own API, limiter and bus. */
export function orderJob(options: OrderJobOptions): Observable<OrderJobResult> {
  return defer(() => {
    const { items, limit, rateLimit, failureRate, seed, traceLimit = 2_000, onProgress, rate } = options;
    const api = options.api ?? new FakeApi({ seed, failureRate, rateLimit });
    const limiter = options.limiter ?? new CapacityLimiter(rateLimit); // ONE limiter, shared by both pipelines below
    const recorder = createRecorder({ scheduler: preciseClock });
    const inventory: InventoryStats = { synced: 0, failed: 0, retried: 0 };
    const progress: JobProgress = {
      items,
      started: 0,
      succeeded: 0,
      failed: 0,
      retried: 0,
      inFlight: 0,
      peakInFlight: 0,
      api: api.stats,
      startedAt: performance.now(),
    };
    let traced = 0;

    /** Traces the first `traceLimit` requests of the run, placed inside the limiter: a bar is a held token. */
    const trace = (request: Observable<ApiResponse>, label: string): Observable<ApiResponse> =>
      traced++ < traceLimit ? request.pipe(traceTasks(recorder, label)) : request;

    /** The retry policy; jitter comes from the request's own seeded stream. */
    const retry = (s: Scope, kind: RequestKind, id: number) =>
      retryBackoff<ApiResponse>({
        attempts: ATTEMPTS,
        baseDelay: BASE_DELAY,
        maxDelay: MAX_DELAY,
        jitter: JITTER,
        deadline: REQUEST_DEADLINE,
        retryOn: (error) => error instanceof ApiError && error.retryable,
        random: randomFor(seed, kind, id, 'jitter'),
        onRetry: (error, k) => s.send(new RequestRetried(kind, id, k, error)),
      });

    /**
     * One attempt of a request: a token of the shared limiter first, then (with a rate limit) a
     * grant, so the request goes out the moment it is granted and the API sees the rate as granted.
     */
    const limited = (request: Observable<ApiResponse>): Observable<ApiResponse> =>
      (rate === undefined ? request : request.pipe(withRate(rate))).pipe(withCapacity(limiter));

    /** One lookup of an order: each attempt waits for a token of the shared limiter. */
    const lookUp = (s: Scope, kind: RequestKind, id: number): Observable<ApiResponse> => {
      let attempt = 0;
      return limited(
        defer(() => {
          attempt++;
          return trace(api.request(kind, id, attempt), `order ${id} ${kind}, attempt ${attempt}`);
        }),
      ).pipe(
          retry(s, kind, id),
          tap({ error: (error: unknown) => annotate(error, attempt) }),
        );
    };

    /** One order: its three lookups at once, settled, so one failure does not hide the others. */
    const processOrder = (s: Scope, id: number): Observable<OrderOutcome> =>
      defer(() => {
        const start = performance.now();
        s.send(new OrderStarted(id));
        return gather(
          { customer: lookUp(s, 'customer', id), payment: lookUp(s, 'payment', id), shipping: lookUp(s, 'shipping', id) },
          { settle: true },
        ).pipe(
          map((lookups): OrderOutcome => {
            const ms = performance.now() - start;
            const causes = (Object.entries(lookups) as [RequestKind, Settled<ApiResponse>][]).flatMap(([kind, settled]) =>
              settled.status === 'rejected' ? [`${kind}: ${describeFailure(settled.reason)}`] : [],
            );
            return causes.length === 0 ? { id, ok: true, ms } : { id, ok: false, ms, cause: causes[0]!, causes };
          }),
          tap((o) => s.send(o.ok ? new OrderSucceeded(id, o.ms) : new OrderFailed(id, o.ms, o.cause ?? ''))),
        );
      });

    /** The second pipeline on the same limiter: inventory syncs, until the orders are done. */
    const inventorySync = (s: Scope): Observable<unknown> =>
      pull(syncIds).pipe(
        boundedMap(
          (n) => {
            let attempt = 0;
            return limited(
              defer(() => {
                attempt++;
                return trace(api.request('inventory', n, attempt), `inventory sync ${n}, attempt ${attempt}`);
              }),
            ).pipe(retry(s, 'inventory', n));
          },
          INVENTORY_CONCURRENCY,
          { ordered: false, settle: true },
        ),
        tap((r) => void (r.status === 'fulfilled' ? inventory.synced++ : inventory.failed++)),
        takeUntil(s.on(OrdersFinished)),
      );

    /** Keeps `progress` up to date from the bus. */
    const tally = (s: Scope): Observable<unknown> =>
      merge(s.on(OrderStarted), s.on(OrderSucceeded), s.on(OrderFailed), s.on(RequestRetried)).pipe(
        tap((event) => {
          if (event instanceof OrderStarted) {
            progress.started++;
            progress.inFlight++;
            progress.peakInFlight = Math.max(progress.peakInFlight, progress.inFlight);
          } else if (event instanceof OrderSucceeded) {
            progress.succeeded++;
            progress.inFlight--;
          } else if (event instanceof OrderFailed) {
            progress.failed++;
            progress.inFlight--;
          } else if (event.kind === 'inventory') {
            inventory.retried++;
          } else {
            progress.retried++;
          }
          onProgress?.(progress);
        }),
      );

    return scope('order-job', (s) => {
      s.spawn(tally(s)); // a subscriber loop: it ends when the body does (the bus closes)
      s.spawn(inventorySync(s));
      return pull(() => orderIds(items, options.firstId ?? 1)).pipe(
        boundedMap((id) => processOrder(s, id), limit, { ordered: false }),
        toArray(),
        tap(() => s.send(new OrdersFinished())),
      );
    }).pipe(
      switchMap((outcomes) => {
        const wallMs = performance.now() - progress.startedAt;
        return buildReport(outcomes).pipe(
          map(
            (report): OrderJobResult => ({
              options: { items, limit, rateLimit, failureRate, seed, traceLimit },
              report,
              progress,
              api: api.stats,
              inventory,
              wallMs,
              timeline: recorder.records,
            }),
          ),
        );
      }),
    );
  });
}

/** How many attempts a failed request made, for the report. */
const attemptsMade = new WeakMap<object, number>();

function annotate(error: unknown, attempts: number): void {
  if (typeof error === 'object' && error !== null) attemptsMade.set(error, attempts);
}

/** `422 card declined`, `503 service unavailable (gave up after 4 attempts)`, `no answer within 1000 ms`. */
export function describeFailure(error: unknown): string {
  if (error instanceof DeadlineError) return `no answer within ${REQUEST_DEADLINE} ms`;
  if (error instanceof ApiError) {
    return error.retryable && attemptsMade.get(error) === ATTEMPTS ? `${error.message} (gave up after ${ATTEMPTS} attempts)` : error.message;
  }
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
