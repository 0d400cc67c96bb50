/**
 * What travels between buses, on its own: the event codec (what it refuses when it is made and
 * what it refuses to decode, with the wording users read in `errors$`) and the transport contract
 * (`broadcastChannelTransport`'s checks and its wire format, `joinTransport`'s checks). Each test
 * here killed a mutant that survived a mutation run of lib/scope/codec.ts or lib/scope/transport.ts.
 */
import { BusDecodeError, EventBus, broadcastChannelTransport, eventCodec, type BusError, type BusTransport } from '../lib/index';

class Saved {
  constructor(readonly id: string) {}
}
class Deleted {
  constructor(readonly id: string) {}
}

describe('eventCodec', () => {
  it('refuses a function whose prototype is undefined (it cannot be an event class)', () => {
    function notAClass() {}
    notAClass.prototype = undefined;
    expect(() => eventCodec({ Saved, notAClass: notAClass as never })).toThrow(
      new TypeError('Expected `types.notAClass` to be an event class (a constructor function), got `function notAClass` (function)'),
    );
  });

  it('names an anonymous class "(anonymous class)" when it is registered twice', () => {
    const anonymous = (() => class {})();
    expect(anonymous.name).toBe('');
    expect(() => eventCodec({ A: anonymous, B: anonymous })).toThrow(
      new TypeError('Event class (anonymous class) is registered twice in the codec: as `A` and as `B`'),
    );
  });

  describe('decode', () => {
    const codec = () => eventCodec({ Saved, Deleted });

    it('refuses a function that carries type and data (only objects are messages)', () => {
      const message = Object.assign(() => 0, { type: 'Saved', data: { id: 's' } });
      expect(() => codec().decode(message)).toThrow(BusDecodeError);
      expect(() => codec().decode(message)).toThrow(/^Cannot decode an incoming message: expected \{ type: string, data: object \}, got/);
    });

    it('refuses data that is not an object (a string would be spread into index fields)', () => {
      for (const data of ['id', 7, true, undefined]) {
        expect(() => codec().decode({ type: 'Saved', data })).toThrow(BusDecodeError);
      }
      expect(() => codec().decode({ type: 'Saved', data: 'id' })).toThrow(
        'Cannot decode an incoming message: expected { type: string, data: object }, got `{"type":"Saved","data":"id"}` (object)',
      );
    });

    it('names the unknown key and lists the known ones, comma-separated', () => {
      let error: unknown;
      try {
        codec().decode({ type: 'Created', data: {} });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(BusDecodeError);
      expect((error as BusDecodeError).message).toBe('Cannot decode an incoming event: unknown type key `Created` (known: Saved, Deleted)');
      expect((error as BusDecodeError).data).toEqual({ type: 'Created', data: {} });
    });

    it('rebuilds a known event on its class prototype without running the constructor', () => {
      const event = codec().decode({ type: 'Deleted', data: { id: 'd' } });
      expect(event).toBeInstanceOf(Deleted);
      expect(event).toEqual(new Deleted('d'));
    });
  });
});

/** Lets BroadcastChannel messages arrive: polls `check()` (up to 10 s), then waits 30 ms more. */
async function until(check: () => boolean): Promise<void> {
  const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  for (const start = Date.now(); !check() && Date.now() - start < 10_000; ) await wait(10);
  await wait(30);
}

describe('broadcastChannelTransport', () => {
  it('refuses a channel name that is not a non-empty string, naming the value', () => {
    expect(() => broadcastChannelTransport('')).toThrow(new TypeError('Expected `name` to be a non-empty string (the channel name), got `""` (string)'));
    expect(() => broadcastChannelTransport(42 as never)).toThrow(new TypeError('Expected `name` to be a non-empty string (the channel name), got `42` (number)'));
  });

  it('says what is missing on a runtime without BroadcastChannel', () => {
    const saved = globalThis.BroadcastChannel;
    try {
      delete (globalThis as { BroadcastChannel?: unknown }).BroadcastChannel;
      expect(() => broadcastChannelTransport('x')).toThrow(
        new TypeError('broadcastChannelTransport needs the global `BroadcastChannel` (browsers, Node 18 and later), which this runtime lacks'),
      );
    } finally {
      globalThis.BroadcastChannel = saved;
    }
  });

  it('on the wire an event is [type, data] (a batch [type, data, data, …]); anything else arriving on the channel is handed to the codec as it is', async () => {
    const name = `bus-wire-${process.pid}`;
    const bus = new EventBus({ transport: broadcastChannelTransport(name), codec: eventCodec({ Saved }) });
    const raw = new BroadcastChannel(name);
    const posted: unknown[] = [];
    raw.onmessage = (event: MessageEvent) => posted.push(event.data);
    try {
      const got: Saved[] = [];
      const errors: BusError[] = [];
      bus.on(Saved).subscribe((e) => got.push(e));
      bus.errors$.subscribe((e) => errors.push(e));
      bus.send(new Saved('out'));
      raw.postMessage(['Saved', { id: 'in' }]);
      raw.postMessage(['Saved', { id: 'three' }, 3]);
      raw.postMessage({ type: 'Saved', data: { id: 'object' } });
      await until(() => posted.length >= 1 && got.length + errors.length >= 4);
      expect(posted).toEqual([['Saved', { id: 'out' }]]);
      expect(got.map((e) => e.id)).toEqual(['out', 'in', 'three', 'object']);
      expect(got[1]).toBeInstanceOf(Saved);
      expect(errors).toHaveLength(1); // the batch's second payload, `3`, is not an event's data
      expect(errors[0]).toBeInstanceOf(BusDecodeError);
    } finally {
      raw.close();
      bus.close();
    }
  });
});

describe('joinTransport (options.transport of a bus)', () => {
  const codec = () => eventCodec({ Saved });
  const link = { post: () => undefined, leave: () => undefined };

  it('refuses null and values without join, naming them', () => {
    const message = (got: string) =>
      new TypeError(`Expected \`options.transport\` to be a bus transport (an object with \`join(peer)\`, such as \`broadcastChannelTransport('app')\`), got ${got}`);
    expect(() => new EventBus({ transport: null as never, codec: codec() })).toThrow(message('`null` (null)'));
    expect(() => new EventBus({ transport: 7 as never, codec: codec() })).toThrow(message('`7` (number)'));
  });

  it('takes a function that has join (a transport need not be a plain object)', () => {
    const transport = Object.assign(() => undefined, { join: () => link }) as unknown as BusTransport;
    const bus = new EventBus({ transport, codec: codec() });
    bus.send(new Saved('fine'));
    bus.close();
  });

  it('refuses a join(peer) that returns null, or a link without post or leave', () => {
    const message = (got: string) => new TypeError(`Expected \`options.transport.join(peer)\` to return a link (an object with \`post\` and \`leave\`), got ${got}`);
    expect(() => new EventBus({ transport: { join: () => null } as never, codec: codec() })).toThrow(message('`null` (null)'));
    expect(() => new EventBus({ transport: { join: () => ({ post: () => undefined }) } as never, codec: codec() })).toThrow(/to return a link/);
    expect(() => new EventBus({ transport: { join: () => ({ leave: () => undefined }) } as never, codec: codec() })).toThrow(/to return a link/);
    expect(() => new EventBus({ transport: { join: () => 'link' } as never, codec: codec() })).toThrow(/to return a link.*`"link"` \(string\)/);
  });
});
