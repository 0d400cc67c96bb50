import * as fc from 'fast-check';
import { Redis } from 'ioredis';
import { LocalRateStore } from '../lib/resilience/store';
import { keysOf } from '../lib/redis/caller';
import { runScript } from '../lib/redis/script';
import { RATE } from '../lib/redis/scripts';
import { startRedisServer, type RedisServer } from './support/redis-server';

// The Redis rate script decides exactly as the in-process LocalRateStore: random sequences of
// calls (each deciding a batch of attempts, as redisRate sends them), with random pauses and
// run-time changes of limit, interval and spread, on a real redis-server. The local store is
// given the server time of each call, so both see the same clock.

let server: RedisServer;
let client: Redis;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  server = await startRedisServer();
  client = new Redis(server.url);
});
afterAll(async () => {
  client.disconnect();
  await server.stop();
});

/** One call: a pause before it, the limiter's settings, and the costs of the attempts it decides. */
const call = fc.record({
  pause: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 40 })),
  limit: fc.constantFrom(3, 5, 8),
  interval: fc.constantFrom(25, 60, 120),
  spread: fc.boolean(),
  costs: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 6 }),
});

let run = 0;

it('decides every attempt as LocalRateStore does (granted or not, the wait to within 1 ms, the units in the window)', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(call, { minLength: 5, maxLength: 30 }), fc.boolean(), async (calls, spreadEver) => {
      const keys = keysOf(`model-${++run}`, 'rate');
      const local = new LocalRateStore();
      let epoch = '';
      for (const { pause, limit, interval, spread: s, costs } of calls) {
        const spread = spreadEver && s;
        if (pause > 0) await sleep(pause);
        const reply = (await runScript(client, RATE, [keys.log, keys.epoch], [limit, interval, 't', epoch, spread ? '1' : '0', ...costs])) as string[];
        epoch = reply[0]!;
        const now = Number(reply[1]);
        costs.forEach((cost, i) => {
          const request = { cost, limit, interval, spread, now };
          const wait = local.acquire(request);
          const retry = Number(reply[2 + 2 * i]);
          const used = Number(reply[3 + 2 * i]);
          const context = { request, wait, retry, used, localUsed: local.peek(request).used };
          expect({ ...context, granted: retry === 0 }).toEqual({ ...context, granted: wait === 0 });
          if (wait > 0) expect(Math.abs(retry - Math.ceil(wait))).toBeLessThanOrEqual(1);
          expect(used).toBe(local.peek(request).used);
        });
      }
      // The log is trimmed: at most one entry per call that granted, within the longest interval, plus the base.
      expect(await client.zcard(keys.log)).toBeLessThanOrEqual(calls.length + 1);
      expect(await client.pttl(keys.log)).toBeLessThanOrEqual(120 + 1000);
    }),
    { numRuns: 25 },
  );
}, 120_000);

it('trims the log to the entries of the longest interval used, plus one, and lets it expire', async () => {
  const keys = keysOf('trim', 'rate');
  let epoch = '';
  for (let i = 0; i < 40; i++) {
    const reply = (await runScript(client, RATE, [keys.log, keys.epoch], [1000, 50, 't', epoch, '0', 1, 1])) as string[];
    epoch = reply[0]!;
    await sleep(5);
  }
  // ~10 calls fall in 50 ms at one call per ≥ 5 ms; 40 were made.
  expect(await client.zcard(keys.log)).toBeLessThanOrEqual(12);
  expect(await client.pttl(keys.log)).toBeGreaterThan(0);
  expect(await client.pttl(keys.log)).toBeLessThanOrEqual(1050);
});
