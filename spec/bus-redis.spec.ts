/**
 * The event bus across two Node processes over a real redis-server (Debian's, started by the test
 * on a free loopback port), and redisTransport's own contract in this process.
 */
import Redis from 'ioredis';
import { firstValueFrom, take, toArray } from 'rxjs';
import { BusDecodeError, BusTransportError, EventBus, eventCodec, type BusError } from '../lib/index';
import { redisTransport } from '../lib/redis/index';
import { startRedisServer, type RedisServer } from './support/redis-server';
import { fullRound, reportsOnce, roundOf, startProcessPeer, type Peer, type Received } from './support/bus-peers';

class Saved {
  constructor(readonly id: string) {}
}
const codec = eventCodec({ Saved });
const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let server: RedisServer;
beforeAll(async () => {
  // Redis disconnects a pub/sub client more than 32 MB behind (8 MB for a minute): on a busy
  // machine 200,000 events can get there before the peer reads them. Room for the test's burst.
  server = await startRedisServer(['--client-output-buffer-limit', 'pubsub 512mb 256mb 60']);
});
afterAll(async () => {
  await server?.stop();
});

describe('redisTransport in one process', () => {
  const connections: Redis[] = [];
  const connect = async () => {
    const c = new Redis(server.url, { retryStrategy: () => 100, maxRetriesPerRequest: null });
    connections.push(c);
    await c.ping();
    return c;
  };
  afterAll(async () => {
    await Promise.all(connections.map((c) => c.quit().catch(() => undefined)));
  });

  it('two buses sharing two connections: each hears the other once, never itself; events travel as JSON on <prefix><key>', async () => {
    const [pub, sub, spy] = await Promise.all([connect(), connect(), connect()]);
    const transport = redisTransport({ pub, sub, prefix: 'one-process:' });
    const a = new EventBus({ transport, codec });
    const b = new EventBus({ transport, codec });
    await settle(100); // PSUBSCRIBE reaches the server
    const seen: string[] = [];
    await spy.psubscribe('one-process:*');
    spy.on('pmessage', (_p: string, channel: string, message: string) => seen.push(`${channel} ${message}`));
    const onA: string[] = [];
    const onB: string[] = [];
    a.on(Saved).subscribe((e) => onA.push(e.id));
    b.on(Saved).subscribe((e) => onB.push(e.id));
    a.send(new Saved('from a'));
    b.send(new Saved('from b'));
    await settle(200);
    expect(onA).toEqual(['from a', 'from b']);
    expect(onB).toEqual(['from b', 'from a']);
    expect(seen).toHaveLength(2);
    expect(seen[0]).toMatch(/^one-process:Saved \["[0-9a-z]{16}",1,"Saved",\{"id":"from a"\}\]$/);
    a.close();
    b.send(new Saved('after a left'));
    await settle(200);
    expect(onA).toEqual(['from a', 'from b']); // a left: nothing more in
    b.close();
  });

  it('a message on the prefix that is not an encoded event of a known key goes to errors$ as a BusDecodeError', async () => {
    const [pub, sub, other] = await Promise.all([connect(), connect(), connect()]);
    const bus = new EventBus({ transport: redisTransport({ pub, sub, prefix: 'decode:' }), codec });
    await settle(100);
    const errors = firstValueFrom(bus.errors$.pipe(take(3), toArray()));
    const got: string[] = [];
    bus.on(Saved).subscribe((e) => got.push(e.id));
    await other.publish('decode:Saved', 'not json');
    await other.publish('decode:Nope', JSON.stringify(['someone', 1, 'Nope', {}]));
    await other.publish('decode:Saved', '42');
    await other.publish('decode:Saved', JSON.stringify(['someone', 2, 'Saved', { id: 'fine' }]));
    const reported = await errors;
    expect(reported.map((e) => e.constructor)).toEqual([BusDecodeError, BusDecodeError, BusDecodeError]);
    expect(reported[1]!.message).toMatch(/unknown type key `Nope` \(known: Saved\)/);
    await settle(100);
    expect(got).toEqual(['fine']);
    bus.close();
  });

  it('the first event of a run is published alone; the events of one type after it share a PUBLISH (up to 256), a change of type starts another', async () => {
    const [pub, sub, spy] = await Promise.all([connect(), connect(), connect()]);
    class Deleted {
      constructor(readonly id: string) {}
    }
    const codec2 = eventCodec({ Saved, Deleted });
    const transport = redisTransport({ pub, sub, prefix: 'batch:' });
    const a = new EventBus({ transport, codec: codec2 });
    const b = new EventBus({ transport, codec: codec2 });
    await settle(100);
    const seen: [string, unknown[]][] = [];
    await spy.psubscribe('batch:*');
    spy.on('pmessage', (_p: string, channel: string, message: string) => seen.push([channel, JSON.parse(message) as unknown[]]));
    const got: string[] = [];
    b.on(Saved).subscribe((e) => got.push(`S${e.id}`));
    b.on(Deleted).subscribe((e) => got.push(`D${e.id}`));
    a.send(new Saved('0'));
    a.send(new Saved('1'));
    a.send(new Saved('2'));
    a.send(new Deleted('3'));
    for (let i = 4; i < 304; i++) a.send(new Saved(String(i)));
    for (const until = Date.now() + 5_000; got.length < 304 && Date.now() < until; ) await settle(20);
    await settle(100);
    expect(got).toEqual(['S0', 'S1', 'S2', 'D3', ...Array.from({ length: 300 }, (_, i) => `S${i + 4}`)]);
    expect(seen.map(([channel, m]) => [channel, m[1], m.length - 3])).toEqual([
      ['batch:Saved', 1, 1],
      ['batch:Saved', 2, 2],
      ['batch:Deleted', 3, 1],
      ['batch:Saved', 4, 256],
      ['batch:Saved', 5, 44],
    ]);
    expect(seen[1]![1]).toEqual([expect.stringMatching(/^[0-9a-z]{16}$/), 2, 'Saved', { id: '1' }, { id: '2' }]);
    a.close();
    b.close();
  });

  it('reads a message that mixes keys; an event that does not serialize goes to errors$, the rest of its batch is published', async () => {
    const [pub, sub, other] = await Promise.all([connect(), connect(), connect()]);
    class Big {
      constructor(readonly n: unknown) {}
    }
    const codec2 = eventCodec({ Saved, Big });
    const transport = redisTransport({ pub, sub, prefix: 'mixed:' });
    const a = new EventBus({ transport, codec: codec2 });
    const b = new EventBus({ transport, codec: codec2 });
    await settle(100);
    const errors: BusError[] = [];
    a.errors$.subscribe((e) => errors.push(e));
    const got: unknown[] = [];
    b.on(Saved).subscribe((e) => got.push(e.id));
    b.on(Big).subscribe((e) => got.push(e.n));
    await other.publish('mixed:Saved', JSON.stringify(['someone', 1, 'Saved', { id: 'x' }, 'Big', { n: 1 }, { n: 2 }, 'Saved', { id: 'y' }]));
    a.send(new Big(3));
    a.send(new Big(4n));
    a.send(new Big(5));
    for (const until = Date.now() + 5_000; got.length < 6 && Date.now() < until; ) await settle(20);
    await settle(100);
    expect(got).toEqual(['x', 1, 2, 'y', 3, 5]);
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/^Could not serialize a `Big` event as JSON: .*BigInt/)]);
    a.close();
    b.close();
  });

  it('refuses what is not a pair of connections, and a bad prefix', async () => {
    const pub = await connect();
    expect(() => redisTransport(undefined as never)).toThrow(/Expected `options.pub` to be a Redis connection that publishes/);
    expect(() => redisTransport({ pub, sub: {} as never })).toThrow(
      /Expected `options.sub` to be a Redis connection that subscribes \(an ioredis `Redis`, with `psubscribe`, `punsubscribe`, `on`, `off`\), got `\{\}` \(object\)/,
    );
    expect(() => redisTransport({ pub, sub: pub })).toThrow(/two connections: a Redis connection that subscribes cannot publish/);
    expect(() => redisTransport({ pub, sub: new Redis(server.url, { lazyConnect: true }), prefix: '' })).toThrow(/`options.prefix` to be a non-empty string/);
    expect(() => redisTransport({ pub, sub: pub, perfix: 'x' } as never)).toThrow(/Unknown option `options.perfix`; expected one of `pub`, `sub`, `prefix`/);
  });
});

