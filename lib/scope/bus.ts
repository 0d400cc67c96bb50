import { Observable, Subject, asyncScheduler, type SchedulerLike, type Subscriber } from 'rxjs';
import { armDeadline, deadlineError } from '../internal/clock.js';
import { readOptions } from '../internal/options.js';
import * as opt from '../internal/options.js';
import { describe, expected, validateFunction } from '../internal/validate.js';
import { isEventCodec, type EventCodec } from './codec.js';
import type { ClassOf } from '../types.js';
import { BusClosedError, BusDecodeError, BusTransportError } from './errors.js';
import { joinTransport, type BusTransport, type TransportLink } from './transport.js';

/**
 * Options of {@link EventBus.request}.
 *
 * @example
 * ```ts
 * bus.request(new Ping(1), Pong, (p) => p.id === 1, { timeout: 2_000 }); // DeadlineError after 2 s
 * ```
 */
export interface RequestOptions {
  /**
   * Milliseconds to wait for a matching response before failing with a `DeadlineError`
   * (`bus.request(Pong): no matching response within 2000 ms`). `0` has already passed: the
   * request fails at once, without being sent. Omitted: wait as long as the bus is open.
   */
  readonly timeout?: number;
  /** Scheduler for the timeout (default `asyncScheduler`; `TestScheduler.run` makes it virtual). */
  readonly scheduler?: SchedulerLike;
}

/**
 * Options of `new EventBus(options)`: a transport that joins this bus to buses in other threads,
 * tabs or processes, and the codec that names the event classes travelling on it.
 *
 * @example
 * ```ts
 * new EventBus({ transport: broadcastChannelTransport('shop'), codec: eventCodec({ CartChanged }) });
 * ```
 */
export interface EventBusOptions {
  /** Where events also go, and come from: {@link broadcastChannelTransport}, `redisTransport`, or your own. */
  readonly transport?: BusTransport;
  /** The event classes that travel, by stable key ({@link eventCodec}); required with `transport`. */
  readonly codec?: EventCodec;
}

/** The errors a bus reports on `errors$`. */
export type BusError = BusTransportError | BusDecodeError;

/**
 * Everything the bus keeps for one event type. `subscribers` is replaced, never mutated, when
 * somebody subscribes or unsubscribes, so a delivery loop can walk it without copying.
 */
interface Channel {
  subscribers: readonly Subscriber<unknown>[];
  /** True while an event of this type is being delivered (a send from a callback must queue). */
  busy: boolean;
  /**
   * Events sent re-entrantly while `busy`, each followed by the subscriber list of the moment it
   * was sent: [event, subscribers, event, subscribers, …]. Empty whenever the channel is idle.
   */
  readonly pending: unknown[];
}

/**
 * A typed publish/subscribe bus: events are routed by their exact constructor. In-process by
 * default; with a transport, also across worker threads, browser tabs and processes.
 *
 * It is a plain class, so it works on its own, e.g. as an Angular service
 * (`@Injectable({ providedIn: 'root' }) class AppEvents extends EventBus {}`), and it is what every
 * isolated {@link Scope} owns (a non-isolated scope shares its parent's bus).
 *
 * - `send(event)` delivers synchronously to every current subscriber of `event.constructor`
 *   (a subclass instance does not reach subscribers of its parent class); with no subscriber the
 *   event is dropped and nothing is kept.
 * - `on(Type)` is hot: a subscriber sees only events sent after it subscribed.
 * - Each subscriber receives the events of a type in the order they were sent, **also when a
 *   callback sends from inside its own delivery**: such a send is queued and delivered, in order,
 *   once the current event has reached every subscriber (this costs nothing when not re-entrant).
 * - `close()` completes every subscription; `send` after that throws {@link BusClosedError}.
 *
 * With `{ transport, codec }` every event sent is also posted, once, to the other buses joined by
 * the transport, which deliver it to their subscribers of the same type as if it had been sent
 * there (it is not echoed back to this bus); events from one bus arrive in the order it sent them.
 * Delivery is at most once: an event posted while the transport is down is lost. Undecodable
 * messages and transport failures go to {@link errors$}, never into a subscriber.
 *
 * ```text
 * bus.send:   --a----b----c--
 * on(A) sub:  ^------!           (subscribed at 0, unsubscribed at 7)
 * receives:   --a----b|          (c is not seen; it is dropped if nobody listens)
 * ```
 *
 * @example
 * ```ts
 * class UserLoggedIn { constructor(readonly userId: string) {} }
 * const bus = new EventBus();
 * bus.on(UserLoggedIn).subscribe((e) => console.log(e.userId));
 * bus.send(new UserLoggedIn('ada')); // logs "ada"
 * ```
 */
