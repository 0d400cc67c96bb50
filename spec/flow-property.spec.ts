import fc from 'fast-check';
import { VirtualTimeScheduler, concatMap, defer, finalize, map, tap, throwError, timer } from 'rxjs';
import { runFlow, type FlowEvent, type FlowHandler, type FlowSpec, type RunFlowOptions } from '../lib/flow';

/** A random DAG: vertex i reads from some earlier vertices; durations 0 (synchronous) to 5 frames. */
const dagArbitrary = fc
  .integer({ min: 1, max: 14 })
  .chain((n) =>
    fc.record({
      deps: fc.tuple(...Array.from({ length: n }, (_, i) => fc.uniqueArray(fc.integer({ min: 0, max: Math.max(0, i - 1) }), { maxLength: i === 0 ? 0 : 3 }))),
      durations: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: n, maxLength: n }),
      declarationOrder: fc.shuffledSubarray(Array.from({ length: n }, (_, i) => i), { minLength: n, maxLength: n }),
      group: fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { maxLength: Math.min(n, 4) }),
      parallel: fc.boolean(),
      maxWorkers: fc.oneof(fc.integer({ min: 1, max: 5 }), fc.constant(Infinity)),
      schedule: fc.constantFrom('eager' as const, 'stages' as const),
    }),
  );

describe('runFlow over random DAGs (fast-check)', () => {
  it('never exceeds maxWorkers, runs every vertex exactly once and only after all its inputs, keeps atomic groups serial', () => {
    fc.assert(
      fc.property(dagArbitrary, ({ deps, durations, declarationOrder, group, parallel, maxWorkers, schedule }) => {
        const n = durations.length;
        const scheduler = new VirtualTimeScheduler();
        const calls = new Array<number>(n).fill(0);
        const completed = new Set<number>();
        const inGroup = new Set(group);
        let running = 0;
        let peak = 0;
        let groupRunning = 0;
        let groupPeak = 0;
        const finish = (i: number): void => {
          completed.add(i);
          running--;
          if (inGroup.has(i)) groupRunning--;
        };
        const handler: FlowHandler = (inputs: Record<string, number>, ctx) => {
          const i = Number(ctx.vertex.slice(1));
          calls[i]!++;
          for (const j of deps[i]!) {
            expect(completed.has(j)).toBe(true);
            expect(inputs[`d${j}`]).toBe(j);
          }
          peak = Math.max(peak, ++running);
          if (inGroup.has(i)) groupPeak = Math.max(groupPeak, ++groupRunning);
          if (durations[i] === 0) {
            finish(i);
            return { o: i };
          }
          return timer(durations[i]!, scheduler).pipe(
            map(() => ({ o: i })),
            tap({ complete: () => finish(i) }),
          );
        };
        const flow: FlowSpec['flow'] = {};
        for (const i of declarationOrder) {
          flow[`v${i}`] = { handler: 'h', inputs: Object.fromEntries(deps[i]!.map((j) => [`d${j}`, `v${j}.o`])) };
        }
        const spec: FlowSpec = group.length > 0 ? { flow, atomic_groups: { g: { vertices: group.map((i) => `v${i}`) } } } : { flow };
        const options: RunFlowOptions = { handlers: { h: handler }, parallel, maxWorkers, schedule };
        const events: FlowEvent[] = [];
        let error: unknown;
        runFlow(spec, options).subscribe({ next: (e) => events.push(e), error: (e: unknown) => (error = e) });
        scheduler.flush();

        expect(error).toBeUndefined();
        expect(calls).toEqual(new Array<number>(n).fill(1));
        expect(peak).toBeLessThanOrEqual(parallel ? maxWorkers : 1);
        expect(groupPeak).toBeLessThanOrEqual(1);
        const done = events[events.length - 1];
        expect(done?.type).toBe('done');
        expect(events.filter((e) => e.type === 'completed')).toHaveLength(n);
        if (done?.type === 'done') {
          for (let i = 0; i < n; i++) expect(done.result[`v${i}.o`]).toBe(i);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a failing vertex: the flow errors naming it, starts nothing after, and leaves nothing running or scheduled', () => {
    fc.assert(
      fc.property(dagArbitrary, fc.nat(), ({ deps, durations, declarationOrder, parallel, maxWorkers, schedule }, pick) => {
        const n = durations.length;
        const failing = pick % n;
        const scheduler = new VirtualTimeScheduler();
        // Subscribed handlers other than the failing one, and what was left when the error arrived.
        let active = 0;
        let startedAfterError = 0;
        let error: unknown;
        let activeAtError = -1;
        let scheduledAtError = -1;
        const handler: FlowHandler = (_inputs, ctx) => {
          const i = Number(ctx.vertex.slice(1));
          if (error !== undefined) startedAfterError++;
          const work = timer(durations[i]!, scheduler);
          if (i === failing) return work.pipe(concatMap(() => throwError(() => new Error(`v${i} failed`))));
          return defer(() => {
            active++;
            return work.pipe(map(() => ({ o: i })));
          }).pipe(finalize(() => active--));
        };
        const flow: FlowSpec['flow'] = {};
        for (const i of declarationOrder) {
          flow[`v${i}`] = { handler: 'h', inputs: Object.fromEntries(deps[i]!.map((j) => [`d${j}`, `v${j}.o`])) };
        }
        runFlow({ flow }, { handlers: { h: handler }, parallel, maxWorkers, schedule }).subscribe({
          error: (e: unknown) => {
            error = e;
            activeAtError = active;
            scheduledAtError = scheduler.actions.filter((a) => !a.closed).length;
          },
        });
        scheduler.flush();
        expect((error as { vertex?: string }).vertex).toBe(`v${failing}`);
        expect(startedAfterError).toBe(0);
        expect(activeAtError).toBe(0);
        expect(scheduledAtError).toBe(0);
      }),
      { numRuns: 200 },
    );
  });
});
