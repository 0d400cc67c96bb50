/**
 * Run in a child process with `--expose-gc` by spec/leaks.spec.ts: each case does bounded work,
 * forces garbage collection and prints one JSON line of what is still alive.
 */
import { lastValueFrom, of, Subject, count } from 'rxjs';
import { CapacityLimiter, EventBus, boundedMap, scope } from '../../lib/index';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

async function settle(): Promise<void> {
  for (let i = 0; i < 4; i++) {
    await new Promise((r) => setImmediate(r));
    gc!();
  }
}

/** WeakRefs to objects that must all be collectable once the work is over. */
function tracker() {
  const refs: WeakRef<object>[] = [];
  return {
    track<T extends object>(value: T): T {
      refs.push(new WeakRef(value));
      return value;
    },
    alive: () => refs.filter((r) => r.deref() !== undefined).length,
    total: () => refs.length,
  };
}

class Tick {
  constructor(readonly n: number) {}
}

const cases: Record<string, () => Promise<Record<string, number>>> = {
  /** Subscribers come and go around 200,000 events: the registry and the heap return to empty. */
  async bus() {
    const bus = new EventBus();
    const t = tracker();
    const round = () => {
      for (let i = 0; i < 100_000; i++) {
        // Every 1,000th subscriber is tracked (tracking all would itself grow the heap).
        const next = () => undefined;
        const sub = bus.on(Tick).subscribe(i % 1000 === 0 ? t.track(next) : next);
        bus.send(new Tick(i));
        sub.unsubscribe();
      }
    };
    // A first round warms up the code; only what a second round adds is retained growth.
    round();
    await settle();
    const before = process.memoryUsage().heapUsed;
    round();
    await settle();
    return { listeners: bus.listenerCount(), types: bus.typeCount, alive: t.alive(), heapGrowthKB: Math.round((process.memoryUsage().heapUsed - before) / 1024) };
  },
  /** 2,000 finished background tasks: their results are released, not kept by the registry. */
  async background() {
    const t = tracker();
    await lastValueFrom(
      scope('bg', (s) => {
        for (let i = 0; i < 2000; i++) s.spawnBackground(of(t.track({ payload: new Array(100).fill(i) }))).subscribe();
        return of(1);
      }),
    );
    await settle();
    return { alive: t.alive(), total: t.total() };
  },
  /** 10,000 scopes with spawned tasks: nothing of them stays reachable. */
  async scopes() {
    const t = tracker();
    for (let i = 0; i < 10_000; i++) {
      await lastValueFrom(
        scope(`s${i}`, (s) => {
          t.track(s);
          s.spawn(of(t.track({ i })));
          return s.spawn(Promise.resolve(i));
        }),
      );
    }
    await settle();
    return { alive: t.alive(), total: t.total() };
  },
  /**
   * 1,000 state$ listeners that unsubscribed: collectable, their subscribers too (a subscriber
   * kept in the limiter's listener map after unsubscribing receives nothing, since it is closed,
   * but each one kept makes every later acquire and release walk it).
   */
  async limiterListeners() {
    const limiter = new CapacityLimiter(1);
    const t = tracker();
    for (let i = 0; i < 1000; i++) t.track(limiter.state$.subscribe(t.track(() => undefined) as () => void)).unsubscribe();
    for (let i = 0; i < 10; i++) limiter.acquire(() => undefined).release();
    await settle();
    return { alive: t.alive(), total: t.total() };
  },
  /** 200,000 items through boundedMap: each projected once, the heap flat afterwards. */
  async fanout() {
    let projected = 0;
    let emitted = 0;
    const t = tracker();
    const round = async () => {
      const source = new Subject<number>();
      // Every 1,000th result is tracked: nothing the pool handled may stay reachable.
      const project = (x: number) => (projected++, Promise.resolve(x % 1000 === 0 ? t.track({ x }) : { x }));
      const done = lastValueFrom(source.pipe(boundedMap(project, 8), count()));
      for (let i = 0; i < 100_000; i++) source.next(i);
      source.complete();
      emitted += await done;
    };
    // A first round warms up the code; only what a second round adds is retained growth.
    await round();
    await settle();
    const before = process.memoryUsage().heapUsed;
    await round();
    await settle();
    return { projected, emitted, alive: t.alive(), heapGrowthKB: Math.round((process.memoryUsage().heapUsed - before) / 1024) };
  },
};

const name = process.argv[2] ?? '';
const run = cases[name];
if (run === undefined) throw new Error(`unknown case ${name}; expected one of ${Object.keys(cases).join(', ')}`);
run().then(
  (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
  (error: unknown) => {
    process.stderr.write(`${String((error as Error)?.stack ?? error)}\n`);
    process.exit(1);
  },
);
