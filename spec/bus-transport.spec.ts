/**
 * The event bus across a transport: in this thread (two buses on one BroadcastChannel name, and a
 * transport written in the test), then between two worker threads.
 */
import * as fc from 'fast-check';
import { firstValueFrom, repeat, take, tap, toArray } from 'rxjs';
import {
  BusClosedError,
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
import { busEventTypes, busProgram, runBusProgram } from './support/bus-property';

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
/** Waits until `done()` holds (messages arrive as macrotasks, later on a busy machine), then a little more, so that duplicates would show. */
async function arrived(done: () => boolean, timeoutMs = 5_000): Promise<void> {
  for (const until = Date.now() + timeoutMs; !done() && Date.now() < until; ) await settle(10);
  await settle();
}
/** Raw BroadcastChannels a test opened (closed after each test, also when it fails: an open one keeps jest running). */
const rawChannels: BroadcastChannel[] = [];
function rawChannel(name: string): BroadcastChannel {
  const channel = new BroadcastChannel(name);
  rawChannels.push(channel);
  return channel;
}
afterEach(() => {
  for (const c of rawChannels.splice(0)) c.close();
});
/** A raw BroadcastChannel on `name` that records every message posted on it (what goes over the wire). */
function spyOn(name: string): { messages: unknown[] } {
  const messages: unknown[] = [];
  rawChannel(name).onmessage = (e: MessageEvent) => messages.push(e.data);
  return { messages };
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
    await arrived(() => onB.length > 0);
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
    await arrived(() => got.length >= 3);
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

  it('an event sent alone is posted at once; the events sent after it in the same run go together, in order, up to 256 a message', async () => {
    const name = channelName();
    const wire = spyOn(name);
    const a = bus(name);
    const b = bus(name);
    const got: string[] = [];
    b.on(Saved).subscribe((e) => got.push(`S${e.id}`));
    b.on(Deleted).subscribe((e) => got.push(`D${e.id}`));
    a.send(new Saved('alone'));
    await arrived(() => got.length === 1);
    expect(wire.messages).toEqual([['Saved', { id: 'alone' }]]);
    wire.messages.length = 0;
    got.length = 0;
    a.send(new Saved('0')); // goes at once
    a.send(new Saved('1')); // these wait for the end of the run (a microtask), keys once per run of a type
    a.send(new Deleted('2'));
    a.send(new Deleted('3'));
    a.send(new Saved('4'));
    for (let i = 5; i < 600; i++) a.send(new Saved(String(i)));
    expect(wire.messages).toEqual([]); // nothing arrives before the run ends
    await arrived(() => got.length === 600);
    expect(got).toEqual(['S0', 'S1', 'D2', 'D3', ...Array.from({ length: 596 }, (_, i) => `S${i + 4}`)]);
    const sizes = wire.messages.map((m) => (m as unknown[]).filter((item) => typeof item !== 'string').length);
    expect(sizes).toEqual([1, 256, 256, 87]); // the first alone, then full batches, then the rest at the end of the run
    expect(wire.messages[1]).toEqual(['Saved', { id: '1' }, 'Deleted', { id: '2' }, { id: '3' }, 'Saved', { id: '4' }, ...Array.from({ length: 252 }, (_, i) => ({ id: String(i + 5) }))]);
  });

  it('a batch with an event that cannot be cloned: that one goes to errors$, the others still arrive, in order', async () => {
    class Carries {
      constructor(readonly fn: unknown) {}
    }
    const name = channelName();
    const codec2 = eventCodec({ Carries });
    const a = new EventBus({ transport: broadcastChannelTransport(name), codec: codec2 });
    const b = new EventBus({ transport: broadcastChannelTransport(name), codec: codec2 });
    open.push(a, b);
    const errors: BusError[] = [];
    a.errors$.subscribe((e) => errors.push(e));
    const got: unknown[] = [];
    b.on(Carries).subscribe((e) => got.push(e.fn));
    a.send(new Carries(0));
    a.send(new Carries(1));
    a.send(new Carries(() => 2));
    a.send(new Carries(3));
    expect(errors).toEqual([]); // the batch is posted at the end of the run
    await arrived(() => got.length >= 3);
    expect(got).toEqual([0, 1, 3]);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/BroadcastChannel "bus-spec-.*" could not post a `Carries` event/);
  });

  it('close() posts the events still waiting for the end of the run before it leaves', async () => {
    const name = channelName();
    const a = bus(name);
    const b = bus(name);
    const got: string[] = [];
    b.on(Saved).subscribe((e) => got.push(e.id));
    for (let i = 0; i < 5; i++) a.send(new Saved(String(i)));
    a.close();
    await arrived(() => got.length >= 5);
    expect(got).toEqual(['0', '1', '2', '3', '4']);
  });

  it('reads batches from the wire, and reports what is not one on errors$ (after delivering what came before it)', async () => {
    const name = channelName();
    const b = bus(name);
    const errors: BusError[] = [];
    b.errors$.subscribe((e) => errors.push(e));
    const got: string[] = [];
    b.on(Saved).subscribe((e) => got.push(`S${e.id}`));
    b.on(Deleted).subscribe((e) => got.push(`D${e.id}`));
    const raw = rawChannel(name);
    raw.postMessage(['Saved', { id: '1' }, { id: '2' }, 'Deleted', { id: '3' }]);
    raw.postMessage({ type: 'Saved', data: { id: '4' } }); // an encoded event as an object is understood too
    raw.postMessage(['Saved', { id: '5' }, 'Deleted']); // a key without data: the rest is undecodable
    raw.postMessage([1, 2]);
    raw.postMessage(['Nope', {}]);
    await arrived(() => errors.length >= 3);
    expect(got).toEqual(['S1', 'S2', 'D3', 'S4', 'S5']);
    expect(errors.map((e) => e.constructor)).toEqual([BusDecodeError, BusDecodeError, BusDecodeError]);
    expect(errors[0]!.message).toMatch(/expected \{ type: string, data: object \}, got `\["Saved",\{"id":"5"\},"Deleted"\]`/);
    expect(errors[1]!.message).toMatch(/got `\[1,2\]`/);
    expect(errors[2]!.message).toMatch(/unknown type key `Nope`/);
  });

  it('close() leaves the transport (nothing in or out), completes subscribers and errors$', async () => {
    const name = channelName();
    const a = bus(name);
    const b = bus(name);
    const onB = firstValueFrom(b.on(Saved).pipe(toArray()));
    const errorsDone = firstValueFrom(b.errors$.pipe(toArray()));
    let count = 0;
    b.on(Saved).subscribe(() => count++);
    a.send(new Saved('before'));
    await arrived(() => count > 0);
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
  it('scope(name, body, { bus }) talks on that bus and leaves it open: its creator owns it; what the scope started on it ends with the body', async () => {
    const { scope } = await import('../lib/index');
    const transport = memoryTransport();
    const other = new EventBus({ transport, codec: shared() });
    const mine = new EventBus({ transport, codec: shared() });
    const heard = firstValueFrom(other.on(Saved).pipe(take(1)));
    const ownersLoop: string[] = [];
    mine.on(Saved).subscribe((e) => ownersLoop.push(e.id)); // the owner's own subscriber
    const loops: string[] = [];
    let sendAfterEnd: (() => void) | undefined;
    let pendingRequest: Promise<unknown> | undefined;
    const result = await firstValueFrom(
      scope(
        'app',
        (s) => {
          expect(s.bus).toBe(mine);
          s.spawn(() => s.on(Saved).pipe(tap((e) => loops.push(`root ${e.id}`)))); // a subscriber loop: ends with the body
          s.scope('child', (c) => {
            c.spawn(() => c.on(Saved).pipe(tap((e) => loops.push(`child ${e.id}`)))); // a non-isolated child's too
            return [0];
          }).subscribe();
          pendingRequest = firstValueFrom(s.request(new Ask(1), Answer, () => true));
          pendingRequest.catch(() => undefined);
          s.send(new Saved('from the scope'));
          sendAfterEnd = () => s.send(new Saved('late'));
          return [1];
        },
        { bus: mine },
      ),
    );
    expect(result).toBe(1); // the loops completed with the body, so the scope did not wait for them
    await expect(heard).resolves.toEqual(new Saved('from the scope'));
    expect(loops).toEqual(['root from the scope', 'child from the scope']);
    await expect(pendingRequest).rejects.toThrow(new BusClosedError('scope "app" ended before a response to the request arrived (the bus it was given stays open)'));
    expect(() => sendAfterEnd!()).toThrow(/scope "app" has ended: it sends nothing more on the bus it was given/);
    // The bus is open, still joined, and its owner's subscriber still hears.
    expect(mine.isClosed).toBe(false);
    expect(transport.peers.size).toBe(2);
    expect(mine.listenerCount(Saved)).toBe(1);
    other.send(new Saved('after the scope'));
    expect(ownersLoop).toEqual(['from the scope', 'after the scope']);
    expect(loops).toHaveLength(2);
    // A second subscription of the scope (`repeat`, `retry`) talks on it again.
    const twice: string[] = [];
    const run = scope(
      'again',
      (s) => {
        s.send(new Saved(`run ${twice.length}`));
        twice.push('ran');
        return [twice.length];
      },
      { bus: mine },
    );
    await expect(firstValueFrom(run.pipe(repeat(2), toArray()))).resolves.toEqual([1, 2]);
    expect(ownersLoop.slice(2)).toEqual(['run 0', 'run 1']);
    // Unsubscribed from outside, the scope detaches too.
    const during: string[] = [];
    const sub = scope('cancelled', (s) => s.on(Saved).pipe(tap((e) => during.push(e.id))), { bus: mine }).subscribe();
    other.send(new Saved('while subscribed'));
    sub.unsubscribe();
    other.send(new Saved('after'));
    expect(during).toEqual(['while subscribed']);
    expect(mine.listenerCount(Saved)).toBe(1);
    mine.close();
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
  it('each subscriber gets every event of its type sent on any bus while it was subscribed, once, in order per sending bus', () => {
    fc.assert(
      fc.property(busProgram(3, 50), (program) => {
        const types = busEventTypes();
        const [A, B, C] = types;
        const transport = memoryTransport();
        const buses = [0, 1, 2].map(() => new EventBus({ transport, codec: eventCodec({ A, B, C }) }));
        runBusProgram(program, buses, types);
        for (const bus of buses) bus.close();
        expect(transport.peers.size).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
