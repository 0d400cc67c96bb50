/**
 * A child process of `npm run bench redis` (bench/redis.bench.ts): connects, says `ready`,
 * waits for `go`, runs its workload against the shared server and sends back what it measured.
 * Times are absolute (`performance.timeOrigin + performance.now()`, sub-millisecond and the
 * same clock in every process of the machine), so the parent can merge processes' events.
 */
import { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { Semaphore } from 'redis-semaphore';
import Bottleneck from 'bottleneck';
import { lastValueFrom } from 'rxjs';
import { core } from './lib.js';
import type * as RedisEntry from '../lib/redis/index.js';

const redisEntry = require('../dist/cjs/redis/index.js') as typeof RedisEntry;

export interface BenchJob {
  readonly kind: 'capacity' | 'rate' | 'semaphore' | 'flexible' | 'bottleneck' | 'wake';
  readonly url: string;
  readonly key: string;
  /** The shared limit (tokens, or grants per second for the rate limiters). */
  readonly limit: number;
  /** Loops running side by side in this process, each acquire → (hold) → release, `perLoop` times. */
  readonly loops: number;
  readonly perLoop: number;
  /** How long each token is held, in ms (0: released at once). */
  readonly holdMs: number;
}

export interface BenchResult {
  readonly started: number;
  readonly ended: number;
  /** How long each acquire took, in ms. */
  readonly latencies: number[];
  /** For `wake`: when this process got a token and when it gave it back. */
  readonly grants: number[];
  readonly releases: number[];
  /** Calls of the client's `sendCommand` after `go` (one per EVALSHA). */
  readonly commands: number;
  /** CPU time this process used between `go` and the end (user + system), in ms. */
  readonly cpuMs: number;
}

const job = JSON.parse(process.argv[2] ?? '{}') as BenchJob;
const now = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number) => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());

async function main(): Promise<void> {
  const client = new Redis(job.url);
  // Count what the client sends: every command sent on its own passes here.
  let commands = 0;
  const sendCommand = client.sendCommand.bind(client);
  client.sendCommand = ((...args: Parameters<typeof sendCommand>) => {
    commands++;
    return sendCommand(...args);
  }) as typeof client.sendCommand;
  const latencies: number[] = [];
  const grants: number[] = [];
  const releases: number[] = [];
  let loop: () => Promise<void>;
  let close = async (): Promise<void> => undefined;
  switch (job.kind) {
    case 'capacity':
    case 'wake': {
      const store = redisEntry.redisCapacity(client, { key: job.key });
      const limiter = new core.CapacityLimiter(job.limit, { store });
      close = () => store.close();
      loop = async () => {
        for (let i = 0; i < job.perLoop; i++) {
          const asked = now();
          await lastValueFrom(
            limiter.run(async () => {
              const got = now();
              latencies.push(got - asked);
              grants.push(got);
              await sleep(job.holdMs);
              releases.push(now());
            }),
            { defaultValue: undefined },
          );
        }
      };
      break;
    }
    case 'rate': {
      const rate = new core.RateLimiter({ limit: job.limit, interval: 1000, store: redisEntry.redisRate(client, { key: job.key }) });
      loop = async () => {
        for (let i = 0; i < job.perLoop; i++) {
          const asked = now();
          await lastValueFrom(rate.run(async () => void latencies.push(now() - asked)), { defaultValue: undefined });
        }
      };
      break;
    }
    case 'semaphore': {
      loop = async () => {
        for (let i = 0; i < job.perLoop; i++) {
          const asked = now();
          const semaphore = new Semaphore(client, job.key, job.limit, { acquireTimeout: 60_000, refreshInterval: 0 });
          await semaphore.acquire();
          latencies.push(now() - asked);
          await sleep(job.holdMs);
          await semaphore.release();
        }
      };
      break;
    }
    case 'bottleneck': {
      // bottleneck's Redis clustering (`datastore: 'ioredis'`): `maxConcurrent` shared by every
      // limiter with the same id. It opens its own connections (not counted in `commands`).
      const { hostname, port } = new URL(job.url);
      const limiter = new Bottleneck({ id: job.key, maxConcurrent: job.limit, datastore: 'ioredis', clientOptions: { host: hostname, port: Number(port) } });
      limiter.on('error', (error: unknown) => console.error('bottleneck:', error));
      await limiter.ready();
      close = () => limiter.disconnect();
      loop = async () => {
        for (let i = 0; i < job.perLoop; i++) {
          const asked = now();
          await limiter.schedule(async () => {
            latencies.push(now() - asked);
            await sleep(job.holdMs);
          });
        }
      };
      break;
    }
    case 'flexible': {
      const limiter = new RateLimiterRedis({ storeClient: client, points: job.limit, duration: 1, keyPrefix: job.key });
      loop = async () => {
        for (let i = 0; i < job.perLoop; i++) {
          const asked = now();
          await limiter.consume('bench');
          latencies.push(now() - asked);
        }
      };
      break;
    }
  }
  await client.ping();
  process.send?.({ type: 'ready' });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  commands = 0;
  const cpu = process.cpuUsage();
  const started = now();
  await Promise.all(Array.from({ length: job.loops }, loop));
  const ended = now();
  const used = process.cpuUsage(cpu);
  const result: BenchResult = { started, ended, latencies, grants, releases, commands, cpuMs: (used.user + used.system) / 1000 };
  process.send?.({ type: 'done', result }, () => {
    void close().then(() => {
      client.disconnect();
      process.exit(0);
    });
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
