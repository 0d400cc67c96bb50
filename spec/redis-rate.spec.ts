import { startRedisServer, type RedisServer } from './support/redis-server';
import { killAll, startWorker, type Worker } from './support/redis-workers';

// One RateLimiter({ limit: 50, interval: 500 }) shared by 4 real processes through a real
// redis-server (redisRate from 'rxjs-concurrency/redis'), each with more demand than the limit.

jest.setTimeout(60_000);

let server: RedisServer;
const workers: Worker[] = [];

beforeAll(async () => {
  server = await startRedisServer();
});
afterEach(() => killAll(workers.splice(0)));
afterAll(async () => {
  await server.stop();
});

it('4 processes for 5 s: every sliding 500 ms window of grant times (server clock) has at most 50, and ≥ 90% of the limit is used', async () => {
  const job = { kind: 'rate', url: server.url, key: 'rate50', limit: 50, interval: 500, concurrency: 10, durationMs: 5_000 } as const;
  const procs = [0, 1, 2, 3].map(() => startWorker(job));
  workers.push(...procs);
  const results = (await Promise.all(procs.map((p) => p.done))) as { grants: number[]; used: number }[];
  const grants = results.flatMap((r) => r.grants).sort((a, b) => a - b);
  for (const r of results) expect(r.grants.length).toBeGreaterThan(0); // every process got some

  // Every window [t, t + 500) starting at a grant (the windows with the most grants start at one).
  let busiest = 0;
  let end = 0;
  for (let start = 0; start < grants.length; start++) {
    while (end < grants.length && grants[end]! < grants[start]! + 500) end++;
    busiest = Math.max(busiest, end - start);
  }
  expect(busiest).toBeLessThanOrEqual(50);

  // Demand exceeded the limit from the first grant to the last: the limit was used.
  const span = grants[grants.length - 1]! - grants[0]!;
  expect(span).toBeGreaterThan(4_000);
  expect(grants.length).toBeGreaterThanOrEqual(0.9 * 50 * (span / 500));
});
