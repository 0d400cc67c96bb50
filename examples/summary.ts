/** The end-of-run output: a table for people and one `summary:` line for scripts. */
import type { TaskRecord } from '../lib/devtools/index.js';
import { REQUEST_DEADLINE, type OrderJobResult } from './order-job.js';

const n = (x: number): string => x.toLocaleString('en-US');
const pct = (part: number, whole: number): string => `${whole === 0 ? '0.0' : ((100 * part) / whole).toFixed(1)} %`;
const ms = (x: number): string => `${x < 10 ? x.toFixed(1) : Math.round(x)} ms`;

/** The summary table. Every figure is measured during the run. */
export function formatSummary(result: OrderJobResult): string {
  const { options, report, progress, api, inventory, wallMs } = result;
  const items = options.items;
  const { latency } = report;
  const rows: [string, string, string][] = [
    ['orders', n(items), `3 lookups each (customer, payment, shipping), seed ${options.seed}`],
    ['succeeded', n(report.succeeded), pct(report.succeeded, items)],
    ['failed', n(report.failed), pct(report.failed, items)],
    ['retries', n(progress.retried), 'transient 503s, retried with backoff'],
    ['peak orders in flight', n(progress.peakInFlight), `limit ${n(options.limit)} (--limit)`],
    [
      'peak API requests',
      n(api.peakInFlight),
      `rate limit ${n(options.rateLimit)}; ${n(api.rejected)} rejected with 429`,
    ],
    ['API requests', n(api.requests), `${n(api.hung)} never answered (cut by the ${n(REQUEST_DEADLINE)} ms deadline)`],
    ['inventory syncs', n(inventory.synced + inventory.failed), 'a second pipeline on the same limiter'],
    ['wall time', `${(wallMs / 1000).toFixed(2)} s`, ''],
    ['throughput', `${n(Math.round(items / (wallMs / 1000)))}`, 'orders/s'],
    ['order latency', ms(latency.p50), `p50; p95 ${ms(latency.p95)}, p99 ${ms(latency.p99)}, max ${ms(latency.max)}`],
  ];
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  const lines = rows.map(([label, value, note]) => `  ${label.padEnd(w0)}  ${value.padStart(w1)}  ${note}`.trimEnd());
  if (report.causes.length > 0) {
    lines.push('', '  failed orders by cause:');
    const wc = Math.max(...report.causes.map(([cause]) => cause.length));
    for (const [cause, count] of report.causes) lines.push(`    ${cause.padEnd(wc)}  ${n(count).padStart(w1)}`);
  }
  if (report.slowest.length > 0) {
    lines.push('', '  slowest orders:');
    for (const o of report.slowest) lines.push(`    order ${String(o.id).padEnd(6)} ${ms(o.ms).padStart(9)}  ${o.ok ? 'ok' : (o.causes ?? [o.cause]).join('; ')}`);
  }
  const stages = report.stages.map((stage) => stage.join(' + ')).join(' → ');
  lines.push('', `  (this report was built by a runFlow DAG: ${stages}; the vertices joined by + ran in parallel)`);
  return lines.join('\n') + '\n';
}

/** One machine-readable line: `summary: items=5000 succeeded=4861 failed=139 retried=598 …`. */
export function summaryLine(result: OrderJobResult): string {
  const { options, report, progress, api, wallMs } = result;
  const fields: [string, number][] = [
    ['items', options.items],
    ['succeeded', report.succeeded],
    ['failed', report.failed],
    ['retried', progress.retried],
    ['peak_in_flight', progress.peakInFlight],
    ['limit', options.limit],
    ['peak_api', api.peakInFlight],
    ['rate_limit', options.rateLimit],
    ['rejected', api.rejected],
    ['requests', api.requests],
    ['traced', result.timeline.length],
    ['seed', options.seed],
    ['wall_ms', Math.round(wallMs)],
    ['per_s', Math.round(options.items / (wallMs / 1000))],
  ];
  return `summary: ${fields.map(([k, v]) => `${k}=${v}`).join(' ')}`;
}

/** The records of tasks that started in the first `windowMs` of the trace. */
export function firstMilliseconds(records: readonly TaskRecord[], windowMs: number): TaskRecord[] {
  if (records.length === 0) return [];
  const origin = Math.min(...records.map((r) => r.start));
  return records.filter((r) => r.start < origin + windowMs);
}
