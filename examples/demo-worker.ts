/**
 * One process of `npm run demo -- --processes N` (see demo-processes.ts): runs its share of the
 * orders with a CapacityLimiter and a RateLimiter shared with the other processes through Redis,
 * against the fake API the parent serves over IPC (shared-api.ts), and sends its result to the parent.
 */
import { Redis } from 'ioredis';
import { lastValueFrom } from 'rxjs';
import { CapacityLimiter, RateLimiter } from '../lib/index.js';
import { redisCapacity, redisRate } from '../lib/redis/index.js';
import { orderJob } from './order-job.js';
import { ipcApi } from './shared-api.js';

export interface WorkerJob {
  readonly redisUrl: string;
  readonly firstId: number;
  readonly items: number;
  readonly limit: number;
  readonly rateLimit: number;
  readonly perSecond: number;
  readonly failureRate: number;
  readonly seed: number;
}

export interface WorkerResult {
  readonly items: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly retried: number;
  readonly peakInFlight: number;
  readonly wallMs: number;
  readonly causes: readonly (readonly [string, number])[];
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '{}') as WorkerJob;
  const client = new Redis(job.redisUrl);
  const capacity = redisCapacity(client, { key: 'demo-api' });
  // The same two limiters in every process: the API's limits hold across all of them.
  const limiter = new CapacityLimiter(job.rateLimit, { store: capacity });
  const rate = new RateLimiter({ limit: job.perSecond, interval: 1000, store: redisRate(client, { key: 'demo-api' }) });
  const result = await lastValueFrom(
    orderJob({ ...job, traceLimit: 0, api: ipcApi(job.rateLimit), limiter, rate }),
  );
  const summary: WorkerResult = {
    items: job.items,
    succeeded: result.report.succeeded,
    failed: result.report.failed,
    retried: result.progress.retried,
    peakInFlight: result.progress.peakInFlight,
    wallMs: result.wallMs,
    causes: result.report.causes,
  };
  process.send?.({ api: 'done', summary }, () => {
    void capacity.close().then(() => {
      client.disconnect();
      process.exit(0);
    });
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