export class EventBus {
  private readonly channels = new Map<unknown, Channel>();
  private closed = false;
  /** This bus's membership of its transport (`undefined`: in-process only). */
  private readonly link: TransportLink | undefined;
  /** The codec events are encoded and decoded with (set with `link`). */
  private readonly codec: EventCodec | undefined;
  /** How many `send`s on this (linked) bus are in progress, nested: incoming messages wait while any is. */
  private sending = 0;
  /** Whether the inbox is being delivered. */
  private draining = false;
  /** Messages from the transport not delivered yet (see `sendLinked`); empty when idle. */
  private readonly inbox: unknown[] = [];
  /** Where transport failures and undecodable messages go, created when `errors$` is first read. */
  private errorSubject: Subject<BusError> | undefined = undefined;

  /**
   * A bus of its own (no options), or one joined to other buses by `options.transport`, whose
   * events are named by `options.codec`. Joins the transport at once; a bad transport or codec
   * is a `TypeError` here.
   *
   * @example
   * ```ts
   * const local = new EventBus();
   * const shared = new EventBus({ transport: broadcastChannelTransport('app'), codec: eventCodec({ Saved }) });
   * ```
   */
  constructor(options?: EventBusOptions) {
    if (options === undefined) {
      this.link = undefined;
      this.codec = undefined;
      return;
    }
    const { transport, codec } = readOptions('options', options, { transport: opt.any<BusTransport>(), codec: opt.any<EventCodec>() });
    if (codec !== undefined && !isEventCodec(codec)) {
      throw new TypeError(`Expected \`options.codec\` to be an event codec made by \`eventCodec({ … })\`, got ${describe(codec)}`);
    }
    if (transport === undefined) {
      this.link = undefined;
      this.codec = undefined;
      return;
    }
    if (codec === undefined) {
      throw new TypeError('Expected `options.codec` with `options.transport`: events need stable keys to cross it, e.g. `eventCodec({ CartChanged })`');
    }
    this.codec = codec;
    this.link = joinTransport(transport, {
      receive: (message) => this.receive(message),
      fail: (error) => this.report(error instanceof BusTransportError ? error : new BusTransportError('The event bus transport failed', error)),
    });
  }

  /**
   * Whether {@link close} has been called.
   *
   * @example
   * ```ts
   * if (!bus.isClosed) bus.send(new Saved('a'));
   * ```
   */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Transport failures ({@link BusTransportError}: a message that could not be posted, a
   * connection that dropped) and incoming messages that could not be decoded
   * ({@link BusDecodeError}), as they happen. Hot; completes on {@link close}. Without a
   * subscriber they are dropped. They never throw inside an `on()` subscriber and never stop
   * local delivery. A bus without a transport never emits here.
   *
   * @example
   * ```ts
   * bus.errors$.subscribe((e) => log.warn(`bus: ${e.message}`));
   * ```
   */
  get errors$(): Observable<BusError> {
    if (this.closed) return new Observable<BusError>((subscriber) => subscriber.complete());
    this.errorSubject ??= new Subject<BusError>();
    return this.errorSubject.asObservable();
  }

  /** Reports a failure on `errors$` (dropped when nobody listens or the bus is closed). */
  private report(error: BusError): void {
    this.errorSubject?.next(error);
  }

