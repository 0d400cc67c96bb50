import * as fc from 'fast-check';
import { config, take, toArray, firstValueFrom, lastValueFrom, type Subscription } from 'rxjs';
import { DeadlineError } from '../lib/errors';
import { BusClosedError, EventBus } from '../lib/index';
import { busEventTypes, busProgram, runBusProgram } from './support/bus-property';

class Ping {
  constructor(readonly n: number) {}
}
class Pong {
  constructor(readonly n: number) {}
}
class SpecialPing extends Ping {}

describe('EventBus', () => {
  it('subscribe, then send 10: the subscriber gets 0..9 in order', () => {
    const bus = new EventBus();
    const got: number[] = [];
    bus.on(Ping).subscribe((p) => got.push(p.n));
    for (let i = 0; i < 10; i++) bus.send(new Ping(i));
    expect(got).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('a late subscriber sees only events sent after it subscribed', () => {
    const bus = new EventBus();
    const early: number[] = [];
    const late: number[] = [];
    bus.on(Ping).subscribe((p) => early.push(p.n));
    bus.send(new Ping(1));
    bus.on(Ping).subscribe((p) => late.push(p.n));
    bus.send(new Ping(2));
    expect(early).toEqual([1, 2]);
    expect(late).toEqual([2]);
  });

  it('events sent with no subscriber are dropped and nothing is kept', () => {
    const bus = new EventBus();
    bus.send(new Ping(1));
    expect(bus.typeCount).toBe(0);
    const got: number[] = [];
    bus.on(Ping).subscribe((p) => got.push(p.n));
    expect(got).toEqual([]);
  });

  it('two subscribers both receive every event', () => {
    const bus = new EventBus();
    const a: number[] = [];
    const b: number[] = [];
    bus.on(Ping).subscribe((p) => a.push(p.n));
    bus.on(Ping).subscribe((p) => b.push(p.n));
    bus.send(new Ping(1));
    bus.send(new Ping(2));
    expect(a).toEqual([1, 2]);
    expect(b).toEqual([1, 2]);
  });

  it('routes by exact constructor: a subclass does not reach subscribers of its parent class', () => {
    const bus = new EventBus();
    const pings: unknown[] = [];
    const specials: unknown[] = [];
    const pongs: unknown[] = [];
    bus.on(Ping).subscribe((p) => pings.push(p));
    bus.on(SpecialPing).subscribe((p) => specials.push(p));
    bus.on(Pong).subscribe((p) => pongs.push(p));
    const special = new SpecialPing(2);
    bus.send(new Ping(1));
    bus.send(special);
    expect(pings).toEqual([new Ping(1)]);
    expect(specials).toEqual([special]);
    expect(pongs).toEqual([]);
  });

  it('re-entrant send keeps FIFO for every subscriber', () => {
    const bus = new EventBus();
    const first: number[] = [];
    const second: number[] = [];
    bus.on(Ping).subscribe((p) => {
      first.push(p.n);
      if (p.n < 3) bus.send(new Ping(p.n + 1)); // sends from inside its own delivery
    });
    bus.on(Ping).subscribe((p) => second.push(p.n));
    bus.send(new Ping(0));
    // Without the queue the second subscriber would see 3, 2, 1, 0.
    expect(first).toEqual([0, 1, 2, 3]);
    expect(second).toEqual([0, 1, 2, 3]);
    expect(bus.listenerCount(Ping)).toBe(2);
  });

  it('a subscriber added during a delivery does not get events sent before it subscribed', () => {
    const bus = new EventBus();
    const late: number[] = [];
    let added = false;
    bus.on(Ping).subscribe((p) => {
      if (p.n === 0) {
        bus.send(new Ping(1)); // queued behind 0
        if (!added) {
          added = true;
          bus.on(Ping).subscribe((q) => late.push(q.n));
        }
        bus.send(new Ping(2));
      }
    });
    bus.send(new Ping(0));
    expect(late).toEqual([2]);
  });

  it('request/response: subscribes before sending and picks the response with the matching id among others', async () => {
    const bus = new EventBus();
    class Query {
      constructor(readonly id: string) {}
    }
    class Reply {
      constructor(
        readonly id: string,
        readonly value: number,
      ) {}
    }
    // A synchronous responder that also answers a few other requests first.
    bus.on(Query).subscribe((q) => {
      bus.send(new Reply('other-1', -1));
      bus.send(new Reply(q.id, 42));
      bus.send(new Reply('other-2', -2));
    });
    const reply = await firstValueFrom(bus.request(new Query('q-7'), Reply, (r) => r.id === 'q-7'));
    expect(reply).toEqual(new Reply('q-7', 42));
    expect(bus.listenerCount(Reply)).toBe(0);
  });

  it('request fails with DeadlineError on timeout, and with BusClosedError when the bus closes first', async () => {
    const bus = new EventBus();
    await expect(firstValueFrom(bus.request(new Ping(1), Pong, () => true, { timeout: 5 }))).rejects.toBeInstanceOf(
      DeadlineError,
    );
    const pending = firstValueFrom(bus.request(new Ping(1), Pong, () => true));
    bus.close();
    await expect(pending).rejects.toBeInstanceOf(BusClosedError);
    await expect(firstValueFrom(bus.request(new Ping(1), Pong, () => true))).rejects.toBeInstanceOf(BusClosedError);
  });

  it('request errors when match throws', async () => {
    const bus = new EventBus();
    bus.on(Ping).subscribe((p) => bus.send(new Pong(p.n)));
    const oops = new Error('match');
    await expect(
      firstValueFrom(
        bus.request(new Ping(1), Pong, () => {
          throw oops;
        }),
      ),
    ).rejects.toBe(oops);
  });

  it('close() completes every subscription; send after close throws BusClosedError; on() after close completes', async () => {
    const bus = new EventBus();
    const all = lastValueFrom(bus.on(Ping).pipe(toArray()));
    bus.send(new Ping(1));
    bus.close();
    expect(bus.isClosed).toBe(true);
    await expect(all).resolves.toEqual([new Ping(1)]);
    expect(() => bus.send(new Ping(2))).toThrow(BusClosedError);
    let completed = false;
    bus.on(Ping).subscribe({ complete: () => (completed = true) });
    expect(completed).toBe(true);
    expect(bus.typeCount).toBe(0);
    bus.close(); // idempotent
  });

  it('close() from inside a delivery drops the queued events', () => {
    const bus = new EventBus();
    const got: number[] = [];
    bus.on(Ping).subscribe((p) => {
      got.push(p.n);
      if (p.n === 0) {
        bus.send(new Ping(1));
        bus.close();
      }
    });
    bus.send(new Ping(0));
    expect(got).toEqual([0]);
  });

  it('a million events through subscribers that come and go leave nothing in the registry (counted)', () => {
    const bus = new EventBus();
    const types = [Ping, Pong, SpecialPing] as const;
    const live: Subscription[] = [];
    let received = 0;
    let maxListeners = 0;
    for (let i = 0; i < 1_000_000; i++) {
      if (i % 100 === 0) {
        live.push(bus.on(types[(i / 100) % 3]!).subscribe(() => received++));
        if (live.length > 5) live.shift()!.unsubscribe();
        maxListeners = Math.max(maxListeners, bus.listenerCount());
      }
      if (i % 1000 === 0) bus.on(Ping).pipe(take(3)).subscribe(() => received++); // leaves by itself
      bus.send(new (types[i % 3]!)(i));
    }
    expect(received).toBeGreaterThan(1_000_000);
    expect(maxListeners).toBeLessThanOrEqual(9);
    for (const s of live) s.unsubscribe();
    expect(bus.listenerCount()).toBe(0);
    expect(bus.typeCount).toBe(0);
  });

  it('the registry entry of a type goes away when its last subscriber leaves during a delivery', () => {
    const bus = new EventBus();
    const sub = bus.on(Ping).subscribe(() => sub.unsubscribe());
    expect(bus.typeCount).toBe(1);
    bus.send(new Ping(1));
    expect(bus.typeCount).toBe(0);
  });

  it('rejects bad input at call time, naming the value', () => {
    const bus = new EventBus();
    expect(() => bus.on('Ping' as never)).toThrow(/`Type` to be a class .*"Ping"/);
    expect(() => bus.on((() => 1) as never)).toThrow(TypeError);
    expect(() => bus.send(5 as never)).toThrow(/`event` to be an object.*`5` \(number\)/);
    expect(() => bus.send(null as never)).toThrow(TypeError);
    expect(() => bus.request(new Ping(1), Pong, 'x' as never)).toThrow(/`match` to be a function/);
    expect(() => bus.request(new Ping(1), Pong, () => true, { timeout: -1 })).toThrow(/`options.timeout`.*`-1`/);
    expect(() => bus.request(new Ping(1), Pong, () => true, { timeout: NaN })).toThrow(RangeError);
    expect(() => bus.request(1 as never, Pong, () => true)).toThrow(/`request` to be an object/);
    expect(() => bus.request(new Ping(1), Pong, () => true, null as never)).toThrow(/`options` to be an object.*`null` \(null\)/);
    expect(() => bus.request(new Ping(1), Pong, () => true, { scheduler: {} as never })).toThrow(/`options.scheduler` to be a scheduler.*`\{\}` \(object\)/);
  });

  it('a throwing subscriber does not break delivery to the others (reported like rxjs does)', async () => {
    const bus = new EventBus();
    const got: number[] = [];
    const reported: unknown[] = [];
    const previous = config.onUnhandledError;
    config.onUnhandledError = (error) => reported.push(error);
    try {
      bus.on(Ping).subscribe(() => {
        throw new Error('bad subscriber');
      });
      bus.on(Ping).subscribe((p) => got.push(p.n));
      bus.send(new Ping(1));
      bus.send(new Ping(2));
      await new Promise((resolve) => setTimeout(resolve, 5));
    } finally {
      config.onUnhandledError = previous;
    }
    expect(got).toEqual([1, 2]);
    expect(reported).toHaveLength(2);
  });
});

describe('EventBus FIFO property', () => {
  it('every subscriber receives exactly the events of its type sent while it was subscribed, in send order', () => {
    fc.assert(
      fc.property(busProgram(1, 60), (program) => {
        const types = busEventTypes();
        const bus = new EventBus();
        runBusProgram(program, [bus], types);
        expect(bus.listenerCount()).toBe(0);
        expect(bus.typeCount).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
