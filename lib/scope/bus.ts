import { Observable, asyncScheduler, type SchedulerLike, type Subscriber, type Subscription } from 'rxjs';
import { DeadlineError } from '../errors.js';
import { describe, validateFunction, validateNonNegative, validateScheduler } from '../internal/validate.js';
import { BusClosedError } from './errors.js';

/**
 * A class whose instances are events or state objects. Routing and lookup use the exact
 * constructor, so any class works, whatever its constructor's parameters.
 *
 * @example
 * ```ts
 * class Saved { constructor(readonly id: string) {} }
 * const Type: ClassOf<Saved> = Saved; // bus.on(Type), scope.state(Type)
 * ```
 */
export type ClassOf<T> = new (...args: never[]) => T;

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
   * Milliseconds to wait for a matching response before failing with a `DeadlineError`.
   * Omitted: wait as long as the bus is open.
   */
  readonly timeout?: number;
  /** Scheduler for the timeout (default `asyncScheduler`; `TestScheduler.run` makes it virtual). */
  readonly scheduler?: SchedulerLike;
}

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
 * A typed, in-process publish/subscribe bus: events are routed by their exact constructor.
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
   * Sends `event` to every current subscriber of its exact constructor, synchronously. With no
   * subscriber the event is dropped. Throws {@link BusClosedError} after {@link close}, and a
   * `TypeError` when `event` is not an object.
   *
   * @example
   * ```ts
   * bus.send(new OrderCreated('o-1'));
   * ```
   */
  send(event: object): void {
    if (this.closed) throw new BusClosedError();
    if (typeof event !== 'object' || event === null) validateObject('event', event);
    const channel = this.channels.get(event.constructor);
    if (channel === undefined) return;
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
    validateClass('Type', Type);
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
    options: RequestOptions = {},
  ): Observable<Res> {
    validateObject('request', request);
    validateClass('ResponseType', ResponseType);
    validateFunction('match', match);
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`Expected \`options\` to be an object ({ timeout?, scheduler? }), got ${describe(options)}`);
    }
    if (options.scheduler !== undefined) validateScheduler('scheduler', options.scheduler);
    const timeout = options.timeout === undefined ? undefined : validateNonNegative('timeout', options.timeout);
    const scheduler = options.scheduler ?? asyncScheduler;
    return new Observable<Res>((subscriber) => {
      let timer: Subscription | undefined;
      const responses = this.on(ResponseType).subscribe({
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
      });
      subscriber.add(responses);
      if (subscriber.closed) return;
      if (timeout !== undefined) {
        timer = scheduler.schedule(() => subscriber.error(new DeadlineError(scheduler.now())), timeout);
        subscriber.add(timer);
      }
      try {
        this.send(request);
      } catch (error) {
        subscriber.error(error);
      }
    });
  }

  /**
   * Closes the bus: every subscription of {@link on} completes, events queued by re-entrant sends
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
    if (Type !== undefined) return this.channels.get(Type)?.subscribers.length ?? 0;
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
    throw new TypeError(`Expected \`${name}\` to be an object (an instance of a class), got ${describe(value)}`);
  }
}

/** A constructor: something `new` can be applied to. */
export function validateClass(name: string, value: unknown): void {
  if (typeof value !== 'function' || !('prototype' in value) || value.prototype === undefined) {
    throw new TypeError(`Expected \`${name}\` to be a class (a constructor function), got ${describe(value)}`);
  }
}

