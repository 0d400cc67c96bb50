import { Redis } from 'ioredis';
import { startRedisServer, type RedisServer } from './support/redis-server';
import { killAll, startWorker, type Worker } from './support/redis-workers';

// The Redis server stopped in the middle of a run of 4 real processes sharing a
// CapacityLimiter(4), and started again (empty: no persistence) 2 s later. The documented
// behaviour: acquiring fails with StoreUnavailableError (naming the key) after `timeout`, tasks
// already running keep running, nothing is granted above the limit (the server grants nothing
// for one `leaseMs` after it lost its data, while the holders renew their tokens back), and
// grants resume in the same processes.

jest.setTimeout(90_000);

let server: RedisServer;
let counterServer: RedisServer;
const workers: Worker[] = [];

beforeAll(async () => {
  [server, counterServer] = await Promise.all([startRedisServer(), startRedisServer()]);
});
afterEach(() => killAll(workers.splice(0)));
afterAll(async () => {
  await Promise.all([server.stop(), counterServer.stop()]);
});

it('server stopped mid-run and restarted 2 s later: StoreUnavailableError meanwhile, never above the limit, grants resume in the same processes', async () => {
  const counter = new Redis(counterServer.url);
  await counter.flushall();
  const job = { kind: 'pipelines', url: server.url, counterUrl: counterServer.url, key: 'outage', total: 4, pipelines: 8, tasks: 30, minMs: 5, maxMs: 30, leaseMs: 6_000, timeout: 1_000 } as const;
  // p0's first task holds its token across the whole outage (it must be renewed back after it).
  const procs = [0, 1, 2, 3].map((i) => startWorker({ ...job, name: `p${i}`, ...(i === 0 ? { longMs: 4_000 } : {}) }));
  workers.push(...procs);
  // Stop the server once every process has finished a few tasks and p0's long task runs.
  await Promise.all(procs.map((p) => p.when((_, all) => all.filter((r) => r.type === 'granted').length >= 5)));
  await procs[0]!.when((r) => r.type === 'long');
  await server.stop();
  const stopped = Date.now();
  await new Promise((r) => setTimeout(r, 2_000));
  await server.restart();
  const restarted = Date.now();

  const results = (await Promise.all(procs.map((p) => p.done))) as { ran: number; storeErrors: number; errors: string[] }[];
  expect(results.map((r) => r.ran)).toEqual([240, 240, 240, 240]); // nobody gave up, nothing ran twice
  expect(await counter.scard('ran')).toBe(960);
  expect(Number(await counter.get('peak'))).toBeLessThanOrEqual(4);
  expect(Number(await counter.get('inflight'))).toBe(0);

  const errors = procs.flatMap((p) => p.reports.filter((r) => r.type === 'error'));
  expect(errors.length).toBeGreaterThan(0);
  for (const error of errors) {
    expect(error).toMatchObject({ name: 'StoreUnavailableError', message: expect.stringContaining('`outage`') });
    expect(error.received).toBeGreaterThanOrEqual(stopped);
  }
  for (const p of procs) {
    expect(p.reports.some((r) => r.type === 'granted' && r.received > restarted)).toBe(true); // resumed in this very process
  }
  const admin = new Redis(server.url);
  expect(await admin.zcard('rxjs-concurrency:capacity:{outage}:holders')).toBe(0);
  admin.disconnect();
  counter.disconnect();
});
