/**
 * What the built-in bus transports share to coalesce the events a link posts within one
 * synchronous run into few platform messages (one `postMessage`, one `PUBLISH` for up to
 * {@link MAX_BATCH} events): when they go out ({@link Coalescer}) and the reading of a batch on
 * the receiving side ({@link unpackBatch}).
 *
 * On the wire a batch is a flat array of key strings and event data: a key applies to the data
 * after it, up to the next key (`['Tick', {…}, {…}, 'Ping', {…}]`). Event data is always an
 * object (the codec sends instances of classes), so a string can only be a key. A batch of one,
 * `[key, data]`, is what a single event looked like before batching: older peers are understood.
 */
import type { EncodedEvent } from '../scope/codec.js';

/**
 * The most events a link puts into one message: past it the batch is sent at once, within the
 * `post` that filled it, and a new one starts. It bounds a message's size (Redis keeps a
 * subscriber's backlog in its output buffer) and how long a receiver spends in one message.
 */
export const MAX_BATCH = 256;

/** A settled promise whose `then` queues a microtask. */
const resolved = Promise.resolve();

/**
 * When a link's events go out. The first event of a synchronous run (no run in progress) is sent
 * at once, alone, so an event sent by itself waits for nothing; the run's end is queued on the
 * microtask queue (no timer). The events sent until then are appended to a batch, which the
 * transport sends when it is full or of another key (`append` decides), and `flush`es at the
 * end of the run. A batch is never pending outside a run, so the events leave in the order
 * they were sent.
 */
export class Coalescer {
  /** Whether a run is in progress: an event went out alone and the run's end is queued. */
  private running = false;
  /** The end of the run: what the batch holds goes out. */
  private readonly end = (): void => {
    this.running = false;
    this.flush();
  };

  constructor(
    /** Sends one event now, alone. */
    private readonly sendOne: (message: EncodedEvent) => void,
    /** Adds an event to the batch (sending the batch first when it is full, or of another key). */
    private readonly append: (message: EncodedEvent) => void,
    /** Sends what the batch holds, if anything (also called by the transport, e.g. on leave). */
    private readonly flush: () => void,
  ) {}

  /** An event posted by the bus. */
  post(message: EncodedEvent): void {
    if (this.running) return this.append(message);
    this.running = true;
    // `resolved.then`, not `queueMicrotask`: Node wraps every `queueMicrotask` callback in an
    // async resource, a few µs each.
    void resolved.then(this.end);
    this.sendOne(message);
  }
}

/**
 * Hands the events of a batch (`items` from index `start` on: keys and data, see above) to
 * `peer`, in order, as `{ type, data }`. A batch that does not have that shape (it does not start
 * with a key, a key without data after it) is given whole to `peer`, as `whole`, from that point
 * on, for its codec to report it as undecodable; what came before it is delivered.
 */
export function unpackBatch(items: readonly unknown[], start: number, peer: { receive(message: unknown): void }, whole: unknown): void {
  const n = items.length;
  let i = start;
  while (i < n) {
    const type = items[i++];
    if (typeof type !== 'string' || i === n || typeof items[i] === 'string') {
      peer.receive(whole);
      return;
    }
    do peer.receive({ type, data: items[i++] });
    while (i < n && typeof items[i] !== 'string');
  }
}
