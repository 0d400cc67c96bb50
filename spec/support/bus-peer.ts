/**
 * One bus in another worker thread or process, driven by the transport tests. It joins the
 * transport named in its configuration (`workerData`, or the `BUS_PEER` environment variable of
 * a child process), answers `Ping` requests with `Pong`, records every remote event it receives,
 * and obeys commands:
 *
 * - `{ cmd: 'blast', n, round }`: sends `n` events, round-robin over three types, each with a
 *   sequence number per type, from sender `<name>:<round>`; replies `{ kind: 'blasted' }`;
 * - `{ cmd: 'report' }`: replies `{ kind: 'report', got }`, the sequence numbers received, by
 *   `sender/type`, in arrival order;
 * - `{ cmd: 'request', id, timeout }`: `bus.request(new Ping(id, me), Pong, …)`; replies
 *   `{ kind: 'response', id, from }` or `{ kind: 'response', error }`;
 * - `{ cmd: 'local', n }`: sends `n` `LocalTick`s (also posted) and replies with how many its own
 *   subscriber got, synchronously (local delivery goes on whatever the transport does);
 * - `{ cmd: 'close' }`: closes the bus (and the Redis connections) and replies `{ kind: 'closed' }`.
 *
 * The first 50 `bus.errors$` errors are forwarded as `{ kind: 'bus-error', name, message }`;
 * `report` also tells how many there were.
 */
import Redis from 'ioredis';
import { parentPort, workerData } from 'node:worker_threads';
import { EventBus, broadcastChannelTransport, type BusTransport } from '../../lib/index';
import { redisTransport } from '../../lib/redis/index';
import { makeCodec, LocalTick, Ping, Pong, TYPES, type CartChanged, type OrderCreated, type PeerConfig, type UserSeen } from './bus-events';

type Command =
  | { cmd: 'blast'; n: number; round: number }
  | { cmd: 'report' }
  | { cmd: 'request'; id: number; timeout: number }
  | { cmd: 'local'; n: number }
  | { cmd: 'close' };

async function main(): Promise<void> {
  const config = (parentPort !== null ? workerData : JSON.parse(process.env['BUS_PEER'] ?? '{}')) as PeerConfig;
  const reply = (message: unknown): void => {
    if (parentPort !== null) parentPort.postMessage(message);
    else process.send!(message);
  };
  const onCommand = (listener: (command: Command) => void): void => {
    if (parentPort !== null) parentPort.on('message', listener);
    else process.on('message', listener as (message: unknown) => void);
  };

  let transport: BusTransport;
  let connections: { quit(): Promise<unknown> }[] = [];
  if (config.transport === 'broadcast') transport = broadcastChannelTransport(config.channel);
  else {
    // Reconnect every 100 ms; commands issued while disconnected wait in ioredis' offline queue.
    const pub = new Redis(config.redisUrl!, { retryStrategy: () => 100, maxRetriesPerRequest: null });
    const sub = new Redis(config.redisUrl!, { retryStrategy: () => 100 });
    await Promise.all([pub.ping(), sub.ping()]);
    connections = [pub, sub];
    transport = redisTransport({ pub, sub, prefix: config.channel });
  }
  const bus = new EventBus({ transport, codec: makeCodec() });
  let errorCount = 0;
  bus.errors$.subscribe((error) => {
    if (errorCount++ < 50) reply({ kind: 'bus-error', name: error.name, message: error.message });
  });

  const got: Record<string, number[]> = {};
  for (const Type of TYPES) {
    bus.on(Type).subscribe((event: CartChanged | OrderCreated | UserSeen) => {
      if (!(event instanceof Type)) throw new Error('routed to the wrong type');
      (got[`${event.sender}/${Type.name}`] ??= []).push(event.seq);
    });
  }
  bus.on(Ping).subscribe((ping) => bus.send(new Pong(ping.id, config.name)));
  let localTicks = 0;
  bus.on(LocalTick).subscribe(() => localTicks++);

  onCommand((command) => {
    switch (command.cmd) {
      case 'blast': {
        const seq = [0, 0, 0];
        for (let i = 0; i < command.n; i++) {
          const t = i % 3;
          bus.send(new TYPES[t]!(`${config.name}:${command.round}`, seq[t]!++));
        }
        reply({ kind: 'blasted' });
        break;
      }
      case 'report':
        reply({ kind: 'report', got, errorCount });
        break;
      case 'request':
        bus.request(new Ping(command.id, config.name), Pong, (p) => p.id === command.id && p.from !== config.name, { timeout: command.timeout }).subscribe({
          next: (pong) => reply({ kind: 'response', id: pong.id, from: pong.from }),
          error: (error: Error) => reply({ kind: 'response', error: error.message }),
        });
        break;
      case 'local': {
        const before = localTicks;
        for (let i = 0; i < command.n; i++) bus.send(new LocalTick(i));
        reply({ kind: 'local', delivered: localTicks - before });
        break;
      }
      case 'close':
        bus.close();
        void Promise.all(connections.map((c) => c.quit().catch(() => undefined))).then(() => {
          reply({ kind: 'closed' });
          if (parentPort !== null) parentPort.close();
          else process.disconnect();
        });
        break;
    }
  });
  reply({ kind: 'ready' });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
