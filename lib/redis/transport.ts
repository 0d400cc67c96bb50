import { Coalescer, MAX_BATCH, unpackBatch } from '../internal/batch.js';
import type { EncodedEvent } from '../scope/codec.js';
import { BusTransportError } from '../scope/errors.js';
import type { BusTransport, TransportPeer } from '../scope/transport.js';
import { readOptions } from '../internal/options.js';
import { describe, expected } from '../internal/validate.js';

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
 * Events as they go over Redis, as JSON: `[from, seq, type, data, data, …]`, one `PUBLISH` for
 * the consecutive events of one type that a link sent within a microtask (an array: shorter to
 * write and faster to parse than named fields; `[from, seq, type, data]` for one event).
 * - `from`: the id of the link that published it, so that link skips its own message (no echo);
 * - `seq`: 1, 2, 3, … per message of the sending link: a receiver drops what is not newer than
 *   the last it got from that link. ioredis resends commands whose reply it had not read when a
 *   connection dropped (`autoResendUnfulfilledCommands`), so without it an outage could deliver
 *   events twice;
 * - `type` and each `data`: the codec's {@link EncodedEvent}s. The receiver reads the rest of the
 *   array as a batch of lib/internal/batch.ts (a string starts another key), so messages that
 *   mix types would be understood too.
 */
type Envelope = [from: string, seq: number, type: string, ...data: object[]];

/**
 * A bus transport over Redis pub/sub, with two ioredis connections: events sent on one bus reach
 * the buses of every process (and thread) joined with the same `prefix` on the same Redis. Each
 * event is JSON (`[from, seq, type, data]`) published on `<prefix><codec key>`. An event sent
 * alone is published at once; the consecutive events of one type that follow it within the same
 * synchronous run share one message (`[from, seq, type, data, data, …]`, up to 256), published
 * when it is full, at a change of type, or on a microtask once the run ends (never after a
 * timer). Each bus listens
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
      if (typeof value !== 'string' || value === '') throw new TypeError(expected(path, 'be a non-empty string', value));
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
        if (!Array.isArray(envelope) || envelope.length < 4 || typeof envelope[0] !== 'string' || typeof envelope[1] !== 'number') {
          peer.receive(envelope); // not ours: the codec reports it
          return;
        }
        const sender = envelope[0] as string;
        const seq = envelope[1] as number;
        if (sender === from) return;
        const last = lastSeq.get(sender);
        if (last !== undefined && seq <= last) return; // a resent duplicate
        if (last === undefined && lastSeq.size >= MAX_SENDERS) lastSeq.delete(lastSeq.keys().next().value!);
        lastSeq.set(sender, seq);
        unpackBatch(envelope, 2, peer, envelope);
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
      /** Publishes `envelope` (its `seq` set here); what fails to serialize or publish is reported. */
      const publish = (envelope: Envelope): void => {
        const type = envelope[2];
        const count = envelope.length - 3;
        envelope[1] = published + 1;
        let json: string;
        try {
          json = JSON.stringify(envelope);
        } catch {
          const salvaged = serializeEach(envelope, (error) => peer.fail(new BusTransportError(`Could not serialize a \`${type}\` event as JSON`, error)));
          if (salvaged === undefined) return;
          json = salvaged;
        }
        published++;
        pub.publish(prefix + type, json).catch((error: unknown) => {
          if (!left) peer.fail(new BusTransportError(`Could not publish ${count === 1 ? 'a' : count} \`${type}\` event${count === 1 ? '' : 's'} to Redis`, error));
        });
      };
      /** The message being filled (`[from, 0, type, data, …]`), or none. */
      let batch: Envelope | undefined;
      const flush = (): void => {
        if (batch === undefined) return;
        const envelope = batch;
        batch = undefined;
        publish(envelope);
      };
      const coalescer = new Coalescer(
        (message) => publish([from, 0, message.type, message.data]),
        (message) => {
          if (batch !== undefined && (batch[2] !== message.type || batch.length - 3 >= MAX_BATCH)) flush();
          (batch ??= [from, 0, message.type]).push(message.data);
        },
        flush,
      );
      return {
        post: (message) => coalescer.post(message),
        leave() {
          flush();
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

/**
 * The JSON of an envelope whose `JSON.stringify` threw (a `BigInt`, a cycle): its events one by
 * one, those that fail given to `fail` and left out; `undefined` when none is left.
 */
function serializeEach(envelope: Envelope, fail: (error: unknown) => void): string | undefined {
  const parts: string[] = [];
  for (let i = 3; i < envelope.length; i++) {
    try {
      parts.push(JSON.stringify(envelope[i]));
    } catch (error) {
      fail(error);
    }
  }
  if (parts.length === 0) return undefined;
  return `${JSON.stringify(envelope.slice(0, 3))!.slice(0, -1)},${parts.join(',')}]`;
}