describe('EventBus across two Node processes over Redis', () => {
  /** Events per process per round: Redis is fast enough for the same count as the worker threads. */
  const N = 100_000;
  let a: Peer;
  let b: Peer;
  beforeAll(async () => {
    const config = { transport: 'redis' as const, channel: `bus-spec-${process.pid}:`, redisUrl: server.url };
    [a, b] = await Promise.all([startProcessPeer({ ...config, name: 'a' }), startProcessPeer({ ...config, name: 'b' })]);
    await settle(200); // both PSUBSCRIBEs are in
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it(`exchange ${N.toLocaleString('en-US')} events each of 3 types: none lost, none duplicated, FIFO per sender and type`, async () => {
    await Promise.all([a.ask({ cmd: 'blast', n: N, round: 1 }, 'blasted'), b.ask({ cmd: 'blast', n: N, round: 1 }, 'blasted')]);
    const [ra, rb] = await reportsOnce([a, b], 1, 2 * N, 90_000);
    expect(a.busErrors()).toEqual([]);
    expect(b.busErrors()).toEqual([]);
    expect(ra).toEqual({ ...fullRound('a', 1, N), ...fullRound('b', 1, N) });
    expect(rb).toEqual({ ...fullRound('a', 1, N), ...fullRound('b', 1, N) });
  }, 120_000);

  it('request/response between the processes, both ways', async () => {
    await expect(a.ask({ cmd: 'request', id: 1, timeout: 5_000 }, 'response')).resolves.toMatchObject({ id: 1, from: 'b' });
    await expect(b.ask({ cmd: 'request', id: 2, timeout: 5_000 }, 'response')).resolves.toMatchObject({ id: 2, from: 'a' });
  }, 30_000);

  it('the server stopped mid-run: errors$ reports it, local delivery goes on, remote delivery resumes after a restart', async () => {
    const blasting = a.ask({ cmd: 'blast', n: 30_000, round: 2 }, 'blasted');
    await server.stop();
    await blasting;
    // Both processes report the dropped connections on errors$, once per connection and outage.
    const until = Date.now() + 10_000;
    while ((a.busErrors().length < 2 || b.busErrors().length < 2) && Date.now() < until) await settle(50);
    for (const peer of [a, b]) {
      expect(peer.busErrors().length).toBeGreaterThanOrEqual(2);
      expect(peer.busErrors().every((e) => e.name === 'BusTransportError')).toBe(true);
      expect(peer.busErrors().map((e) => e.message).join('\n')).toMatch(/The Redis connection that (publishes|subscribes) failed: (connection closed|.*ECONNREFUSED)/);
    }
    // Local delivery is synchronous and does not depend on the transport.
    await expect(a.ask({ cmd: 'local', n: 1_000 }, 'local')).resolves.toMatchObject({ delivered: 1_000 });
    await expect(b.ask({ cmd: 'local', n: 1_000 }, 'local')).resolves.toMatchObject({ delivered: 1_000 });

    await server.restart();
    // ioredis reconnects and re-subscribes by itself: ask until a round trip works.
    const resumed = Date.now() + 20_000;
    let answered = false;
    for (let id = 100; !answered && Date.now() < resumed; id++) {
      const reply = await a.ask({ cmd: 'request', id, timeout: 500 }, 'response');
      answered = reply['from'] === 'b';
    }
    expect(answered).toBe(true);
    // What round 2 delivered is at most once and in order (events published during the outage may be lost).
    const got = (await b.ask({ cmd: 'report' }, 'report')).got as Received;
    for (const seqs of Object.values(roundOf(got, 2))) {
      for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]!);
    }
    // A new round after the restart arrives whole.
    await a.ask({ cmd: 'blast', n: 9_000, round: 3 }, 'blasted');
    const [, rb] = await reportsOnce([a, b], 3, 9_000, 30_000);
    expect(rb).toEqual(fullRound('a', 3, 9_000));
  }, 90_000);
});

