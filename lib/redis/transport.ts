import type { EncodedEvent } from '../scope/codec.js';
import { BusTransportError } from '../scope/errors.js';
import type { BusTransport, TransportPeer } from '../scope/transport.js';
import { readOptions } from '../internal/options.js';
import { describe } from '../internal/validate.js';

/** An event listener, as Node's EventEmitter (and so ioredis) types it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Listener = (...args: any[]) => void;

/**
 * The publishing connection {@link redisTransport} needs: an ioredis `Redis` (any object with
 * these methods will do).
 */
export interface RedisPublisher {
  publish(channel: string, message: string): Promise<unknown>;
  on(event: string, listener: Listener): unknown;
  off(event: string, listener: Listener): unknown;
}

/**
 * The subscribing connection {@link redisTransport} needs: an ioredis `Redis` of its own (a
 * connection in subscriber mode cannot publish), shared by any number of buses.
 */
export interface RedisSubscriber {
  psubscribe(pattern: string): Promise<unknown>;
  punsubscribe(pattern: string): Promise<unknown>;
  on(event: string, listener: Listener): unknown;
  off(event: string, listener: Listener): unknown;
}

/**
 * Options of {@link redisTransport}.
 *
 * @example
 * ```ts
 * redisTransport({ pub: new Redis(url), sub: new Redis(url), prefix: 'shop:events:' });
 * ```
 */
export interface RedisTransportOptions {
  /** The connection events are published on (`PUBLISH`). */
  readonly pub: RedisPublisher;
  /** Another connection, which listens (`PSUBSCRIBE <prefix>*`). */
  readonly sub: RedisSubscriber;
  /**
   * The start of every channel name (default `rxjs-concurrency:bus:`): an event of codec key
   * `CartChanged` is published on `<prefix>CartChanged`. Buses with the same prefix on the same
   * Redis hear each other; another prefix is another bus network.
   */
  readonly prefix?: string;
}

/**
 * How many senders a link remembers the last sequence number of; past that the longest known is
 * forgotten (senders come and go as processes restart; a forgotten one is simply not
 * deduplicated against its past).
 */
const MAX_SENDERS = 4096;

/** How many links of this process listen on each pattern of a subscriber connection. */
const listening = new WeakMap<RedisSubscriber, Map<string, number>>();

/**
 * An event as it goes over Redis, as JSON: `[from, seq, type, data]` (an array: shorter to
 * write and faster to parse than named fields).
 * - `from`: the id of the link that published it, so that link skips its own message (no echo);
 * - `seq`: 1, 2, 3, … per sending link: a receiver drops what is not newer than the last it got
 *   from that link. ioredis resends commands whose reply it had not read when a connection
 *   dropped (`autoResendUnfulfilledCommands`), so without it an outage could deliver events twice;
 * - `type` and `data`: the codec's {@link EncodedEvent}.
 */
type Envelope = [from: string, seq: number, type: string, data: object];

/**
 * A bus transport over Redis pub/sub, with two ioredis connections: events sent on one bus reach
 * the buses of every process (and thread) joined with the same `prefix` on the same Redis. Each
 * event is JSON (`[from, seq, type, data]`) published on `<prefix><codec key>`; each bus listens
 * on `<prefix>*`, skips its own messages and any message not newer than the last one from the
 * same sender (ioredis resends unanswered commands after a reconnect: those would be
 * duplicates). Several buses may share the two connections.
 *
 * Redis pub/sub delivers at most once: a bus whose subscriber connection is down misses what is
 * published meanwhile, and Redis itself disconnects a subscriber that falls too far behind
 * (`client-output-buffer-limit pubsub`, 32 MB by default). Connection errors and closes go to
 * `bus.errors$` (once per outage and connection, as a {@link BusTransportError}); ioredis
 * reconnects and re-subscribes by itself, and remote delivery resumes. With ioredis' default offline queue, events sent while the publisher is disconnected
 * are published once it is back (or fail after `maxRetriesPerRequest`, reported); give the
 * publisher `enableOfflineQueue: false` to have them fail at once instead. `bus.close()` leaves
 * (stops listening, `PUNSUBSCRIBE` once the last bus on the connection has left) but does not
 * close the connections: they are yours to `quit()`.
 *
 * @example
 * ```ts
 * import Redis from 'ioredis';
 * import { EventBus, eventCodec } from 'rxjs-concurrency';
 * import { redisTransport } from 'rxjs-concurrency/redis';
 *
 * class OrderCreated { constructor(readonly id: string) {} }
 * const url = 'redis://127.0.0.1:6379';
 * const bus = new EventBus({
 *   transport: redisTransport({ pub: new Redis(url), sub: new Redis(url), prefix: 'shop:' }),
 *   codec: eventCodec({ OrderCreated }),
 * });
 * bus.on(OrderCreated).subscribe((o) => console.log('order', o.id)); // from every instance
 * ```
 */
