import { Redis } from 'ioredis';
import { CapacityLimiter } from '../lib/index';
import { LeaseLostError, redisCapacity, redisRate, StoreUnavailableError } from '../lib/redis/index';
import { redisErrorCode } from '../lib/redis/script';
import { startRedisServer, type RedisServer } from './support/redis-server';

// The stores on their own, against a real redis-server (the limiters on top: redis-*.spec.ts).

let server: RedisServer;
const clients: Redis[] = [];
const connect = (): Redis => {
  const client = new Redis(server.url, { retryStrategy: () => 50, maxRetriesPerRequest: null });
  client.on('error', () => undefined);
  clients.push(client);
  return client;
};
const listener = () => {
  const events = { woke: 0, lost: [] as [string, Error][] };
  return { events, listener: { wake: () => void events.woke++, lost: (token: string, error: Error) => void events.lost.push([token, error]) } };
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Resolves once `condition()` holds (checked every 5 ms), or fails after `ms`. */
const until = async (condition: () => boolean, ms = 5_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${condition.toString()}`);
    await sleep(5);
  }
};
const rateRequest = { cost: 1, limit: 3, interval: 400, spread: false, now: 0 };

beforeAll(async () => {
  server = await startRedisServer();
});
afterEach(async () => {
  if (!server.running) await server.restart();
  for (const c of clients.splice(0)) c.disconnect();
});
afterAll(async () => {
  await server.stop();
});

describe('bad input throws at creation, naming the value', () => {
  it('rejects what is not an ioredis client', () => {
    expect(() => redisCapacity({} as Redis, { key: 'k' })).toThrow('Expected `client` to be an ioredis client');
    expect(() => redisRate('redis://x' as unknown as Redis, { key: 'k' })).toThrow('got `"redis://x"` (string)');
  });
  it('rejects an empty key, renewMs ≥ leaseMs and unknown options', () => {
    const client = connect();
    expect(() => redisCapacity(client, { key: '' })).toThrow('Expected `options.key` to be a non-empty string');
    expect(() => redisCapacity(client, { key: 'k', leaseMs: 1000, renewMs: 1000 })).toThrow('Expected `options.renewMs` to be less than `options.leaseMs` (1000), got `1000`');
    expect(() => redisCapacity(client, { key: 'k', leaseMs: 0 })).toThrow('`options.leaseMs`');
    expect(() => redisRate(client, { key: 'k', lease: 1 } as never)).toThrow('Unknown option `options.lease`');
  });
});

it('reads Redis error replies with or without the ERR prefix', () => {
  expect(redisErrorCode(new Error('NOSCRIPT No matching script. Please use EVAL.'))).toBe('NOSCRIPT');
  expect(redisErrorCode(new Error('ERR NOSCRIPT No matching script'))).toBe('NOSCRIPT');
  expect(redisErrorCode(new Error('ERR unknown command'))).toBe('ERR');
});

it('grants at most `total` across stores; a release hands the token to the waiting process, which wakes with it', async () => {
  const [a, b] = [redisCapacity(connect(), { key: 'wake' }), redisCapacity(connect(), { key: 'wake' })];
  const la = listener();
  // b's limiter, as CapacityLimiter does: on a wake-up it asks again at once (a pushed token comes synchronously).
  const taken: unknown[] = [];
  let bWakes = 0;
  b.attach({ wake: () => void (bWakes++, taken.push(b.acquire(2))), lost: () => undefined });
  a.attach(la.listener);
  const first = await a.acquire(2);
  const second = await a.acquire(2);
  expect([first, second].every((t) => typeof t === 'string')).toBe(true);
  expect(await b.acquire(2)).toBeNull(); // refused before b is subscribed: b subscribes and wakes
  await until(() => bWakes === 1);
  expect(await taken[0]).toBeNull(); // refused again: b waits on the server now, for one token
  a.release(first!);
  await until(() => bWakes === 2);
  expect(taken[1]).toEqual(expect.stringMatching(/:p\d+$/)); // the server granted it to b: no call of b's
  const admin = connect();
  expect(await admin.zcard('rxjs-concurrency:capacity:{wake}:holders')).toBe(2);
  b.release(taken[1] as string);
  await Promise.all([a.close(), b.close()]);
  expect(await admin.zcard('rxjs-concurrency:capacity:{wake}:holders')).toBe(1); // a's second: still held
});

it('in-process hand-off: a token released in the tick a waiter of the same process asks passes to it without a call, unless another process waits', async () => {
  const [a, b] = [redisCapacity(connect(), { key: 'local' }), redisCapacity(connect(), { key: 'local' })];
  a.attach(listener().listener);
  const taken: unknown[] = [];
  b.attach({ wake: () => void taken.push(b.acquire(1)), lost: () => undefined });
  const first = (await a.acquire(1))!;
  a.release(first);
  const again = a.acquire(1);
  expect(again).toBe(first); // synchronously: the same lease, now held by the next waiter
  expect(await b.acquire(1)).toBeNull(); // b subscribes, wakes, asks again and waits on the server
  await until(() => taken.length === 1);
  expect(await taken[0]).toBeNull();
  // a's next hand-off may still be local (it last heard that nobody waits); its probe learns of b.
  a.release(first);
  const next = a.acquire(1);
  await sleep(50);
  const token = typeof next === 'string' ? next : (await next)!;
  a.release(token);
  const after = a.acquire(1);
  expect(typeof after).not.toBe('string'); // b waits: the token goes to the server, which hands it to b
  await until(() => taken.length === 2);
  expect(taken[1]).toEqual(expect.stringMatching(/:p\d+$/));
  expect(await after).toBeNull();
  b.release(taken[1] as string);
  await Promise.all([a.close(), b.close()]);
});

it('close() sends the releases still waiting for the call in flight, so the tokens are free at once', async () => {
  const client = connect();
  const store = redisCapacity(client, { key: 'close' });
  store.attach(listener().listener);
  const token = (await store.acquire(5))!;
  const inFlight = Promise.resolve(store.acquire(5));
  await Promise.resolve(); // its call is sent (at the end of the tick): the release waits for its answer
  store.release(token);
  await store.close();
  client.disconnect(); // what a process does next on shutdown: anything not sent is lost
  await inFlight.catch(() => undefined);
  const admin = connect();
  expect(await admin.zscore('rxjs-concurrency:capacity:{close}:holders', token)).toBeNull();
});

it('reloads its scripts after SCRIPT FLUSH (NOSCRIPT)', async () => {
  const client = connect();
  const store = redisCapacity(client, { key: 'flush' });
  store.attach(listener().listener);
  expect(await store.acquire(5)).toEqual(expect.any(String));
  await client.script('FLUSH');
  expect(await store.acquire(5)).toEqual(expect.any(String));
  const rate = redisRate(client, { key: 'flush' });
  await client.script('FLUSH');
  expect(await rate.acquire(rateRequest)).toBe(0);
  await store.close();
});

it('rate: an exact sliding window on the server clock, telling how long to wait', async () => {
  const rate = redisRate(connect(), { key: 'window' });
  const times: number[] = [];
  rate.grantTimes = times;
  for (let i = 0; i < 3; i++) expect(await rate.acquire(rateRequest)).toBe(0);
  const wait = await rate.acquire(rateRequest);
  expect(wait).toBeGreaterThan(0);
  expect(wait).toBeLessThanOrEqual(400);
  await sleep(wait + 5);
  expect(await rate.acquire(rateRequest)).toBe(0);
  expect(times).toHaveLength(4);
  expect(times[3]! - times[0]!).toBeGreaterThanOrEqual(400);
  expect(rate.peek(rateRequest).used).toBeGreaterThan(0);
});

it('rate: an interval shortened and lengthened again still counts the grants of the longer window (as the in-process store)', async () => {
  const rate = redisRate(connect(), { key: 'horizon' });
  const started = performance.now();
  for (let i = 0; i < 3; i++) expect(await rate.acquire(rateRequest)).toBe(0); // 3 of 3 in 400 ms
  await sleep(100);
  expect(await rate.acquire({ ...rateRequest, interval: 50 })).toBe(0); // the last 50 ms hold none
  // Back to 400 ms: its window holds all 4 (over the limit already): wait until the first 3 leave it.
  const wait = await rate.acquire(rateRequest);
  const elapsed = performance.now() - started;
  expect(wait).toBeGreaterThan(0);
  expect(wait).toBeGreaterThanOrEqual(400 - elapsed - 5);
  expect(wait).toBeLessThanOrEqual(400);
});

it('rate: the attempts a process makes in one tick share one call, each decided on its own in order', async () => {
  const client = connect();
  const rate = redisRate(client, { key: 'batch' });
  await rate.acquire({ ...rateRequest, limit: 5 }); // loads the script
  let calls = 0;
  const send = client.sendCommand.bind(client);
  client.sendCommand = ((...args: Parameters<typeof send>) => {
    calls++;
    return send(...args);
  }) as typeof client.sendCommand;
  const costs = [1, 3, 2, 1, 1];
  const waits = await Promise.all(costs.map((cost) => rate.acquire({ ...rateRequest, limit: 5, cost })));
  expect(calls).toBe(1);
  // 1 unit was used before: 1 and 3 fill the window to 5; nothing more fits.
  expect(waits.map((w) => (w === 0 ? 'granted' : 'wait'))).toEqual(['granted', 'granted', 'wait', 'wait', 'wait']);
  // One log entry per call that granted (a running total of units), not one per unit.
  expect(await client.zcard('rxjs-concurrency:rate:{batch}:log')).toBe(2);
});

it('Redis down: acquiring fails with StoreUnavailableError naming the key after `timeout`; it works again once the server is back', async () => {
  const store = redisCapacity(connect(), { key: 'down', timeout: 300 });
  store.attach(listener().listener);
  expect(await store.acquire(2)).toEqual(expect.any(String));
  const rate = redisRate(connect(), { key: 'down', timeout: 300 });
  expect(await rate.acquire(rateRequest)).toBe(0);
  await server.stop();
  const started = Date.now();
  const error = await Promise.resolve(store.acquire(2)).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StoreUnavailableError);
  expect((error as StoreUnavailableError).key).toBe('down');
  expect((error as Error).message).toContain('`down`');
  expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  await expect(rate.acquire(rateRequest)).rejects.toBeInstanceOf(StoreUnavailableError);
  await server.restart();
  // The server lost its data while this store knew it: no grant for one leaseMs (the default
  // 30 s here), so that tokens still held elsewhere are renewed back first.
  expect(await store.acquire(2)).toBeNull();
  expect(await rate.acquire(rateRequest)).toBeGreaterThan(0);
  await store.close();
});

it('a lease not renewed in time is reported lost with LeaseLostError', async () => {
  // leaseMs 1 s, renewed every 100 ms: a loaded machine can delay a renewal a few hundred ms.
  const store = redisCapacity(connect(), { key: 'lost', leaseMs: 1_000, renewMs: 100, timeout: 200 });
  const l = listener();
  store.attach(l.listener);
  const token = await store.acquire(1);
  await sleep(1_500);
  expect(l.events.lost).toEqual([]); // renewed meanwhile
  await server.stop();
  const stopped = Date.now();
  await until(() => l.events.lost.length > 0, 5_000);
  expect(Date.now() - stopped).toBeLessThanOrEqual(1_000 + 1_000); // within leaseMs (+ slack for load)
  expect(l.events.lost.map(([t]) => t)).toEqual([token]);
  expect(l.events.lost[0]![1]).toBeInstanceOf(LeaseLostError);
  expect(l.events.lost[0]![1].message).toContain('`lost`');
  store.release(token!); // a stray release after the loss is a no-op
  await store.close();
});

it('through a CapacityLimiter: a lost lease aborts the task’s signal and errors it with LeaseLostError', async () => {
  const limiter = new CapacityLimiter(2, { store: redisCapacity(connect(), { key: 'abort', leaseMs: 400, renewMs: 100, timeout: 200 }) });
  let signal: AbortSignal | undefined;
  const outcome = new Promise<unknown>((resolve) => {
    limiter
      .run((ctx) => {
        signal = ctx.signal;
        return new Promise(() => undefined); // runs until stopped
      })
      .subscribe({ error: resolve, complete: () => resolve('completed') });
  });
  await sleep(300);
  expect(signal?.aborted).toBe(false);
  await server.stop();
  const error = await outcome;
  expect(error).toBeInstanceOf(LeaseLostError);
  expect(signal?.aborted).toBe(true);
  expect(signal?.reason).toBe(error);
  expect(limiter.borrowed).toBe(0);
});

it('one store per limiter', () => {
  const store = redisCapacity(connect(), { key: 'once' });
  new CapacityLimiter(1, { store });
  expect(() => new CapacityLimiter(1, { store })).toThrow('already serves a CapacityLimiter');
});
