import { Coalescer, MAX_BATCH, unpackBatch } from '../internal/batch.js';
import { describe } from '../internal/validate.js';
import type { EncodedEvent } from './codec.js';
import { BusTransportError } from './errors.js';

/**
 * What carries events between {@link EventBus}es in other threads, tabs or processes. A bus joins
 * its transport once, when it is created, and leaves it on `close()`.
 *
 * The contract a transport keeps (the two built in, {@link broadcastChannelTransport} and
 * `redisTransport`, do):
 * - a message posted on one link reaches every **other** link joined to the same channel, at
 *   most once, and never the link that posted it (no echo);
 * - messages from one link arrive in the order it posted them;
 * - failures are given to `peer.fail`, never thrown from `post`, so local delivery goes on.
 *
 * @example
 * ```ts
 * const inMemory = (peers: Set<TransportPeer>): BusTransport => ({
 *   join(peer) {
 *     peers.add(peer);
 *     return {
 *       post: (m) => { for (const p of peers) if (p !== peer) p.receive(structuredClone(m)); },
 *       leave: () => peers.delete(peer),
 *     };
 *   },
 * });
 * ```
 */
export interface BusTransport {
  /** Joins the channel: `peer` receives what the other links post; the returned link posts and leaves. */
  join(peer: TransportPeer): TransportLink;
}

/** The joining bus, as its transport sees it. */
export interface TransportPeer {
  /** An incoming message, as the transport delivered it (decoded by the bus's codec). */
  receive(message: unknown): void;
  /** A transport failure (reported on `bus.errors$`). */
  fail(error: unknown): void;
}

/** A bus's membership of a transport's channel. */
export interface TransportLink {
  /** Sends `message` to every other link of the channel; failures go to `peer.fail`. */
  post(message: EncodedEvent): void;
  /** Stops receiving and sending; called once, by `bus.close()`. */
  leave(): void;
}

/**
 * A transport over the platform's `BroadcastChannel`: every bus joined with the same `name`
 * receives the others' events, across the tabs and workers of one origin in a browser, and
 * across the `worker_threads` of one Node process (Node 18 and later have `BroadcastChannel` as a
 * global). Messages are copied with structured clone; no dependency.
 *
 * An event sent alone is posted at once. The events a bus sends after it within the same
 * synchronous run travel together, in order, as one message of up to 256 events, posted when
 * it is full or on a microtask once the run ends (never after a timer); `close()` posts what
 * is still waiting first. Fewer, larger messages cost the platform less per event.
 *
 * Each bus gets a `BroadcastChannel` of its own, so two buses in the same thread or tab see each
 * other's events too, and a bus never sees its own. An open channel keeps a Node process alive
 * until the bus is closed. An event that fails to clone (a field holding a function) goes to
 * `bus.errors$` as a {@link BusTransportError} when it is posted (at `send`, or with its batch,
 * whose other events still go); a message that fails to deserialize goes there too.
 *
 * @example
 * ```ts
 * class CartChanged { constructor(readonly items: number) {} }
 * const bus = new EventBus({ transport: broadcastChannelTransport('shop'), codec: eventCodec({ CartChanged }) });
 * bus.on(CartChanged).subscribe((e) => render(e.items)); // also events sent in the other tabs
 * ```
 */
export function broadcastChannelTransport(name: string): BusTransport {
  if (typeof name !== 'string' || name === '') {
    throw new TypeError(`Expected \`name\` to be a non-empty string (the channel name), got ${describe(name)}`);
  }
  if (typeof BroadcastChannel !== 'function') {
    throw new TypeError('broadcastChannelTransport needs the global `BroadcastChannel` (browsers, Node 18 and later), which this runtime lacks');
  }
  return {
    join(peer) {
      const channel = new BroadcastChannel(name);
      // On the wire a message is a batch of events, keys and data: `[key, data, data, key, data]`
      // (lib/internal/batch.ts). An array copies faster under structured clone than objects
      // with named fields, and one message for the events of a synchronous run costs the platform one
      // `postMessage` and one `message` event instead of one each.
      channel.onmessage = (event: MessageEvent) => {
        const data: unknown = event.data;
        if (Array.isArray(data)) unpackBatch(data, 0, peer, data);
        else peer.receive(data);
      };
      channel.onmessageerror = () =>
        peer.fail(new BusTransportError(`BroadcastChannel "${name}" received a message`, new Error('it could not be deserialized (messageerror)')));
      /** Posts one message; what fails to clone or post is reported (`type`: the key it is about). */
      const postMessage = (message: unknown, type: string): void => {
        try {
          channel.postMessage(message);
        } catch (error) {
          peer.fail(new BusTransportError(`BroadcastChannel "${name}" could not post a \`${type}\` event`, error));
        }
      };
      /** The batch being filled: the keys and data of the events appended since the last flush. */
      let batch: unknown[] = [];
      /** The key of the last event in `batch` (`undefined`: empty). */
      let lastType: string | undefined;
      /** How many events `batch` holds. */
      let count = 0;
      const flush = (): void => {
        if (count === 0) return;
        const events = batch;
        batch = [];
        lastType = undefined;
        count = 0;
        try {
          channel.postMessage(events);
        } catch {
          // One of them does not clone: the others still go, in order, one at a time.
          let type = '';
          for (const item of events) {
            if (typeof item === 'string') type = item;
            else postMessage([type, item], type);
          }
        }
      };
      const coalescer = new Coalescer(
        (message) => postMessage([message.type, message.data], message.type),
        (message) => {
          if (message.type !== lastType) {
            batch.push(message.type);
            lastType = message.type;
          }
          batch.push(message.data);
          if (++count >= MAX_BATCH) flush();
        },
        flush,
      );
      return {
        post: (message) => coalescer.post(message),
        leave() {
          flush();
          channel.close();
        },
      };
    },
  };
}

/** `options.transport` of a bus: something with `join`, whose link has `post` and `leave`. */
export function joinTransport(transport: unknown, peer: TransportPeer): TransportLink {
  const t = transport as Partial<BusTransport> | null;
  if (t === null || (typeof t !== 'object' && typeof t !== 'function') || typeof t.join !== 'function') {
    throw new TypeError(
      `Expected \`options.transport\` to be a bus transport (an object with \`join(peer)\`, such as \`broadcastChannelTransport('app')\`), got ${describe(transport)}`,
    );
  }
  const link = t.join(peer) as Partial<TransportLink> | null;
  if (link === null || typeof link !== 'object' || typeof link.post !== 'function' || typeof link.leave !== 'function') {
    throw new TypeError(`Expected \`options.transport.join(peer)\` to return a link (an object with \`post\` and \`leave\`), got ${describe(link)}`);
  }
  return link as TransportLink;
}