  /**
   * Sends `event` to every current subscriber of its exact constructor, synchronously, and, with
   * a transport, to the other buses it joins. With no subscriber the event is dropped. Throws
   * {@link BusClosedError} after {@link close}, and a `TypeError` when `event` is not an
   * instance of a class (a primitive, `null`, a plain object or an array), or, with a transport,
   * when its class is not in the codec.
   *
   * @example
   * ```ts
   * bus.send(new OrderCreated('o-1'));
   * ```
   */
  send(event: object): void {
    if (this.closed) throw new BusClosedError();
    if (typeof event !== 'object' || event === null) validateObject('event', event);
    if (this.link !== undefined) {
      this.sendLinked(event);
      return;
    }
    const channel = this.channels.get(event.constructor);
    if (channel === undefined) {
      validateEventClass('event', event);
      return;
    }
    this.deliver(event, channel);
  }

  /**
   * `send` on a bus with a transport: encodes `event` (throwing for a class the codec lacks),
   * posts it (in call order, so re-entrant sends reach the other buses in the order they were
   * made; post failures are reported), then delivers it here. Events that arrive from the
   * transport meanwhile (a synchronous transport delivers inside `post`) wait in the inbox until
   * the outermost send is done, so they never cut into a delivery in progress.
   */
  private sendLinked(event: object): void {
    validateEventClass('event', event);
    const message = this.codec!.encode(event);
    this.sending++;
    try {
      try {
        this.link!.post(message);
      } catch (error) {
        this.report(new BusTransportError(`The event bus transport could not post a \`${message.type}\` event`, error));
      }
      const channel = this.channels.get(event.constructor);
      if (channel !== undefined) this.deliver(event, channel);
    } finally {
      this.sending--;
    }
    if (this.sending === 0 && !this.draining && this.inbox.length !== 0) this.drainInbox();
  }

  /** A message from another bus: delivered at once, or into the inbox while a send or delivery is in progress. */
  private receive(message: unknown): void {
    if (this.closed) return;
    if (this.sending !== 0 || this.draining) {
      this.inbox.push(message);
      return;
    }
    this.draining = true;
    try {
      this.deliverRemote(message);
    } finally {
      this.draining = false;
    }
    if (this.inbox.length !== 0) this.drainInbox();
  }

  /** Delivers the inbox's messages in arrival order (also those that arrive meanwhile). */
  private drainInbox(): void {
    this.draining = true;
    try {
      for (let i = 0; i < this.inbox.length && !this.closed; i++) this.deliverRemote(this.inbox[i]);
    } finally {
      this.draining = false;
      this.inbox.length = 0;
    }
  }

  /** Decodes a message and delivers it here (never posting it back); what cannot be decoded is reported. */
  private deliverRemote(message: unknown): void {
    let event: object;
    try {
      event = this.codec!.decode(message);
    } catch (error) {
      this.report(error instanceof BusDecodeError ? error : new BusDecodeError(`Cannot decode an incoming message: ${String(error)}`, message));
      return;
    }
    const channel = this.channels.get(event.constructor);
    if (channel !== undefined) this.deliver(event, channel);
  }

  /** Delivers `event` to a type's subscribers, or queues it behind the delivery in progress. */
  private deliver(event: object, channel: Channel): void {
    const subscribers = channel.subscribers;
    if (channel.busy) {
      channel.pending.push(event, subscribers);
      return;
    }
    channel.busy = true;
    try {
      for (let i = 0; i < subscribers.length; i++) subscribers[i]!.next(event);
      if (channel.pending.length !== 0) this.drain(channel);
    } finally {
      channel.busy = false;
      if (channel.pending.length !== 0) channel.pending.length = 0;
      if (channel.subscribers.length === 0) this.release(event.constructor, channel);
    }
  }

  /** Drops a type's registry entry once it has no subscriber left and is not delivering. */
  private release(Type: unknown, channel: Channel): void {
    if (channel.subscribers.length === 0 && !channel.busy && this.channels.get(Type) === channel) this.channels.delete(Type);
  }

