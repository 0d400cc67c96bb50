/**
 * The event bus across a transport: in this thread (two buses on one BroadcastChannel name, and a
 * transport written in the test), then between two worker threads.
 */
import * as fc from 'fast-check';
import { firstValueFrom, take, toArray, type Subscription } from 'rxjs';
import {
  BusDecodeError,
  BusTransportError,
  DeadlineError,
  EventBus,
  broadcastChannelTransport,
  eventCodec,
  type BusError,
  type BusTransport,
  type TransportPeer,
} from '../lib/index';
import { fullRound, reportsOnce, startWorkerPeer, type Peer } from './support/bus-peers';

class Saved {
  constructor(readonly id: string) {}
}
class Deleted {
  constructor(readonly id: string) {}
}
class Unregistered {
  constructor(readonly id: string) {}
}
class Ask {
  constructor(readonly id: number) {}
}
class Answer {
  constructor(
    readonly id: number,
    readonly text: string,
  ) {}
}
/**
 * The codec of most tests, made inside each test that uses it: made at import time, its code
 * would run outside any test, and a mutation run would then have to run every suite for each
 * mutant of the codec.
 */
const shared = () => eventCodec({ Saved, Deleted, Ask, Answer });

let channelCount = 0;
/** A BroadcastChannel name no other test uses. */
const channelName = () => `bus-spec-${process.pid}-${channelCount++}`;
/** Lets BroadcastChannel messages arrive (they are delivered as macrotasks). */
const settle = (ms = 30) => new Promise((resolve) => setTimeout(resolve, ms));
/**
 * Waits until `check()` holds (up to 10 s), then settles once more so that a duplicate would have
 * arrived too: a fixed wait alone was too short on a loaded machine (a mutation run at nice 19,
 * load 16, saw nothing arrive within 150 ms).
 */
async function until(check: () => boolean): Promise<void> {
  for (const start = Date.now(); !check() && Date.now() - start < 10_000; ) await settle(10);
  await settle();
}

/** A transport in the test itself: links in one set; each post reaches the others, cloned. */
function memoryTransport(): BusTransport & { peers: Set<TransportPeer>; posted: unknown[] } {
  const peers = new Set<TransportPeer>();
  const posted: unknown[] = [];
  return {
    peers,
    posted,
    join(peer) {
      peers.add(peer);
      return {
        post: (message) => {
          posted.push(message);
          for (const p of peers) if (p !== peer) p.receive(structuredClone(message));
        },
        leave: () => peers.delete(peer),
      };
    },
  };
}

