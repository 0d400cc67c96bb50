/**
 * `npm run bench redis`: limits shared through a real redis-server on loopback (one run).
 *
 * - capacity, uncontended (limit 10 000) and contended (limit 8): grants/s and p50/p99 acquire
 *   latency of `CapacityLimiter` + `redisCapacity`, in 1 and 4 processes of 16 loops each
 *   (acquire, release at once), against redis-semaphore's `Semaphore` and bottleneck's Redis
 *   clustering (`maxConcurrent`, `datastore: 'ioredis'`) on the same server;
 * - rate, uncontended: `RateLimiter` + `redisRate` against rate-limiter-flexible's
 *   `RateLimiterRedis.consume`;
 * - round trips: calls of the client's `sendCommand` per acquire + release (per grant for rates),
 *   one loop in one process, and two processes taking turns on one token: one per EVALSHA (an
 *   ioredis MULTI block is written at once and may count once);
 * - cross-process wake: two processes share one token; the time from a release in one to the
 *   grant in the other (p50, p99);
 * - the physical limit: redis-benchmark's PING rate on the same server (1 and 50 connections).
 *
 * Each case also reports the clients' CPU time per grant (every process, user + system), which
 * varies less than throughput on a loaded machine. The ratio is against the best peer.
 *
 * Prints Markdown tables with ratios and writes bench/results/redis.json, with the README's
 * table for the region `<!-- bench:redis -->` … `<!-- /bench:redis -->` (bench/readme.ts).
 */
import { execFileSync, fork } from 'node:child_process';
import { join } from 'node:path';
import { startRedisServer, type RedisServer } from '../spec/support/redis-server.js';
import type { BenchJob, BenchResult } from './redis-worker.js';
import { report, type Row } from './support.js';

