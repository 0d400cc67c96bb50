/**
 * `npm run bench scopes`: `EventBus.send` to 1, 10 and 100 subscribers, side by side with a raw
 * rxjs `Subject.next` (the baseline an Rx user compares with), eventemitter3 and mitt.
 * Every subscriber does the same tiny work (adds a field to a sum); the same event object is
 * sent each time so no case pays for allocation. Figures are ns per send (all subscribers).
 */
import EventEmitter from 'eventemitter3';
import mitt from 'mitt';
import { Subject } from 'rxjs';
import { core } from './lib.js';
import { medianMs, report, withRatios, type Row } from './support';

const { EventBus } = core;

class Tick {
  constructor(readonly n: number) {}
}

/** Sends per measured run, by fan-out: about the same number of deliveries for each. */
const SENDS: Record<number, number> = { 1: 2_000_000, 10: 400_000, 100: 50_000 };

export default async function main(): Promise<void> {
  const rows: Row[] = [];
  let sink = 0;
  const event = new Tick(1);
  for (const fanout of [1, 10, 100]) {
    const n = SENDS[fanout]!;
    const group: Row[] = [];
    // Each case has its own loop (not a shared loop calling a callback), so no call site is
    // shared, and made polymorphic, across the libraries being compared.
    const measure = async (name: string, loop: () => void): Promise<void> => {
      const ms = await medianMs(loop, 7);
      group.push({ name: `${name}, ${fanout} subscriber${fanout === 1 ? '' : 's'}`, value: (ms * 1e6) / n, unit: 'ns/send' });
    };

    const subject = new Subject<Tick>();
    for (let i = 0; i < fanout; i++) subject.subscribe((e) => (sink += e.n));
    await measure('rxjs Subject.next', () => {
      for (let i = 0; i < n; i++) subject.next(event);
    });

    const bus = new EventBus();
    for (let i = 0; i < fanout; i++) bus.on(Tick).subscribe((e) => (sink += e.n));
    await measure('EventBus.send', () => {
      for (let i = 0; i < n; i++) bus.send(event);
    });

    const ee = new EventEmitter();
    for (let i = 0; i < fanout; i++) ee.on('tick', (e: Tick) => (sink += e.n));
    await measure('eventemitter3 emit', () => {
      for (let i = 0; i < n; i++) ee.emit('tick', event);
    });

    const emitter = mitt<{ tick: Tick }>();
    for (let i = 0; i < fanout; i++) emitter.on('tick', (e) => (sink += e.n));
    await measure('mitt emit', () => {
      for (let i = 0; i < n; i++) emitter.emit('tick', event);
    });

    rows.push(...withRatios(group, group[0]!.name));
  }
  if (sink === 0) throw new Error('nothing was delivered');
  report('scopes', 'EventBus.send vs Subject.next, eventemitter3 and mitt (ns per send; ratio to Subject.next at the same fan-out)', rows);
}