describe('EventBus over a transport, in one thread', () => {
  const open: EventBus[] = [];
  const bus = (name: string) => {
    const b = new EventBus({ transport: broadcastChannelTransport(name), codec: shared() });
    open.push(b);
    return b;
  };
  afterEach(() => {
    for (const b of open.splice(0)) b.close();
  });

  it('an event sent on one bus reaches the subscribers of its exact type on the other, once, as an instance of its class; no echo', async () => {
    const name = channelName();
    const a = bus(name);
    const b = bus(name);
    const onA: unknown[] = [];
    const onB: unknown[] = [];
    const deletedOnB: unknown[] = [];
    a.on(Saved).subscribe((e) => onA.push(e));
    b.on(Saved).subscribe((e) => onB.push(e));
    b.on(Deleted).subscribe((e) => deletedOnB.push(e));
    a.send(new Saved('s-1'));
    expect(onA).toEqual([new Saved('s-1')]); // local delivery: synchronous, as without a transport
    expect(onB).toEqual([]);
    await until(() => onB.length > 0);
    expect(onB).toHaveLength(1);
    expect(onB[0]).toBeInstanceOf(Saved);
    expect(onB[0]).toEqual(new Saved('s-1'));
    expect(deletedOnB).toEqual([]);
    expect(onA).toHaveLength(1); // not echoed back through the transport
  });

  it('FIFO per sender and type, also for events sent re-entrantly from a subscriber', async () => {
    const name = channelName();
    const a = bus(name);
    const b = bus(name);
    a.on(Saved).subscribe((e) => {
      if (e.id === '0') a.send(new Saved('1')); // queued locally; posted at once, in call order
    });
    const got: string[] = [];
    b.on(Saved).subscribe((e) => got.push(e.id));
    a.send(new Saved('0'));
    a.send(new Saved('2'));
    await until(() => got.length >= 3);
    expect(got).toEqual(['0', '1', '2']);
  });

  it('request/response across the transport: the responder lives on the other bus', async () => {
    const name = channelName();
    const a = bus(name);
    const b = bus(name);
    b.on(Ask).subscribe((ask) => b.send(new Answer(ask.id, `answer ${ask.id}`)));
    const answer = await firstValueFrom(a.request(new Ask(7), Answer, (x) => x.id === 7, { timeout: 10_000 }));
    expect(answer).toEqual(new Answer(7, 'answer 7'));
    await expect(firstValueFrom(a.request(new Ask(8), Answer, (x) => x.id === -1, { timeout: 50 }))).rejects.toThrow(
      new DeadlineError(0, 'bus.request(Answer): no matching response within 50 ms'),
    );
  });

  it('an unregistered class throws a TypeError naming it at send, and nothing is delivered locally or posted', () => {
    const transport = memoryTransport();
    const a = new EventBus({ transport, codec: shared() });
    open.push(a);
    const local: unknown[] = [];
    a.on(Unregistered).subscribe((e) => local.push(e));
    expect(() => a.send(new Unregistered('u'))).toThrow(/Event class Unregistered is not registered in the bus's codec \(known: Saved, Deleted, Ask, Answer\)/);
    expect(() => a.request(new Unregistered('u'), Answer, () => true)).toThrow(/Unregistered is not registered/);
    expect(local).toEqual([]);
    expect(transport.posted).toEqual([]);
  });

  it('undecodable messages go to errors$ and never stop delivery; transport failures too', () => {
    const transport = memoryTransport();
    const a = new EventBus({ transport, codec: shared() });
    const b = new EventBus({ transport, codec: eventCodec({ Saved }) }); // b does not know Deleted
    open.push(a, b);
    const errors: BusError[] = [];
    b.errors$.subscribe((e) => errors.push(e));
    const got: string[] = [];
    b.on(Saved).subscribe((e) => got.push(e.id));
    const [peerOfB] = [...transport.peers].slice(1);
    a.send(new Deleted('d-1')); // unknown key on b
    peerOfB!.receive('not an event');
    peerOfB!.receive({ type: 'Saved', data: null });
    peerOfB!.receive(JSON.parse('{"type":"Saved","data":{"__proto__":{"x":1},"id":"p"}}'));
    a.send(new Saved('s-1'));
    peerOfB!.fail(new Error('connection reset'));
    b.send(new Saved('local')); // local delivery goes on
    expect(got).toEqual(['s-1', 'local']);
    expect(errors.map((e) => e.constructor)).toEqual([BusDecodeError, BusDecodeError, BusDecodeError, BusDecodeError, BusTransportError]);
    expect(errors[0]!.message).toMatch(/unknown type key `Deleted` \(known: Saved\)/);
    expect((errors[0] as BusDecodeError).data).toEqual({ type: 'Deleted', data: { id: 'd-1' } });
    expect(errors[1]!.message).toMatch(/expected \{ type: string, data: object \}, got `"not an event"`/);
    expect(errors[3]!.message).toMatch(/__proto__/);
    expect(errors[4]!.message).toBe('The event bus transport failed: connection reset');
  });

  it('a post that throws (a field that cannot be cloned) goes to errors$; local delivery goes on', async () => {
    class Carries {
      constructor(readonly fn: () => void) {}
    }
    const name = channelName();
    const a = new EventBus({ transport: broadcastChannelTransport(name), codec: eventCodec({ Carries }) });
    open.push(a);
    const errors: BusError[] = [];
    a.errors$.subscribe((e) => errors.push(e));
    const local: unknown[] = [];
    a.on(Carries).subscribe((e) => local.push(e));
    a.send(new Carries(() => undefined));
    expect(local).toHaveLength(1);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(BusTransportError);
    expect(errors[0]!.message).toMatch(/BroadcastChannel "bus-spec-.*" could not post a `Carries` event/);
  });

  it('close() leaves the transport (nothing in or out), completes subscribers and errors$', async () => {
    const name = channelName();
    const a = bus(name);
    const b = bus(name);
    const onB = firstValueFrom(b.on(Saved).pipe(toArray()));
    const errorsDone = firstValueFrom(b.errors$.pipe(toArray()));
    let arrived = 0;
    b.on(Saved).subscribe(() => arrived++);
    a.send(new Saved('before'));
    await until(() => arrived > 0);
    b.close();
    a.send(new Saved('after')); // b has left: it neither receives nor throws
    await settle();
    await expect(onB).resolves.toEqual([new Saved('before')]);
    await expect(errorsDone).resolves.toEqual([]);
    const transport = memoryTransport();
    const c = new EventBus({ transport, codec: shared() });
    expect(transport.peers.size).toBe(1);
    c.close();
    expect(transport.peers.size).toBe(0);
    expect(() => c.send(new Saved('x'))).toThrow(/closed/);
    let completed = false;
    c.errors$.subscribe({ complete: () => (completed = true) });
    expect(completed).toBe(true);
  });

  it('nothing is kept without subscribers: remote events for a type nobody watches are dropped', async () => {
    const name = channelName();
    const a = bus(name);
    const b = bus(name);
    a.send(new Saved('nobody'));
    await settle();
    expect(b.typeCount).toBe(0);
    const late: unknown[] = [];
    b.on(Saved).subscribe((e) => late.push(e));
    await settle();
    expect(late).toEqual([]);
  });

  it('a bus without a transport is in-process only and its errors$ never emits', async () => {
    const local = new EventBus();
    const peerBus = bus(channelName());
    const errors = firstValueFrom(local.errors$.pipe(toArray()));
    local.send(new Unregistered('fine without a codec'));
    local.close();
    await expect(errors).resolves.toEqual([]);
    expect(peerBus.isClosed).toBe(false);
  });
});

describe('EventBus bad input', () => {
  it('refuses a transport that is not one, a codec that is not one, a transport without a codec, unknown options', () => {
    expect(() => new EventBus({ transport: {} as never, codec: shared() })).toThrow(
      /Expected `options.transport` to be a bus transport \(an object with `join\(peer\)`, such as `broadcastChannelTransport\('app'\)`\), got `\{\}` \(object\)/,
    );
    expect(() => new EventBus({ transport: 'redis' as never, codec: shared() })).toThrow(/`options.transport` to be a bus transport.*`"redis"` \(string\)/);
    expect(() => new EventBus({ transport: { join: () => undefined } as never, codec: shared() })).toThrow(
      /`options.transport.join\(peer\)` to return a link \(an object with `post` and `leave`\), got `undefined`/,
    );
    expect(() => new EventBus({ transport: broadcastChannelTransport('x'), codec: { Saved } as never })).toThrow(
      /`options.codec` to be an event codec made by `eventCodec\(\{ … \}\)`/,
    );
    expect(() => new EventBus({ transport: broadcastChannelTransport('x') })).toThrow(/`options.codec` with `options.transport`/);
    expect(() => new EventBus({ transprot: broadcastChannelTransport('x') } as never)).toThrow(/Unknown option `options.transprot`; expected one of `transport`, `codec`/);
    expect(() => new EventBus(null as never)).toThrow(/`options` to be an object, got `null`/);
    expect(() => broadcastChannelTransport('')).toThrow(/`name` to be a non-empty string/);
    expect(() => broadcastChannelTransport(3 as never)).toThrow(/`name` to be a non-empty string.*`3` \(number\)/);
  });

  it('refuses a codec key used twice, a class under two keys, a non-class, nothing at all', () => {
    const cart = eventCodec({ Saved });
    expect(() => eventCodec(cart, { Saved: Deleted })).toThrow(/Event codec key `Saved` is used twice: for Saved and for Deleted/);
    expect(() => eventCodec({ Saved }, { Saved })).toThrow(/key `Saved` is used twice/);
    expect(() => eventCodec({ Saved, Again: Saved })).toThrow(/Event class Saved is registered twice in the codec: as `Saved` and as `Again`/);
    expect(() => eventCodec({ Saved, oops: 0 as never })).toThrow(/Expected `types.oops` to be an event class \(a constructor function\), got `0` \(number\)/);
    expect(() => eventCodec({ Saved, arrow: (() => 1) as never })).toThrow(/`types.arrow` to be an event class.*function arrow/);
    expect(() => eventCodec({ Saved }, [] as never)).toThrow(/`types\[1\]` to be an object of event classes by key/);
    expect(() => eventCodec()).toThrow(/at least one event class/);
    expect(() => eventCodec({ '': Saved })).toThrow(/non-empty string/);
    const merged = eventCodec(cart, { Deleted });
    expect(merged.keys).toEqual(['Saved', 'Deleted']);
    expect(merged.has(Saved)).toBe(true);
    expect(merged.has(Unregistered)).toBe(false);
  });

  it('send refuses plain objects and arrays (they reached nobody, silently), null and primitives; on/listenerCount refuse non-classes', () => {
    const bus = new EventBus();
    expect(() => bus.send({ id: 1 })).toThrow(
      /Expected `event` to be an instance of an event class, got `\{"id":1\}` \(object\): a plain object reaches no subscriber/,
    );
    expect(() => bus.send([1, 2])).toThrow(/`event` to be an instance of an event class, got `\[1,2\]` \(object\): an array reaches no subscriber/);
    expect(() => bus.send(Object.create(null) as object)).toThrow(/instance of an event class/);
    expect(() => bus.send(null as never)).toThrow(/Expected `event` to be an object \(an instance of a class\), got `null` \(null\)/);
    expect(() => bus.request(null as never, Answer, () => true)).toThrow(/Expected `request` to be an object \(an instance of a class\), got `null` \(null\)/);
    expect(() => bus.request({ id: 1 }, Answer, () => true)).toThrow(/`request` to be an instance of an event class/);
    expect(() => bus.on(Object)).toThrow(/`Type` to be an event class, got `function Object` \(function\): plain objects and arrays are not events/);
    expect(() => bus.listenerCount(0 as never)).toThrow(/Expected `Type` to be a class \(a constructor function\), got `0` \(number\)/);
    expect(() => bus.request(new Ask(1), Answer, () => true, { timout: 5 } as never)).toThrow(
      /Unknown option `options.timout`; expected one of `timeout`, `scheduler`/,
    );
    expect(bus.listenerCount(Saved)).toBe(0);
  });
});

describe('EventBus across two worker threads (BroadcastChannel)', () => {
  const N = 100_000;
  let a: Peer;
  let b: Peer;
  beforeAll(async () => {
    const channel = channelName();
    [a, b] = await Promise.all([
      startWorkerPeer({ name: 'a', transport: 'broadcast', channel }),
      startWorkerPeer({ name: 'b', transport: 'broadcast', channel }),
    ]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it(`exchange ${N.toLocaleString('en-US')} events each of 3 types: none lost, none duplicated, FIFO per sender and type`, async () => {
    await Promise.all([a.ask({ cmd: 'blast', n: N, round: 1 }, 'blasted'), b.ask({ cmd: 'blast', n: N, round: 1 }, 'blasted')]);
    const [ra, rb] = await reportsOnce([a, b], 1, 2 * N);
    // Each got the other's events once, in order, and its own once (locally: no echo).
    expect(ra).toEqual({ ...fullRound('a', 1, N), ...fullRound('b', 1, N) });
    expect(rb).toEqual({ ...fullRound('a', 1, N), ...fullRound('b', 1, N) });
    expect(a.busErrors()).toEqual([]);
    expect(b.busErrors()).toEqual([]);
  }, 120_000);

  it('request/response between them, both ways (the responder in the other thread)', async () => {
    await expect(a.ask({ cmd: 'request', id: 1, timeout: 5_000 }, 'response')).resolves.toMatchObject({ id: 1, from: 'b' });
    await expect(b.ask({ cmd: 'request', id: 2, timeout: 5_000 }, 'response')).resolves.toMatchObject({ id: 2, from: 'a' });
  }, 30_000);
});

describe('a root scope with a bus of its own choosing', () => {
  it('scope(name, body, { bus }) talks on that bus; the scope closes it when the body ends', async () => {
    const { scope } = await import('../lib/index');
    const transport = memoryTransport();
    const other = new EventBus({ transport, codec: shared() });
    const mine = new EventBus({ transport, codec: shared() });
    const heard = firstValueFrom(other.on(Saved).pipe(take(1)));
    const result = await firstValueFrom(
      scope(
        'app',
        (s) => {
          expect(s.bus).toBe(mine);
          s.send(new Saved('from the scope'));
          return [1];
        },
        { bus: mine },
      ),
    );
    expect(result).toBe(1);
    await expect(heard).resolves.toEqual(new Saved('from the scope'));
    expect(mine.isClosed).toBe(true);
    expect(transport.peers.size).toBe(1);
    other.close();
  });

  it('refuses a bus that is not an EventBus, and a bus for a nested scope', async () => {
    const { scope } = await import('../lib/index');
    expect(() => scope('app', () => [1], { bus: {} as never })).toThrow(/Expected `options.bus` to be an EventBus, got `\{\}` \(object\)/);
    const errors: unknown[] = [];
    scope('app', (s) => {
      try {
        s.scope('child', () => [1], { bus: new EventBus() });
      } catch (error) {
        errors.push(error);
      }
      return [1];
    }).subscribe();
    expect(String(errors[0])).toMatch(/`options.bus` is for root scopes/);
  });
});

describe('EventBus over a transport: property', () => {
  // Three buses joined by a synchronous in-memory transport (each post reaches the others at
  // once, structured-cloned), so that remote deliveries land inside sends and re-entrant sends.
  // A program of top-level steps: subscribe (a subscriber may echo on its own bus from inside
  // its delivery), unsubscribe, send.
  type Op =
    | { kind: 'subscribe'; bus: number; type: number; echo: number | null }
    | { kind: 'unsubscribe'; which: number }
    | { kind: 'send'; bus: number; type: number };
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('subscribe' as const), bus: fc.nat(2), type: fc.nat(2), echo: fc.option(fc.nat(2)) }),
    fc.record({ kind: fc.constant('unsubscribe' as const), which: fc.nat(20) }),
    fc.record({ kind: fc.constant('send' as const), bus: fc.nat(2), type: fc.nat(2) }),
  );

  it('each subscriber gets every event of its type sent on any bus while it was subscribed, once, in order per sending bus', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 50 }), (program) => {
        class A {
          constructor(
            readonly id: number,
            readonly depth: number,
            readonly from: number,
          ) {}
        }
        class B extends A {}
        class C extends A {}
        const types = [A, B, C];
        const transport = memoryTransport();
        const buses = [0, 1, 2].map(() => new EventBus({ transport, codec: eventCodec({ A, B, C }) }));
        const sent: { id: number; type: number; from: number }[] = [];
        let nextId = 0;
        const send = (bus: number, type: number, depth: number): void => {
          const id = nextId++;
          sent.push({ id, type, from: bus });
          buses[bus]!.send(new types[type]!(id, depth, bus));
        };
        interface Sub {
          type: number;
          from: number;
          to: number;
          got: { id: number; from: number }[];
          subscription: Subscription;
        }
        const subs: Sub[] = [];
        for (const step of program) {
          if (step.kind === 'send') send(step.bus, step.type, 0);
          else if (step.kind === 'subscribe') {
            const record: Sub = { type: step.type, from: nextId, to: Infinity, got: [], subscription: undefined as never };
            record.subscription = buses[step.bus]!.on(types[step.type]!).subscribe((event) => {
              expect(event).toBeInstanceOf(types[step.type]!);
              record.got.push({ id: event.id, from: event.from });
              if (step.echo !== null && event.depth < 2) send(step.bus, step.echo, event.depth + 1);
            });
            subs.push(record);
          } else {
            const target = subs[step.which];
            if (target !== undefined && target.to === Infinity) {
              target.to = nextId;
              target.subscription.unsubscribe();
            }
          }
        }
        for (const sub of subs) {
          const expected = sent.filter((s) => s.type === sub.type && s.id >= sub.from && s.id < sub.to);
          expect([...sub.got].sort((x, y) => x.id - y.id)).toEqual(expected.map(({ id, from }) => ({ id, from })));
          for (const bus of [0, 1, 2]) {
            const fromBus = sub.got.filter((g) => g.from === bus).map((g) => g.id);
            expect(fromBus).toEqual([...fromBus].sort((x, y) => x - y));
          }
        }
        for (const bus of buses) bus.close();
        expect(transport.peers.size).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
