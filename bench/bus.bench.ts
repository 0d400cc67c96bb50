/**
 * `npm run bench bus`: the event bus across a transport against the raw transport carrying the
 * same payload (`{ seq, at }`): two worker threads over BroadcastChannel (raw: `postMessage`),
 * and two processes over Redis pub/sub (raw: ioredis `publish`/`subscribe` with JSON, the floor).
 *
 * - Throughput: one side floods `n` events as fast as it can; events/s from the first send to the
 *   last arrival (both stamped with `process.hrtime`, one monotonic clock for every thread and
 *   process of the machine). Median of RUNS runs, bus and raw runs interleaved.
 * - Latency: PINGS round trips one after the other (a ping, answered by the other side); p50 of
 *   half the round trip.
 *
 * Writes its table into README.md between `<!-- bench:bus -->` and `<!-- /bench:bus -->`.
 */
import { join } from 'node:path';
import { startProcessPeer, startWorkerPeer, type Peer } from '../spec/support/bus-peers';
import { startRedisServer } from '../spec/support/redis-server';
import type { BenchPeerConfig, Mode } from './bus-peer';
import { report, writeReadmeSection, type Row } from './support';

const ENTRY = join(__dirname, 'bus-peer.ts');
const RUNS = 5;
const PINGS = 2_000;
const FLOOD: Record<'bc' | 'redis', number> = { bc: 100_000, redis: 50_000 };

interface Pair {
  readonly mode: Mode;
  readonly sender: Peer;
  readonly receiver: Peer;
}

async function pair(mode: Mode, start: typeof startWorkerPeer, extra: Partial<BenchPeerConfig>): Promise<Pair> {
  const channel = `bench-${mode}-${process.pid}:`;
  const config = (name: string): BenchPeerConfig => ({ name, mode, channel, ...extra });
  const [sender, receiver] = await Promise.all([start(config(`${mode} sender`), ENTRY), start(config(`${mode} receiver`), ENTRY)]);
  await receiver.ask({ cmd: 'respond' }, 'responding');
  await new Promise((resolve) => setTimeout(resolve, 200)); // subscriptions are in
  return { mode, sender, receiver };
}

/** Events per second of one flood of `n`. */
async function flood(p: Pair, n: number): Promise<number> {
  await p.receiver.ask({ cmd: 'expect', n }, 'expecting');
  const done = p.receiver.next('done', 120_000);
  const sent = await p.sender.ask({ cmd: 'flood', n }, 'sent', 120_000);
  const arrived = await done;
  return n / ((Number(arrived['at']) - Number(sent['start'])) / 1e9);
}

/** p50 of half the round trip, in µs. */
async function latency(p: Pair): Promise<number> {
  const reply = await p.sender.ask({ cmd: 'pingpong', n: PINGS }, 'latencies', 120_000);
  const ns = [...(reply['ns'] as number[])].sort((a, b) => a - b);
  return ns[Math.floor(ns.length / 2)]! / 2 / 1e3;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Measures raw and bus side by side, runs interleaved; returns the rows. */
async function compare(label: string, raw: Pair, bus: Pair, n: number): Promise<{ rows: Row[]; rates: [number, number]; p50: [number, number] }> {
  const rates: [number[], number[]] = [[], []];
  await flood(raw, n); // warm-up
  await flood(bus, n);
  for (let i = 0; i < RUNS; i++) {
    rates[0].push(await flood(raw, n));
    rates[1].push(await flood(bus, n));
  }
  const p50: [number, number] = [await latency(raw), await latency(bus)];
  const r: [number, number] = [median(rates[0]), median(rates[1])];
  const rows: Row[] = [
    { name: `${label}: raw, events/s`, value: r[0], unit: 'events/s', ratio: 1, baseline: `${label}: raw` },
    { name: `${label}: EventBus, events/s`, value: r[1], unit: 'events/s', ratio: r[1] / r[0], baseline: `${label}: raw` },
    { name: `${label}: raw, p50 latency`, value: p50[0], unit: 'µs', ratio: 1, baseline: `${label}: raw` },
    { name: `${label}: EventBus, p50 latency`, value: p50[1], unit: 'µs', ratio: p50[1] / p50[0], baseline: `${label}: raw` },
  ];
  return { rows, rates: r, p50 };
}

export default async function main(): Promise<void> {
  const started = Date.now();
  const rows: Row[] = [];
  const table: string[] = [];

  const bcRaw = await pair('raw-bc', startWorkerPeer, {});
  const bcBus = await pair('bus-bc', startWorkerPeer, {});
  const bc = await compare('worker threads, BroadcastChannel', bcRaw, bcBus, FLOOD.bc);
  await Promise.all([bcRaw, bcBus].flatMap((p) => [p.sender.close(), p.receiver.close()]));
  rows.push(...bc.rows);

  const server = await startRedisServer(['--client-output-buffer-limit', 'pubsub 512mb 256mb 60']);
  let redis: Awaited<ReturnType<typeof compare>>;
  try {
    const redisRaw = await pair('raw-redis', startProcessPeer, { redisUrl: server.url });
    const redisBus = await pair('bus-redis', startProcessPeer, { redisUrl: server.url });
    redis = await compare('processes, Redis pub/sub', redisRaw, redisBus, FLOOD.redis);
    await Promise.all([redisRaw, redisBus].flatMap((p) => [p.sender.close(), p.receiver.close()]));
  } finally {
    await server.stop();
  }
  rows.push(...redis.rows);
  report('bus', 'EventBus across a transport vs the raw transport (events/s and p50 one-way latency; ratio to raw)', rows);

  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  const line = (what: string, raw: string, c: { rates: [number, number]; p50: [number, number] }, n: number) =>
    `| ${what} (${fmt(n)} events) | ${fmt(c.rates[1])} | ${fmt(c.rates[0])} (${raw}) | **${(c.rates[1] / c.rates[0]).toFixed(2)}×** | ` +
    `${c.p50[1].toFixed(0)} µs | ${c.p50[0].toFixed(0)} µs | ${(c.p50[1] / c.p50[0]).toFixed(2)}× |`;
  table.push(
    `\`npm run bench bus\` — Node ${process.version}, ${new Date().toISOString().slice(0, 10)}, median of ${RUNS} floods; latency: p50 of half a round trip over ${PINGS.toLocaleString('en-US')} pings (this table is written by the benchmark):`,
    '',
    '| across | EventBus events/s | raw events/s | throughput ratio (target ≥ 0.8×) | EventBus p50 | raw p50 | latency ratio |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    line('2 worker threads, BroadcastChannel', '`postMessage`', bc, FLOOD.bc),
    line('2 processes, Redis pub/sub', 'ioredis publish/subscribe, JSON', redis, FLOOD.redis),
    '',
    `_Whole run ${((Date.now() - started) / 1000).toFixed(0)} s on a 2-core machine shared with other work: single figures move between runs, compare the ratios._`,
  );
  console.log(table.join('\n'));
  writeReadmeSection('bus', table.join('\n'));
}
