/**
 * `npm run demo -- --processes N`: the order job in N real processes that share ONE
 * CapacityLimiter and ONE RateLimiter through a local redis-server (`rxjs-concurrency/redis`),
 * against ONE fake API in this process, which they call over IPC (shared-api.ts). The API rejects a request
 * beyond its limit of requests at once with a 429, across all processes: the summary shows its
 * peak equal to the limit and 0 rejected, and the busiest second within the rate limit.
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { startRedisServer } from '../spec/support/redis-server.js';
import { SHARED_PER_SECOND, type DemoOptions } from './cli.js';
import type { WorkerJob, WorkerResult } from './demo-worker.js';
import { FakeApi } from './fake-api.js';
import { RateMeter, serveApi } from './shared-api.js';

const n = (x: number): string => x.toLocaleString('en-US');

export async function runProcesses(options: DemoOptions, log: (text: string) => void): Promise<void> {
  const { items, limit, rateLimit, failureRate, seed, processes } = options;
  const perSecond = options.perSecond ?? SHARED_PER_SECOND;
  const redis = await startRedisServer();
  const api = new FakeApi({ seed, failureRate, rateLimit });
  const meter = new RateMeter();
  const started = performance.now();
  try {
    log(`redis-server on ${redis.url}, the fake API in this process; ${processes} processes share one CapacityLimiter(${rateLimit}) and one RateLimiter(${n(perSecond)}/s)\n`);
    const share = Math.ceil(items / processes);
    const perProcessLimit = Math.max(1, Math.ceil(limit / processes));
    const jobs: WorkerJob[] = [];
    for (let p = 0, first = 1; first <= items; p++, first += share) {
      jobs.push({ redisUrl: redis.url, firstId: first, items: Math.min(share, items - first + 1), limit: perProcessLimit, rateLimit, perSecond, failureRate, seed });
    }
    const results = await Promise.all(
      jobs.map(
        (job, p) =>
          new Promise<WorkerResult>((resolve, reject) => {
            const child = fork(join(__dirname, 'demo-worker.ts'), [JSON.stringify(job)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
            // The gateway ends a request the fake server never answers after 250 ms (a 504),
            // well before the client's deadline (REQUEST_DEADLINE) would cut it.
            serveApi(api, child, meter, 250);
            child.on('message', (message: { api: string; summary?: WorkerResult }) => {
              if (message.api !== 'done') return;
              const result = message.summary!;
              log(`process ${p + 1} (pid ${child.pid}): orders ${job.firstId}–${job.firstId + job.items - 1} done in ${(result.wallMs / 1000).toFixed(2)} s, ${n(result.succeeded)} succeeded, ${n(result.failed)} failed\n`);
              resolve(result);
            });
            child.once('exit', (code) => reject(new Error(`demo process ${p + 1} exited with code ${code} before its result`)));
          }),
      ),
    );
    const wallMs = performance.now() - started;
    const stats = api.stats;
    const sum = (key: 'succeeded' | 'failed' | 'retried') => results.reduce((a, r) => a + r[key], 0);
    const rows: [string, string, string][] = [
      ['processes', n(results.length), `${n(perProcessLimit)} orders in flight each (--limit ${n(limit)} split)`],
      ['orders', n(items), `seed ${seed}`],
      ['succeeded', n(sum('succeeded')), ''],
      ['failed', n(sum('failed')), ''],
      ['retries', n(sum('retried')), 'transient 503s, retried with backoff'],
      ['peak API requests', n(stats.peakInFlight), `at once, across all processes: limit ${n(rateLimit)}; ${n(stats.rejected)} rejected with 429`],
      ['busiest second', n(meter.peak), `API requests in any 1 s window at the API; rate limit ${n(perSecond)}/s`],
      ['API requests', n(stats.requests), `${n(stats.hung)} never answered (a 504 from the gateway)`],
      ['wall time', `${(wallMs / 1000).toFixed(2)} s`, 'including starting the processes'],
    ];
    const causes = new Map<string, number>();
    for (const r of results) for (const [cause, count] of r.causes) causes.set(cause, (causes.get(cause) ?? 0) + count);
    if (causes.size > 0) rows.push(['failed by cause', '', [...causes].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([c, k]) => `${c} ×${n(k)}`).join('; ')]);
    const w0 = Math.max(...rows.map((r) => r[0].length));
    const w1 = Math.max(...rows.map((r) => r[1].length));
    log('');
    process.stdout.write(`\n${rows.map(([a, b, c]) => `  ${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`.trimEnd()).join('\n')}\n`);
    const fields: [string, number][] = [
      ['processes', results.length],
      ['items', items],
      ['succeeded', sum('succeeded')],
      ['failed', sum('failed')],
      ['retried', sum('retried')],
      ['peak_api', stats.peakInFlight],
      ['rate_limit', rateLimit],
      ['rejected', stats.rejected],
      ['peak_per_second', meter.peak],
      ['per_second', perSecond],
      ['requests', stats.requests],
      ['wall_ms', Math.round(wallMs)],
    ];
    process.stdout.write(`summary: ${fields.map(([k, v]) => `${k}=${v}`).join(' ')}\n`);
  } finally {
    await redis.stop();
  }
}
