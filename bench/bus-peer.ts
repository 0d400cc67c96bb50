/**
 * One side of `npm run bench bus`, in a worker thread (BroadcastChannel cases) or a child process
 * (Redis cases). `mode` says what carries the events: the EventBus with a transport, or the raw
 * transport (BroadcastChannel `postMessage`, ioredis publish/subscribe with JSON) with the same
 * payload, `{ seq, at }`. Commands (replies in brackets):
 *
 * - `{ cmd: 'expect', n }`: count the next `n` ticks [`{ kind: 'done', at }` once they are in,
 *   `at` = `process.hrtime` in ns, which is one monotonic clock for every thread and process];
 * - `{ cmd: 'flood', n }`: send `n` ticks as fast as possible [`{ kind: 'sent', start }`];
 * - `{ cmd: 'respond' }`: answer every ping from now on [`{ kind: 'responding' }`];
 * - `{ cmd: 'pingpong', n }`: `n` round trips, one after the other, to the other side, which
 *   answers each ping [`{ kind: 'latencies', ns }`: the round trip times];
 * - `{ cmd: 'close' }` [`{ kind: 'closed' }`].
 */
import Redis from 'ioredis';
import { parentPort, workerData } from 'node:worker_threads';
import { core } from './lib.js';

const { EventBus, broadcastChannelTransport, eventCodec } = core;
const { redisTransport } = require('../dist/cjs/redis/index.js') as typeof import('../lib/redis/index.js');

export type Mode = 'bus-bc' | 'raw-bc' | 'bus-redis' | 'raw-redis';
export interface BenchPeerConfig {
  readonly name: string;
  readonly mode: Mode;
  readonly channel: string;
  readonly redisUrl?: string;
}

class Tick {
  constructor(
    readonly seq: number,
    readonly at: number,
  ) {}
}
class Ping {
  constructor(readonly seq: number) {}
}
class Pong {
  constructor(readonly seq: number) {}
}

type Command = { cmd: 'respond' } | { cmd: 'expect'; n: number } | { cmd: 'flood'; n: number } | { cmd: 'pingpong'; n: number } | { cmd: 'close' };

/** What each mode offers the commands: send a tick/ping/pong, and hooks for what arrives. */
interface Wire {
  tick(seq: number): void;
  ping(seq: number): void;
  pong(seq: number): void;
  onTick: () => void;
  onPing: (seq: number) => void;
  onPong: (seq: number) => void;
  close(): Promise<void>;
}

const now = () => Number(process.hrtime.bigint());

async function wire(config: BenchPeerConfig): Promise<Wire> {
  const w = {} as Wire;
  if (config.mode === 'bus-bc' || config.mode === 'bus-redis') {
    const connections: Redis[] = [];
    let transport;
    if (config.mode === 'bus-bc') transport = broadcastChannelTransport(config.channel);
    else {
      const pub = new Redis(config.redisUrl!);
      const sub = new Redis(config.redisUrl!);
      await Promise.all([pub.ping(), sub.ping()]);
      connections.push(pub, sub);
      transport = redisTransport({ pub, sub, prefix: config.channel });
    }
    const bus = new EventBus({ transport, codec: eventCodec({ Tick, Ping, Pong }) });
    bus.on(Tick).subscribe(() => w.onTick());
    bus.on(Ping).subscribe((p) => w.onPing(p.seq));
    bus.on(Pong).subscribe((p) => w.onPong(p.seq));
    w.tick = (seq) => bus.send(new Tick(seq, 0));
    w.ping = (seq) => bus.send(new Ping(seq));
    w.pong = (seq) => bus.send(new Pong(seq));
    w.close = async () => {
      bus.close();
      await Promise.all(connections.map((c) => c.quit()));
    };
  } else if (config.mode === 'raw-bc') {
    const channels = ['tick', 'ping', 'pong'].map((k) => new BroadcastChannel(`${config.channel}-${k}`));
    const [ticks, pings, pongs] = channels as [BroadcastChannel, BroadcastChannel, BroadcastChannel];
    ticks.onmessage = () => w.onTick();
    pings.onmessage = (e: MessageEvent<{ seq: number }>) => w.onPing(e.data.seq);
    pongs.onmessage = (e: MessageEvent<{ seq: number }>) => w.onPong(e.data.seq);
    w.tick = (seq) => ticks.postMessage({ seq, at: 0 });
    w.ping = (seq) => pings.postMessage({ seq });
    w.pong = (seq) => pongs.postMessage({ seq });
    w.close = async () => {
      for (const c of channels) c.close();
    };
  } else {
    const pub = new Redis(config.redisUrl!);
    const sub = new Redis(config.redisUrl!);
    await Promise.all([pub.ping(), sub.ping()]);
    const p = config.channel;
    await sub.subscribe(`${p}tick`, `${p}ping`, `${p}pong`);
    sub.on('message', (channel: string, message: string) => {
      const data = JSON.parse(message) as { seq: number };
      if (channel === `${p}tick`) w.onTick();
      else if (channel === `${p}ping`) w.onPing(data.seq);
      else w.onPong(data.seq);
    });
    w.tick = (seq) => void pub.publish(`${p}tick`, JSON.stringify({ seq, at: 0 }));
    w.ping = (seq) => void pub.publish(`${p}ping`, JSON.stringify({ seq }));
    w.pong = (seq) => void pub.publish(`${p}pong`, JSON.stringify({ seq }));
    w.close = async () => {
      await Promise.all([pub.quit(), sub.quit()]);
    };
  }
  return w;
}

async function main(): Promise<void> {
  const config = (parentPort !== null ? workerData : JSON.parse(process.env['BUS_PEER'] ?? '{}')) as BenchPeerConfig;
  const reply = (message: unknown): void => {
    if (parentPort !== null) parentPort.postMessage(message);
    else process.send!(message);
  };
  const w = await wire(config);
  let expected = 0;
  let count = 0;
  w.onTick = () => {
    if (++count === expected) reply({ kind: 'done', at: now() });
  };
  /** Whether this side answers pings (the other side of a `pingpong`). */
  let responding = false;
  w.onPing = (seq) => {
    if (responding) w.pong(seq);
  };
  let waiting: ((seq: number) => void) | undefined;
  w.onPong = (seq) => waiting?.(seq);

  const onCommand = async (command: Command): Promise<void> => {
    if (command.cmd === 'respond') {
      responding = true;
      reply({ kind: 'responding' });
    } else if (command.cmd === 'expect') {
      expected = command.n;
      count = 0;
      reply({ kind: 'expecting' });
    } else if (command.cmd === 'flood') {
      const start = now();
      for (let i = 0; i < command.n; i++) w.tick(i);
      reply({ kind: 'sent', start });
    } else if (command.cmd === 'pingpong') {
      const ns: number[] = [];
      for (let i = 0; i < command.n; i++) {
        const t0 = now();
        await new Promise<void>((resolve) => {
          waiting = (seq) => {
            if (seq === i) resolve();
          };
          w.ping(i);
        });
        ns.push(now() - t0);
      }
      reply({ kind: 'latencies', ns });
    } else {
      await w.close();
      reply({ kind: 'closed' });
      if (parentPort !== null) parentPort.close();
      else process.disconnect();
    }
  };
  if (parentPort !== null) parentPort.on('message', (c: Command) => void onCommand(c));
  else process.on('message', (c) => void onCommand(c as Command));
  reply({ kind: 'ready' });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