/** Starts `processes` workers on `job`, lets them go at once, and gathers their results. */
async function runWorkers(job: BenchJob, processes: number): Promise<BenchResult[]> {
  const children = Array.from({ length: processes }, () =>
    fork(join(__dirname, 'redis-worker.ts'), [JSON.stringify(job)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
  const message = (child: (typeof children)[number], type: string) =>
    new Promise<{ type: string; result?: BenchResult }>((resolve, reject) => {
      const onMessage = (m: { type: string; result?: BenchResult }): void => {
        if (m.type !== type) return;
        child.off('message', onMessage);
        resolve(m);
      };
      child.on('message', onMessage);
      child.once('exit', (code) => reject(new Error(`bench worker ${job.kind} exited with ${code}`)));
    });
  await Promise.all(children.map((c) => message(c, 'ready')));
  const done = children.map((c) => message(c, 'done'));
  for (const c of children) c.send('go');
  return (await Promise.all(done)).map((m) => m.result!);
}

/** How many times each throughput case runs (the table shows medians and the range of ratios). */
const ROUNDS = 3;

const quantile = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? NaN;

interface Measured {
  grantsPerSecond: number;
  p50: number;
  p99: number;
  /** The clients' CPU time (user + system, every process) per grant, in µs: steadier than throughput on a loaded machine. */
  cpuPerGrant: number;
}

function measure(results: readonly BenchResult[]): Measured {
  const latencies = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const started = Math.min(...results.map((r) => r.started));
  const ended = Math.max(...results.map((r) => r.ended));
  const cpuMs = results.reduce((sum, r) => sum + r.cpuMs, 0);
  return { grantsPerSecond: latencies.length / ((ended - started) / 1000), p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), cpuPerGrant: (cpuMs * 1000) / latencies.length };
}

/** redis-benchmark's PING_MBULK rate with `clients` connections. */
function pingRate(server: RedisServer, clients: number): number {
  const out = execFileSync('redis-benchmark', ['-h', server.host, '-p', String(server.port), '-t', 'ping', '-n', clients === 1 ? '50000' : '200000', '-c', String(clients), '-q'], { encoding: 'utf8' });
  const rate = Number(/PING_MBULK: ([\d.]+) requests per second/.exec(out)?.[1]);
  if (!Number.isFinite(rate)) throw new Error(`could not read redis-benchmark's output:\n${out}`);
  return rate;
}

/** Commands the client sends per operation, over one sequential run (scripts already loaded). */
async function commandsPer(job: BenchJob): Promise<number> {
  await runWorkers(job, 1); // loads the scripts on the server
  const [result] = await runWorkers(job, 1);
  return result!.commands / (job.loops * job.perLoop);
}

/** Wake latency: each grant in one process after the latest release in the other. */
function wakeLatencies(results: readonly BenchResult[]): number[] {
  const events = results.flatMap((r, p) => [...r.releases.map((t) => ({ t, p, kind: 'release' as const })), ...r.grants.map((t) => ({ t, p, kind: 'grant' as const }))]);
  events.sort((a, b) => a.t - b.t);
  const out: number[] = [];
  let last: { t: number; p: number } | null = null;
  for (const e of events) {
    if (e.kind === 'release') last = e;
    else if (last !== null && last.p !== e.p) {
      out.push(e.t - last.t);
      last = null;
    }
  }
  return out.sort((a, b) => a - b);
}

const f = (v: number, digits = 0): string => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');

export default async function main(): Promise<void> {
  const server = await startRedisServer();
  try {
    const ping1 = pingRate(server, 1);
    const ping50 = pingRate(server, 50);
    const base = { url: server.url, loops: 16, holdMs: 0 };
    const rows: Row[] = [];
    const table: string[] = [];
    const cell = (m: Measured) => `${f(m.grantsPerSecond)} /s, p50 ${f(m.p50, 2)} ms, p99 ${f(m.p99, 2)} ms, CPU ${f(m.cpuPerGrant)} µs/grant`;

    /**
     * Ours against each peer on the same workload, in ROUNDS rounds (the order rotating from round
     * to round, so that a burst of load elsewhere does not always hit the same one): the table
     * shows each one's median, and the ratio to the best peer as the median and range of the
     * rounds' ratios.
     */
    const compare = async (title: string, ours: BenchJob, peers: readonly (readonly [BenchJob, string])[]): Promise<void> => {
      for (const processes of [1, 4]) {
        const contestants: (readonly [BenchJob, string])[] = [[ours, 'rxjs-concurrency'], ...peers];
        const runs = contestants.map(() => [] as Measured[]);
        for (let round = 0; round < ROUNDS; round++) {
          for (let k = 0; k < contestants.length; k++) {
            const i = (k + round) % contestants.length;
            const [job] = contestants[i]!;
            const perLoop = Math.max(25, Math.round(job.perLoop / processes));
            runs[i]!.push(measure(await runWorkers({ ...job, perLoop, key: `${job.key}-${processes}-${round}` }, processes)));
          }
        }
        const median = (values: number[]): number => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
        const summary = runs.map((r): Measured => ({
          grantsPerSecond: median(r.map((m) => m.grantsPerSecond)),
          p50: median(r.map((m) => m.p50)),
          p99: median(r.map((m) => m.p99)),
          cpuPerGrant: median(r.map((m) => m.cpuPerGrant)),
        }));
        // Per round: ours against the best peer of that round.
        const ratios = runs[0]!.map((m, round) => m.grantsPerSecond / Math.max(...runs.slice(1).map((r) => r[round]!.grantsPerSecond))).sort((x, y) => x - y);
        const bestIndex = 1 + summary.slice(1).reduce((bi, m, i, all) => (m.grantsPerSecond > all[bi]!.grantsPerSecond ? i : bi), 0);
        const bestName = contestants[bestIndex]![1];
        const name = `${title}, ${processes} process${processes > 1 ? 'es' : ''} × 16 loops`;
        rows.push({ name: `${name}: rxjs-concurrency`, unit: 'grants/s', value: summary[0]!.grantsPerSecond, ratio: median(ratios), baseline: 'the best peer' });
        for (let i = 1; i < contestants.length; i++) rows.push({ name: `${name}: ${contestants[i]![1]}`, unit: 'grants/s', value: summary[i]!.grantsPerSecond });
        const peerCell = (peerName: string): string => {
          const i = contestants.findIndex(([, n]) => n === peerName);
          return i < 1 ? '–' : cell(summary[i]!);
        };
        table.push(
          `| ${name} | ${cell(summary[0]!)} | ${peerCell(peers[0]![1])} | ${peerCell('bottleneck')} | ${median(ratios).toFixed(2)}× (${ratios[0]!.toFixed(2)}–${ratios[ratios.length - 1]!.toFixed(2)}; best median: ${bestName}) |`,
        );
      }
    };
    // bottleneck is an order of magnitude slower here: fewer acquires per loop keep its runs short.
    const bottleneck = (key: string, limit: number, perLoop: number) => [{ ...base, kind: 'bottleneck', key, limit, perLoop: perLoop / 4 }, 'bottleneck'] as const;
    await compare('capacity, limit 10 000 (uncontended)', { ...base, kind: 'capacity', key: 'cap-free', limit: 10_000, perLoop: 400 }, [
      [{ ...base, kind: 'semaphore', key: 'sem-free', limit: 10_000, perLoop: 400 }, 'redis-semaphore'],
      bottleneck('bn-free', 10_000, 400),
    ]);
    await compare('capacity, limit 8 (contended)', { ...base, kind: 'capacity', key: 'cap-8', limit: 8, perLoop: 150 }, [
      [{ ...base, kind: 'semaphore', key: 'sem-8', limit: 8, perLoop: 150 }, 'redis-semaphore'],
      bottleneck('bn-8', 8, 150),
    ]);
    await compare('rate, 10⁹/s (uncontended)', { ...base, kind: 'rate', key: 'rate-free', limit: 1e9, perLoop: 400 }, [[{ ...base, kind: 'flexible', key: 'flex-free', limit: 1e9, perLoop: 400 }, 'rate-limiter-flexible']]);

    const sequential = { ...base, loops: 1, perLoop: 300 };
    const ours = await commandsPer({ ...sequential, kind: 'capacity', key: 'rt-cap', limit: 10_000 });
    const semaphore = await commandsPer({ ...sequential, kind: 'semaphore', key: 'rt-sem', limit: 10_000 });
    const rate = await commandsPer({ ...sequential, kind: 'rate', key: 'rt-rate', limit: 1e9 });
    const flexible = await commandsPer({ ...sequential, kind: 'flexible', key: 'rt-flex', limit: 1e9 });
    rows.push({ name: 'commands sent per acquire + release: redisCapacity', unit: 'commands', value: ours });
    rows.push({ name: 'commands sent per acquire + release: redis-semaphore', unit: 'commands', value: semaphore });
    rows.push({ name: 'commands sent per grant: redisRate', unit: 'commands', value: rate });
    rows.push({ name: 'commands sent per grant: rate-limiter-flexible', unit: 'commands', value: flexible });

    const wakeRun = await runWorkers({ ...base, kind: 'wake', key: 'wake', limit: 1, loops: 1, perLoop: 300, holdMs: 1 }, 2);
    const wake = wakeLatencies(wakeRun);
    // Taking turns across processes: what one token's move costs (release here, grant there).
    const turnCommands = wakeRun.reduce((sum, r) => sum + r.commands, 0) / wakeRun.reduce((sum, r) => sum + r.grants.length, 0);
    rows.push({ name: 'commands sent per acquire + release, 2 processes taking turns on 1 token: redisCapacity', unit: 'commands', value: turnCommands });
    rows.push({ name: 'cross-process wake (release → grant elsewhere), p50', unit: 'ms', value: quantile(wake, 0.5) });
    rows.push({ name: 'cross-process wake (release → grant elsewhere), p99', unit: 'ms', value: quantile(wake, 0.99) });
    rows.push({ name: 'redis-benchmark PING, 1 connection', unit: 'req/s', value: ping1 });
    rows.push({ name: 'redis-benchmark PING, 50 connections', unit: 'req/s', value: ping50 });

    const best1 = rows.find((r) => r.name.startsWith('capacity, limit 10 000 (uncontended), 1 process') && r.name.endsWith('rxjs-concurrency'))!.value;
    const region = [
      `Measured by \`npm run bench redis\` (${new Date().toISOString().slice(0, 10)}, Node ${process.version}, redis-server on loopback, on a shared, busy 2-core machine: treat the figures as rough). Each process runs 16 loops of acquire → release; each case runs ${ROUNDS} times, the order rotating, and the table shows medians, the ratio as the median and range of the rounds' ratios to the best peer of each round, and the clients' CPU per grant (all processes, user + system), which varies less than throughput under load.`,
      '',
      '| case | rxjs-concurrency | redis-semaphore / rate-limiter-flexible | bottleneck (Redis clustering) | ratio to the best peer |',
      '| --- | --- | --- | --- | ---: |',
      ...table,
      `| commands sent per acquire + release, one loop | ${f(ours, 2)} (redisCapacity) | ${f(semaphore, 2)} (redis-semaphore) | | |`,
      `| commands sent per acquire + release, 2 processes taking turns on one token | ${f(turnCommands, 2)} (redisCapacity) | | | |`,
      `| commands sent per rate grant, one loop | ${f(rate, 2)} (redisRate) | ${f(flexible, 2)} (rate-limiter-flexible) | | |`,
      `| cross-process wake, release → grant in another process | p50 ${f(quantile(wake, 0.5), 2)} ms, p99 ${f(quantile(wake, 0.99), 2)} ms | | | |`,
      `| physical limit: redis-benchmark PING | ${f(ping1)} /s on 1 connection, ${f(ping50)} /s on 50 | | | ${(best1 / ping1).toFixed(2)}× of 1-connection PING (1 process) |`,
    ].join('\n');
    // The README's region comes from the JSON, through bench/readme.ts, like every area's.
    report('redis', 'Limits shared through Redis (loopback)', rows, region);
  } finally {
    await server.stop();
  }
}