describe('redisTransport errors in this process', () => {
  it('a publish that fails goes to errors$ as a BusTransportError; local delivery goes on', async () => {
    // A publisher with no offline queue and no server: each publish fails at once.
    const pub = new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null });
    const sub = new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null });
    const bus = new EventBus({ transport: redisTransport({ pub, sub }), codec });
    const errors: BusError[] = [];
    bus.errors$.subscribe((e) => errors.push(e));
    const local: string[] = [];
    bus.on(Saved).subscribe((e) => local.push(e.id));
    bus.send(new Saved('x'));
    bus.send(new Saved('y')); // these two share a message
    bus.send(new Saved('z'));
    expect(local).toEqual(['x', 'y', 'z']);
    for (const until = Date.now() + 5_000; errors.filter((e) => /publish/.test(e.message)).length < 2 && Date.now() < until; ) await settle(20);
    const reported = errors;
    expect(reported.every((e) => e instanceof BusTransportError)).toBe(true);
    expect(reported.map((e) => e.message).join('\n')).toMatch(/Could not publish a `Saved` event to Redis/);
    expect(reported.map((e) => e.message).join('\n')).toMatch(/Could not publish 2 `Saved` events to Redis/);
    bus.close();
    pub.disconnect();
    sub.disconnect();
  });
});