  /** Delivers the events queued by re-entrant sends, in the order they were sent. */
  private drain(channel: Channel): void {
    const pending = channel.pending;
    for (let head = 0; head < pending.length && !this.closed; head += 2) {
      const event = pending[head];
      const subscribers = pending[head + 1] as readonly Subscriber<unknown>[];
      for (let i = 0; i < subscribers.length; i++) subscribers[i]!.next(event);
    }
  }

  /**
   * A hot Observable of the events whose constructor is exactly `Type`, from the moment of
   * subscription on. It completes when the bus is closed (at once if it already is).
   * Unsubscribing removes the subscriber from the bus; nothing is left behind.
   *
   * ```text
   * send:     -a--b---c-
   * on(A):    --^-------   (subscribes at frame 2)
   * emits:    ----b---c-
   * ```
   *
   * @example
   * ```ts
   * bus.on(OrderCreated).pipe(take(1)).subscribe((order) => audit(order));
   * ```
   */
  on<T extends object>(Type: ClassOf<T>): Observable<T> {
    validateEventType('Type', Type);
    return new Observable<T>((subscriber) => {
      if (this.closed) {
        subscriber.complete();
        return;
      }
      let channel = this.channels.get(Type);
      if (channel === undefined) {
        channel = { subscribers: [], busy: false, pending: [] };
        this.channels.set(Type, channel);
      }
      const entry = subscriber as Subscriber<unknown>;
      channel.subscribers = [...channel.subscribers, entry];
      const owned = channel;
      return () => {
        const index = owned.subscribers.indexOf(entry);
        if (index < 0) return;
        owned.subscribers = owned.subscribers.filter((_, i) => i !== index);
        this.release(Type, owned);
      };
    });
  }

  /**
   * Request/response over the bus: on subscription it subscribes to `ResponseType` **before**
   * sending `request` (so a synchronous responder is not missed), emits the first response for
   * which `match` returns true, and completes. With `timeout`, no matching response in time fails
   * with a `DeadlineError`; a bus closed before the response fails with {@link BusClosedError}.
   * Cold: each subscription sends the request again.
   *
   * ```text
   * responses:  ---x--y--      (y matches)
   * request:    ^-------       subscribes to responses, then sends the request at 0
   * emits:      ------(y|)
   * timeout 4:  ----#          DeadlineError when nothing matches by then
   * ```
   *
   * @example
   * ```ts
   * bus.request(new Query('q-1', 'select 1'), Answer, (a) => a.id === 'q-1', { timeout: 5_000 })
   *   .subscribe((answer) => show(answer.rows));
   * ```
   */
  request<Res extends object>(
    request: object,
    ResponseType: ClassOf<Res>,
    match: (response: Res) => boolean,
    options?: RequestOptions,
  ): Observable<Res> {
    validateObject('request', request);
    validateEventClass('request', request);
    if (this.link !== undefined) this.codec!.encode(request); // an unregistered class fails here, not at subscribe
    validateEventType('ResponseType', ResponseType);
    validateFunction('match', match);
    const { timeout, scheduler } = readOptions('options', options, {
      timeout: opt.nonNegative(undefined),
      scheduler: opt.scheduler(asyncScheduler),
    });
    const origin = `bus.request(${ResponseType.name || 'ResponseType'})`;
    return new Observable<Res>((subscriber) => {
      const start = (): void => {
        subscriber.add(
          this.on(ResponseType).subscribe({
            next: (response) => {
              let matched: boolean;
              try {
                matched = match(response);
              } catch (error) {
                subscriber.error(error);
                return;
              }
              if (matched) {
                subscriber.next(response);
                subscriber.complete();
              }
            },
            complete: () => subscriber.error(new BusClosedError('The event bus closed before a response to the request arrived')),
          }),
        );
        if (subscriber.closed) return;
        try {
          this.send(request);
        } catch (error) {
          subscriber.error(error);
        }
      };
      if (timeout === undefined) {
        start();
        return;
      }
      const at = scheduler.now() + timeout;
      const trip = () => subscriber.error(deadlineError(at, { origin, within: timeout, what: 'no matching response' }));
      armDeadline(subscriber, scheduler, at, trip, start);
    });
  }

