/**
 * A child process for the multi-process Redis specs (spec/redis-*.spec.ts), started by
 * `startWorker()` with `node --import tsx`. It gets its job as JSON in argv[2], talks to the
 * parent over IPC (`process.send`) and exits when its job is done (or is killed by the test).
 *
 * Jobs:
 * - `pipelines`: `pipelines` pipelines of `tasks` tasks each on a shared `CapacityLimiter(total)`;
 *   each task counts itself in flight on the counter server (INCR/DECR `inflight`, the peak in
 *   `peak`) and records its id (SADD `ran`). Store errors are retried after 100 ms and counted. With `longMs`, the first task of the
 *   first pipeline takes that long (and says `long` when it starts).
 * - `rate`: `concurrency` pipelines asking a shared `RateLimiter` for grants for `durationMs`;
 *   reports the server time of every grant the store received.
 * - `hold`: takes `count` tokens and holds them forever, reporting each grant.
 * - `waits`: `count` requests at once for tasks of `taskMs` (with `go`: once the parent sends a
 *   message, so that its start does not depend on how fast the process loads), reporting each
 *   one's wait, when the requests were made and when each was granted (`performance.timeOrigin +
 *   performance.now()`: the same clock in every process of the machine).
 */
import { Redis } from 'ioredis';
import { concatMap, defer, lastValueFrom, merge, range, retry, timer, toArray } from 'rxjs';
import { CapacityLimiter, RateLimiter } from '../../lib/index';
import { redisCapacity, redisRate } from '../../lib/redis/index';

export type Job =
  | { kind: 'pipelines'; url: string; counterUrl: string; key: string; total: number; pipelines: number; tasks: number; minMs: number; maxMs: number; leaseMs?: number; timeout?: number; longMs?: number; name: string }
  | { kind: 'rate'; url: string; key: string; limit: number; interval: number; concurrency: number; durationMs: number }
  | { kind: 'hold'; url: string; key: string; total: number; count: number; leaseMs: number }
  | { kind: 'waits'; url: string; key: string; total: number; count: number; taskMs: number; go?: boolean };

/** What a worker tells its parent. */
export type Report =
  | { type: 'ready' }
  | { type: 'granted'; at: number }
  | { type: 'long'; at: number }
  | { type: 'error'; name: string; message: string; at: number }
  | { type: 'done'; result: unknown };

const job = JSON.parse(process.argv[2] ?? '{}') as Job;
const send = (report: Report): void => {
  process.send?.(report);
};
const client = new Redis(job.url, { retryStrategy: () => 50, maxRetriesPerRequest: null });
client.on('error', () => undefined);

async function main(): Promise<unknown> {
  switch (job.kind) {
    case 'pipelines': {
      const counter = new Redis(job.counterUrl);
      const store = redisCapacity(client, { key: job.key, ...(job.leaseMs === undefined ? {} : { leaseMs: job.leaseMs }), ...(job.timeout === undefined ? {} : { timeout: job.timeout }) });
      const limiter = new CapacityLimiter(job.total, { store });
      let ran = 0;
      let storeErrors = 0;
      const errors: string[] = [];
      const task = (id: string) =>
        defer(() =>
          limiter.run(async () => {
            const now = await counter.incr('inflight');
            await counter.eval("local p = tonumber(redis.call('GET', KEYS[1]) or '0'); if tonumber(ARGV[1]) > p then redis.call('SET', KEYS[1], ARGV[1]) end", 1, 'peak', now);
            await counter.sadd('ran', id);
            const long = job.longMs !== undefined && id.endsWith(':0:0');
            if (long) send({ type: 'long', at: Date.now() });
            await new Promise((r) => setTimeout(r, long ? job.longMs : job.minMs + Math.random() * (job.maxMs - job.minMs)));
            await counter.decr('inflight');
            ran++;
            send({ type: 'granted', at: Date.now() });
            return id;
          }),
        ).pipe(
          retry({
            delay: (error: Error) => {
              storeErrors++;
              if (errors.length < 5) errors.push(`${error.name}: ${error.message}`);
              send({ type: 'error', name: error.name, message: error.message, at: Date.now() });
              return timer(100);
            },
          }),
        );
      send({ type: 'ready' });
      await lastValueFrom(
        merge(...Array.from({ length: job.pipelines }, (_, p) => range(0, job.tasks).pipe(concatMap((t) => task(`${job.name}:${p}:${t}`))))).pipe(toArray()),
      );
      counter.disconnect();
      await store.close();
      return { ran, storeErrors, errors };
    }
    case 'rate': {
      const store = redisRate(client, { key: job.key });
      const grants: number[] = [];
      store.grantTimes = grants;
      const rate = new RateLimiter({ limit: job.limit, interval: job.interval, store });
      const until = Date.now() + job.durationMs;
      let used = 0;
      send({ type: 'ready' });
      const pipeline = async (): Promise<void> => {
        while (Date.now() < until) await lastValueFrom(rate.run(async () => void used++), { defaultValue: undefined });
      };
      await Promise.all(Array.from({ length: job.concurrency }, pipeline));
      return { grants, used };
    }
    case 'hold': {
      const limiter = new CapacityLimiter(job.total, { store: redisCapacity(client, { key: job.key, leaseMs: job.leaseMs }) });
      for (let i = 0; i < job.count; i++) {
        limiter
          .run(() => {
            send({ type: 'granted', at: Date.now() });
            return new Promise<never>(() => undefined);
          })
          .subscribe({ error: (error: Error) => send({ type: 'error', name: error.name, message: error.message, at: Date.now() }) });
      }
      send({ type: 'ready' });
      return new Promise<never>(() => undefined);
    }
    case 'waits': {
      const store = redisCapacity(client, { key: job.key });
      const limiter = new CapacityLimiter(job.total, { store });
      await client.ping();
      send({ type: 'ready' });
      if (job.go === true) await new Promise((resolve) => process.once('message', resolve));
      const clock = (): number => performance.timeOrigin + performance.now();
      const askedAt = clock();
      const grantedAt: number[] = [];
      const waits = await lastValueFrom(
        merge(
          ...Array.from({ length: job.count }, () => {
            const asked = performance.now();
            return limiter.run(async () => {
              const waited = performance.now() - asked;
              grantedAt.push(clock());
              await new Promise((r) => setTimeout(r, job.taskMs));
              return waited;
            });
          }),
        ).pipe(toArray()),
      );
      await store.close();
      return { waits, askedAt, grantedAt };
    }
  }
}

main().then(
  (result) => {
    send({ type: 'done', result });
    client.disconnect();
    setTimeout(() => process.exit(0), 50);
  },
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
