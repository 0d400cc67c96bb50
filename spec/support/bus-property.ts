/**
 * The fast-check harness of the bus ordering properties, for one bus (spec/bus.spec.ts) and for
 * buses joined by a transport (spec/bus-transport.spec.ts).
 *
 * A program is a list of top-level steps on the buses: subscribe (a subscriber may echo: on
 * receiving an event of depth < 2 it sends a new event, of a type it chooses, on its own bus from
 * inside the delivery), unsubscribe, send. The check: every subscriber received exactly the
 * events of its type sent on any bus while it was subscribed, once, and the events from each
 * sending bus in the order they were sent (with one bus: in send order).
 */
import * as fc from 'fast-check';
import type { Subscription } from 'rxjs';
import type { EventBus } from '../../lib/index';

export type BusOp =
  | { kind: 'subscribe'; bus: number; type: number; echo: number | null }
  | { kind: 'unsubscribe'; which: number }
  | { kind: 'send'; bus: number; type: number };

/** The event classes of one run (fresh each run): B and C extend A, so exact-type routing shows. */
export function busEventTypes() {
  class A {
    constructor(
      readonly id: number,
      readonly depth: number,
      readonly from: number,
    ) {}
  }
  class B extends A {}
  class C extends A {}
  return [A, B, C] as const;
}
export type BusEventTypes = ReturnType<typeof busEventTypes>;

/** Programs of up to `maxLength` steps on `buses` buses, over the three types. */
export function busProgram(buses: number, maxLength: number): fc.Arbitrary<BusOp[]> {
  const bus = fc.nat(buses - 1);
  const op: fc.Arbitrary<BusOp> = fc.oneof(
    fc.record({ kind: fc.constant('subscribe' as const), bus, type: fc.nat(2), echo: fc.option(fc.nat(2)) }),
    fc.record({ kind: fc.constant('unsubscribe' as const), which: fc.nat(20) }),
    fc.record({ kind: fc.constant('send' as const), bus, type: fc.nat(2) }),
  );
  return fc.array(op, { maxLength });
}

/**
 * Runs `program` on `buses` (whose events are `types`), checks the property with jest's
 * `expect`, and unsubscribes every subscriber it made.
 */
export function runBusProgram(program: readonly BusOp[], buses: readonly EventBus[], types: BusEventTypes): void {
  // Every send, in call order: its id, type and sending bus.
  const sent: { id: number; type: number; from: number }[] = [];
  let nextId = 0;
  const send = (bus: number, type: number, depth: number): void => {
    const id = nextId++;
    sent.push({ id, type, from: bus });
    buses[bus]!.send(new types[type]!(id, depth, bus));
  };
  interface Sub {
    type: number;
    /** The first id sent while subscribed, and the first sent after unsubscribing. */
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
      const Type = types[step.type]!;
      record.subscription = buses[step.bus]!.on(Type).subscribe((event) => {
        expect(event).toBeInstanceOf(Type);
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
    for (let bus = 0; bus < buses.length; bus++) {
      const fromBus = sub.got.filter((g) => g.from === bus).map((g) => g.id);
      expect(fromBus).toEqual([...fromBus].sort((x, y) => x - y));
    }
  }
  for (const sub of subs) sub.subscription.unsubscribe();
}
