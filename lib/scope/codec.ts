import { describe, expected } from '../internal/validate.js';
import type { ClassOf } from '../types.js';
import { BusDecodeError } from './errors.js';

/**
 * An event as it travels between buses: the stable key its class is registered under, and the
 * event itself, whose own enumerable fields the transport copies (structured clone, JSON).
 *
 * @example
 * ```ts
 * const wire: EncodedEvent = { type: 'CartChanged', data: { items: 3 } };
 * ```
 */
export interface EncodedEvent {
  /** The key of the event's class in the {@link EventCodec}. */
  readonly type: string;
  /** The event's fields (on the sending side, the event object itself). */
  readonly data: object;
}

/**
 * The registry that lets exact-type routing survive a transport: each event class under a stable
 * key (class prototypes do not survive structured clone or JSON, and `constructor.name` does not
 * survive minification). Made by {@link eventCodec}.
 *
 * @example
 * ```ts
 * const codec: EventCodec = eventCodec({ CartChanged });
 * codec.encode(new CartChanged(3)); // { type: 'CartChanged', data: CartChanged { items: 3 } }
 * ```
 */
export interface EventCodec {
  /** The registered keys, in registration order. */
  readonly keys: readonly string[];
  /** Whether `Type` is registered (exactly: a subclass is not). */
  has(Type: ClassOf<object>): boolean;
  /** `event` as it travels; a `TypeError` naming the class when it is not registered. */
  encode(event: object): EncodedEvent;
  /**
   * An incoming message back into an instance of its registered class (its prototype, with the
   * message's fields; the constructor is not run). A {@link BusDecodeError} when the message is
   * not an encoded event or its key is unknown.
   */
  decode(message: unknown): object;
}

/** What {@link eventCodec} takes: records of classes by key, or codecs to merge. */
export type EventCodecPart = Readonly<Record<string, ClassOf<object>>> | EventCodec;

class Codec implements EventCodec {
  /** Key → class, for decoding. */
  private readonly byKey = new Map<string, ClassOf<object>>();
  /** Class → key, for encoding (exact constructor). */
  private readonly byType = new Map<unknown, string>();

  constructor(parts: readonly unknown[]) {
    parts.forEach((part, index) => {
      const name = parts.length === 1 ? 'types' : `types[${index}]`;
      if (part instanceof Codec) {
        for (const [key, Type] of part.byKey) this.add(name, key, Type);
        return;
      }
      if (part === null || typeof part !== 'object' || Array.isArray(part)) {
        throw new TypeError(expected(name, 'be an object of event classes by key ({ CartChanged, … }) or an eventCodec', part));
      }
      for (const [key, Type] of Object.entries(part)) this.add(`${name}.${key}`, key, Type);
    });
    if (this.byKey.size === 0) throw new TypeError('Expected `eventCodec` to be given at least one event class, got none');
  }

  private add(path: string, key: string, Type: unknown): void {
    if (key === '') throw new TypeError(`Expected every key of \`eventCodec\` to be a non-empty string, got \`""\` at \`${path}\``);
    if (typeof Type !== 'function' || !('prototype' in Type) || Type.prototype === undefined) {
      throw new TypeError(expected(path, 'be an event class (a constructor function)', Type));
    }
    const taken = this.byKey.get(key);
    if (taken !== undefined) {
      throw new TypeError(`Event codec key \`${key}\` is used twice: for ${className(taken)} and for ${className(Type)}`);
    }
    const other = this.byType.get(Type);
    if (other !== undefined) {
      throw new TypeError(`Event class ${className(Type)} is registered twice in the codec: as \`${other}\` and as \`${key}\``);
    }
    this.byKey.set(key, Type as ClassOf<object>);
    this.byType.set(Type, key);
  }

  get keys(): readonly string[] {
    return [...this.byKey.keys()];
  }

  has(Type: ClassOf<object>): boolean {
    return this.byType.has(Type);
  }

  encode(event: object): EncodedEvent {
    const type = this.byType.get(event.constructor);
    if (type === undefined) {
      throw new TypeError(
        `Event class ${className(event.constructor)} is not registered in the bus's codec (known: ${this.keys.join(', ')}); add it to eventCodec({ … })`,
      );
    }
    return { type, data: event };
  }

  decode(message: unknown): object {
    const m = message as Partial<EncodedEvent> | null;
    if (m === null || typeof m !== 'object' || typeof m.type !== 'string' || m.data === null || typeof m.data !== 'object') {
      throw new BusDecodeError(`Cannot decode an incoming message: expected { type: string, data: object }, got ${describe(message)}`, message);
    }
    const Type = this.byKey.get(m.type);
    if (Type === undefined) {
      throw new BusDecodeError(`Cannot decode an incoming event: unknown type key \`${m.type}\` (known: ${this.keys.join(', ')})`, message);
    }
    const event = Object.assign(Object.create(Type.prototype as object) as object, m.data);
    // A `__proto__` field (JSON.parse makes it an own key) would swap the prototype through Object.assign.
    if (Object.getPrototypeOf(event) !== Type.prototype) {
      throw new BusDecodeError(`Cannot decode an incoming \`${m.type}\` event: its data has a \`__proto__\` field`, message);
    }
    return event;
  }
}

/**
 * Registers event classes under stable keys for a bus with a transport:
 * `new EventBus({ transport, codec: eventCodec({ CartChanged, OrderCreated }) })`. Every bus
 * joined by the transport must use the same keys for the same events. The key is the property
 * name (not `constructor.name`, which minifiers rename). Several records or codecs can be merged:
 * `eventCodec(cartEvents, orderEvents)`.
 *
 * An event travels as its own enumerable fields; the receiving bus rebuilds it on its class's
 * prototype without running the constructor, so `instanceof`, getters and methods work. Fields
 * that are class instances themselves arrive as plain objects (structured clone also keeps
 * `Date`, `Map`, …; JSON does not).
 *
 * Bad input throws a `TypeError` at once: a value that is not a class, the same key twice
 * (across merged parts), the same class under two keys, no class at all.
 *
 * @example
 * ```ts
 * class CartChanged { constructor(readonly items: number) {} }
 * class OrderCreated { constructor(readonly id: string) {} }
 * const codec = eventCodec({ CartChanged, OrderCreated });
 * const bus = new EventBus({ transport: broadcastChannelTransport('shop'), codec });
 * ```
 */
export function eventCodec(...types: EventCodecPart[]): EventCodec {
  return new Codec(types);
}

/** Whether `value` was made by {@link eventCodec}. */
export function isEventCodec(value: unknown): value is EventCodec {
  return value instanceof Codec;
}

function className(Type: unknown): string {
  return typeof Type === 'function' && Type.name ? Type.name : '(anonymous class)';
}
