/**
 * The end-of-run report as a small `runFlow` DAG. Three vertices read the order outcomes and run
 * at once (the flow sees that they do not depend on each other); `report` waits for all three:
 *
 *   input.orders ─┬─ totals ───┐
 *                 ├─ latency ──┼─ report
 *                 └─ slowest ──┘
 */
import { map, type Observable } from 'rxjs';
import { executionStages, runFlowResult, type FlowSpec } from '../lib/flow/index.js';

/** How one order ended. */
export interface OrderOutcome {
  readonly id: number;
  readonly ok: boolean;
  /** From the order's start to its end, in ms. */
  readonly ms: number;
  /** For a failed order: the first lookup (customer, payment, shipping) that failed and why, e.g. `payment: 422 card declined`. */
  readonly cause?: string;
  /** For a failed order: every lookup that failed. */
  readonly causes?: readonly string[];
}

export interface LatencyStats {
  readonly count: number;
  readonly mean: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

export interface RunReport {
  readonly succeeded: number;
  readonly failed: number;
  /** Failed orders per cause, most frequent first. */
  readonly causes: readonly (readonly [cause: string, count: number])[];
  /** Latency of every order, succeeded or failed. */
  readonly latency: LatencyStats;
  /** The slowest orders, slowest first. */
  readonly slowest: readonly OrderOutcome[];
  /** The stages the flow ran, for the curious: `[['latency', 'slowest', 'totals'], ['report']]`. */
  readonly stages: readonly (readonly string[])[];
}

export const REPORT_FLOW: FlowSpec = {
  flow: {
    totals: { effect: 'pure', inputs: { orders: 'input.orders' }, outputs: ['succeeded', 'failed', 'causes'] },
    latency: { effect: 'pure', inputs: { orders: 'input.orders' }, outputs: ['stats'] },
    slowest: { effect: 'pure', inputs: { orders: 'input.orders', count: 'input.slowestCount' }, outputs: ['orders'] },
    report: {
      inputs: {
        succeeded: 'totals.succeeded',
        failed: 'totals.failed',
        causes: 'totals.causes',
        latency: 'latency.stats',
        slowest: 'slowest.orders',
      },
      outputs: ['report'],
    },
  },
};

const handlers = {
  totals: ({ orders }: { orders: readonly OrderOutcome[] }) => {
    const causes = new Map<string, number>();
    let succeeded = 0;
    for (const o of orders) {
      if (o.ok) succeeded++;
      else causes.set(o.cause ?? 'unknown', (causes.get(o.cause ?? 'unknown') ?? 0) + 1);
    }
    return {
      succeeded,
      failed: orders.length - succeeded,
      causes: [...causes].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
    };
  },
  latency: ({ orders }: { orders: readonly OrderOutcome[] }) => ({ stats: latencyStats(orders.map((o) => o.ms)) }),
  slowest: ({ orders, count }: { orders: readonly OrderOutcome[]; count: number }) => ({
    orders: [...orders].sort((a, b) => b.ms - a.ms || a.id - b.id).slice(0, count),
  }),
  report: (inputs: Omit<RunReport, 'stages'>) => ({ report: { ...inputs, stages: executionStages(REPORT_FLOW) } }),
};

/** Runs the report flow over the outcomes (its vertices in parallel) and emits the report. */
export function buildReport(orders: readonly OrderOutcome[], slowestCount = 3): Observable<RunReport> {
  return runFlowResult(REPORT_FLOW, {
    handlers,
    initialData: { orders, slowestCount },
    parallel: true,
    cache: false,
  }).pipe(map((result) => result['report.report'] as RunReport));
}

/** Mean and nearest-rank percentiles. */
export function latencyStats(values: readonly number[]): LatencyStats {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number): number => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    mean: sorted.length === 0 ? 0 : sum / sorted.length,
    p50: rank(50),
    p95: rank(95),
    p99: rank(99),
    max: sorted[sorted.length - 1] ?? 0,
  };
}