  /**
   * Closes the bus: it leaves its transport (no more remote events in or out), every
   * subscription of {@link on} and {@link errors$} completes, events queued by re-entrant sends
   * are dropped, and {@link send} throws {@link BusClosedError} from now on. Idempotent.
   *
   * @example
   * ```ts
   * ngOnDestroy() { this.bus.close(); } // subscriber loops end instead of leaking
   * ```
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.link !== undefined) {
      try {
        this.link.leave();
      } catch (error) {
        this.report(new BusTransportError('The event bus could not leave its transport', error));
      }
    }
    this.errorSubject?.complete();
    const channels = [...this.channels.values()];
    this.channels.clear();
    for (const channel of channels) {
      channel.pending.length = 0;
      for (const subscriber of channel.subscribers) subscriber.complete();
    }
  }

  /**
   * How many subscribers are registered for exactly `Type`, or for all types when omitted.
   * Useful in tests: it falls back to 0 as subscribers unsubscribe.
   *
   * @example
   * ```ts
   * const sub = bus.on(Saved).subscribe();
   * bus.listenerCount(Saved); // 1
   * sub.unsubscribe();
   * bus.listenerCount();      // 0
   * ```
   */
  listenerCount(Type?: ClassOf<object>): number {
    if (Type !== undefined) {
      validateClass('Type', Type);
      return this.channels.get(Type)?.subscribers.length ?? 0;
    }
    let count = 0;
    for (const channel of this.channels.values()) count += channel.subscribers.length;
    return count;
  }

  /**
   * How many event types have an entry in the registry (only types with subscribers do): a
   * count to check that subscribers which come and go leave nothing behind.
   *
   * @example
   * ```ts
   * bus.on(Saved).pipe(take(1)).subscribe();
   * bus.typeCount;           // 1
   * bus.send(new Saved('a'));
   * bus.typeCount;           // 0: the last subscriber left, its entry went with it
   * ```
   */
  get typeCount(): number {
    return this.channels.size;
  }
}

/** An object (an event or a state object): not a primitive, not `null`. */
export function validateObject(name: string, value: unknown): asserts value is object {
  if (typeof value !== 'object' || value === null) {
    throw new TypeError(expected(name, 'be an object (an instance of a class)', value));
  }
}

/** A constructor: something `new` can be applied to. */
export function validateClass(name: string, value: unknown): void {
  if (typeof value !== 'function' || !('prototype' in value) || value.prototype === undefined) {
    throw new TypeError(expected(name, 'be a class (a constructor function)', value));
  }
}

/** An event class for `on`/`request`: a class, and not `Object` or `Array` (events of those are refused by `send`). */
function validateEventType(name: string, Type: unknown): void {
  validateClass(name, Type);
  if (Type === Object || Type === Array) {
    throw new TypeError(
      `Expected \`${name}\` to be an event class, got ${describe(Type)}: plain objects and arrays are not events (\`send\` refuses them); declare a class`,
    );
  }
}

/**
 * An event for `send`/`request`: an instance of a class other than `Object` and `Array`, whose
 * subscribers `on(Type)` can name. A plain object or an array would reach nobody, silently.
 */
function validateEventClass(name: string, event: object): void {
  const Type: unknown = event.constructor;
  if (typeof Type !== 'function' || Type === Object || Type === Array) {
    const what = Array.isArray(event) ? 'an array' : 'a plain object';
    throw new TypeError(
      `Expected \`${name}\` to be an instance of an event class, got ${describe(event)}: ${what} reaches no subscriber (\`bus.on\` takes a class); declare a class for it`,
    );
  }
}