export function redisTransport(options: RedisTransportOptions): BusTransport {
  const { pub, sub, prefix } = readOptions('options', options, {
    pub: (path, value) => connection(path, value, ['publish', 'on', 'off'], 'publishes') as RedisPublisher,
    sub: (path, value) => connection(path, value, ['psubscribe', 'punsubscribe', 'on', 'off'], 'subscribes') as RedisSubscriber,
    prefix: (path, value) => {
      if (value === undefined) return 'rxjs-concurrency:bus:';
      if (typeof value !== 'string' || value === '') throw new TypeError(`Expected \`${path}\` to be a non-empty string, got ${describe(value)}`);
      return value;
    },
  });
  if ((pub as unknown) === sub) {
    throw new TypeError('Expected `options.pub` and `options.sub` to be two connections: a Redis connection that subscribes cannot publish');
  }
  const pattern = `${prefix}*`;
  return {
    join(peer: TransportPeer) {
      const from = linkId();
      /** Messages this link published so far. */
      let published = 0;
      /** The last `seq` received from each other link. */
      const lastSeq = new Map<string, number>();
      const onMessage = (matched: string, _channel: string, message: string): void => {
        if (matched !== pattern) return;
        let envelope: unknown;
        try {
          envelope = JSON.parse(message);
        } catch {
          peer.receive(message); // the codec reports it as undecodable
          return;
        }
        if (!Array.isArray(envelope) || envelope.length !== 4 || typeof envelope[0] !== 'string' || typeof envelope[1] !== 'number') {
          peer.receive(envelope); // not ours: the codec reports it
          return;
        }
        const [sender, seq, type, data] = envelope as Envelope;
        if (sender === from) return;
        const last = lastSeq.get(sender);
        if (last !== undefined && seq <= last) return; // a resent duplicate
        if (last === undefined && lastSeq.size >= MAX_SENDERS) lastSeq.delete(lastSeq.keys().next().value!);
        lastSeq.set(sender, seq);
        peer.receive({ type, data });
      };
      const watch = (conn: RedisPublisher | RedisSubscriber, role: string): (() => void) => {
        let down = false;
        const onError = (error: unknown): void => {
          if (down) return;
          down = true;
          peer.fail(new BusTransportError(`The Redis connection that ${role} failed`, error));
        };
        const onReady = (): void => {
          down = false;
        };
        // Redis also closes a subscriber that falls too far behind (`client-output-buffer-limit pubsub`).
        const onClose = (): void => onError(new Error('connection closed'));
        conn.on('error', onError);
        conn.on('close', onClose);
        conn.on('ready', onReady);
        return () => {
          conn.off('error', onError);
          conn.off('close', onClose);
          conn.off('ready', onReady);
        };
      };
      const unwatch = [watch(pub, 'publishes'), watch(sub, 'subscribes')];
      sub.on('pmessage', onMessage);
      const counts = listening.get(sub) ?? new Map<string, number>();
      listening.set(sub, counts);
      const count = counts.get(pattern) ?? 0;
      counts.set(pattern, count + 1);
      if (count === 0) {
        sub.psubscribe(pattern).catch((error: unknown) => peer.fail(new BusTransportError(`Could not subscribe to Redis channels ${pattern}`, error)));
      }
      let left = false;
      return {
        post(message) {
          let json: string;
          try {
            json = JSON.stringify([from, published + 1, message.type, message.data] satisfies Envelope);
          } catch (error) {
            peer.fail(new BusTransportError(`Could not serialize a \`${message.type}\` event as JSON`, error));
            return;
          }
          published++;
          pub.publish(prefix + message.type, json).catch((error: unknown) => {
            if (!left) peer.fail(new BusTransportError(`Could not publish a \`${message.type}\` event to Redis`, error));
          });
        },
        leave() {
          left = true;
          sub.off('pmessage', onMessage);
          for (const stop of unwatch) stop();
          const remaining = (counts.get(pattern) ?? 1) - 1;
          if (remaining > 0) counts.set(pattern, remaining);
          else {
            counts.delete(pattern);
            sub.punsubscribe(pattern).catch(() => undefined); // leaving: nobody to tell any more
          }
        },
      };
    },
  };
}

/** A connection option: an object with the given methods. */
function connection(path: string, value: unknown, methods: readonly string[], role: string): unknown {
  const c = value as Record<string, unknown> | null;
  if (c === null || typeof c !== 'object' || methods.some((m) => typeof c[m] !== 'function')) {
    throw new TypeError(
      `Expected \`${path}\` to be a Redis connection that ${role} (an ioredis \`Redis\`, with ${methods.map((m) => `\`${m}\``).join(', ')}), got ${describe(value)}`,
    );
  }
  return value;
}

/** A random id for one link (the sender id that stops echoes): 80 random bits, unique across processes. */
function linkId(): string {
  let id = '';
  for (let i = 0; i < 4; i++) id += Math.floor(Math.random() * 0x100000).toString(36).padStart(4, '0');
  return id;
}
