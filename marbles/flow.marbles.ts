import { catchError, map, throwError, type Observable } from 'rxjs';
import type { RunHelpers, TestScheduler } from 'rxjs/testing';
import { createTestScheduler } from '../lib/testing';
import { runFlow, type FlowEvent, type FlowHandler, type FlowSpec, type RunFlowOptions } from '../lib/flow';

let scheduler: TestScheduler;
beforeEach(() => {
  scheduler = createTestScheduler();
});

/**
 * One character per event: `A` = A started, `a` = A completed, `z` = done, `x` = a vertex
 * failed, `r` = rolled back. An error becomes `"FlowVertexError <vertex>"`.
 */
function codes(events: Observable<FlowEvent>): Observable<string> {
  return events.pipe(
    map((e) => {
      switch (e.type) {
        case 'started':
          return e.vertex[0]!.toUpperCase();
        case 'completed':
          return e.vertex[0]!.toLowerCase();
        case 'failed':
          return 'x';
        case 'rolledBack':
          return 'r';
        case 'done':
          return 'z';
      }
    }),
    catchError((error: { name: string; vertex: string }) => throwError(() => `${error.name} ${error.vertex}`)),
  );
}

/** Marble values are records of outputs: `o` stands for `{ out: 1 }`. */
const o = { o: { out: 1 } };

/** A → (B, C) → D, each reading `out`. */
const diamond: FlowSpec = {
  flow: {
    A: {},
    B: { inputs: { a: 'A.out' } },
    C: { inputs: { a: 'A.out' } },
    D: { inputs: { b: 'B.out', c: 'C.out' } },
  },
};

/** One cold Observable of outputs per vertex (from its marbles), handlers returning them, and their subscriptions. */
function vertices(cold: RunHelpers['cold'], marbles: Record<string, string>) {
  const observables = new Map(Object.entries(marbles).map(([name, m]) => [name, cold(m, o)]));
  const handlers: Record<string, FlowHandler> = {};
  for (const [name, observable] of observables) handlers[name] = () => observable;
  return { handlers, subscriptions: (name: string) => observables.get(name)!.subscriptions };
}

function run(spec: FlowSpec, handlers: Record<string, FlowHandler>, options: RunFlowOptions = {}): Observable<string> {
  return codes(runFlow(spec, { handlers, ...options }));
}

describe('runFlow in virtual time', () => {
  it('diamond, parallel: B and C overlap, D starts only after both', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const v = vertices(cold, { A: '(o|)', B: '20ms (o|)', C: '40ms (o|)', D: '10ms (o|)' });
      expectObservable(run(diamond, v.handlers, { parallel: true })).toBe('(AaBC) 14ms b 19ms (cD) 6ms (dz|)');
      expectSubscriptions(v.subscriptions('A')).toBe('(^!)');
      expectSubscriptions(v.subscriptions('B')).toBe('^ 19ms !');
      expectSubscriptions(v.subscriptions('C')).toBe('^ 39ms !');
      expectSubscriptions(v.subscriptions('D')).toBe('40ms ^ 9ms !');
    });
  });

  it('diamond, serial (the default): one vertex at a time, in stage order', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const v = vertices(cold, { A: '(o|)', B: '20ms (o|)', C: '40ms (o|)', D: '10ms (o|)' });
      expectObservable(run(diamond, v.handlers)).toBe('(AaB) 15ms (bC) 36ms (cD) 6ms (dz|)');
      expectSubscriptions(v.subscriptions('A')).toBe('(^!)');
      expectSubscriptions(v.subscriptions('B')).toBe('^ 19ms !');
      expectSubscriptions(v.subscriptions('C')).toBe('20ms ^ 39ms !');
      expectSubscriptions(v.subscriptions('D')).toBe('60ms ^ 9ms !');
    });
  });

  // A → B (fast) → D, and A → C (slow): D is ready when B is done, while C still runs.
  const uneven: FlowSpec = {
    flow: { A: {}, B: { inputs: { a: 'A.out' } }, C: { inputs: { a: 'A.out' } }, D: { inputs: { b: 'B.out' } } },
  };

  it.each([
    ["'eager' starts D while C, of the previous stage, is still running", 'eager', '(AaBC) 4ms (bD) 6ms d 29ms (cz|)', '10ms ^ 9ms !'],
    ["'stages' waits for the whole stage: D starts when C is done", 'stages', '(AaBC) 4ms b 39ms (cD) 6ms (dz|)', '50ms ^ 9ms !'],
  ] as const)('schedule %s', (_title, schedule, events, dSubscription) => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const v = vertices(cold, { A: '(o|)', B: '10ms (o|)', C: '50ms (o|)', D: '10ms (o|)' });
      expectObservable(run(uneven, v.handlers, { parallel: true, schedule })).toBe(events);
      expectSubscriptions(v.subscriptions('A')).toBe('(^!)');
      expectSubscriptions(v.subscriptions('B')).toBe('^ 9ms !');
      expectSubscriptions(v.subscriptions('C')).toBe('^ 49ms !');
      expectSubscriptions(v.subscriptions('D')).toBe(dSubscription);
    });
  });

  it('maxWorkers 2: the third ready vertex waits for a free worker', () => {
    const fan: FlowSpec = { flow: { B: {}, C: {}, E: {} } };
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const v = vertices(cold, { B: '20ms (o|)', C: '30ms (o|)', E: '20ms (o|)' });
      expectObservable(run(fan, v.handlers, { parallel: true, maxWorkers: 2 })).toBe(
        '(BC) 16ms (bE) 6ms c 9ms (ez|)',
      );
      expectSubscriptions(v.subscriptions('B')).toBe('^ 19ms !');
      expectSubscriptions(v.subscriptions('C')).toBe('^ 29ms !');
      expectSubscriptions(v.subscriptions('E')).toBe('20ms ^ 19ms !');
    });
  });

  it('a failing vertex cancels the running ones (cold and hot), starts nothing new, and errors naming it', () => {
    const spec: FlowSpec = {
      flow: {
        A: {},
        B: { inputs: { a: 'A.out' } },
        C: { inputs: { a: 'A.out' } },
        H: { inputs: { a: 'A.out' } },
        D: { inputs: { b: 'B.out', c: 'C.out' } },
      },
    };
    scheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const A = cold('(o|)', o);
      const B = cold<{ out: number }>('20ms #', undefined, new Error('card declined'));
      const C = cold('50ms (o|)', o);
      const H = hot('-- 60ms (o|)', o);
      const D = cold('(o|)', o);
      expectObservable(run(spec, { A: () => A, B: () => B, C: () => C, H: () => H, D: () => D }, { parallel: true })).toBe(
        '(AaBCH) 13ms (x#)',
        undefined,
        'FlowVertexError B',
      );
      expectSubscriptions(A.subscriptions).toBe('(^!)');
      expectSubscriptions(B.subscriptions).toBe('^ 19ms !');
      expectSubscriptions(C.subscriptions).toBe('^ 19ms !');
      expectSubscriptions(H.subscriptions).toBe('^ 19ms !');
      expectSubscriptions(D.subscriptions).toBe([]);
    });
  });

  it('unsubscribing cancels the running vertices', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const v = vertices(cold, { A: '(o|)', B: '20ms (o|)', C: '40ms (o|)', D: '(o|)' });
      expectObservable(run(diamond, v.handlers, { parallel: true }), '^ 29ms !').toBe('(AaBC) 14ms b');
      expectSubscriptions(v.subscriptions('A')).toBe('(^!)');
      expectSubscriptions(v.subscriptions('B')).toBe('^ 19ms !');
      expectSubscriptions(v.subscriptions('C')).toBe('^ 29ms !');
      expectSubscriptions(v.subscriptions('D')).toBe([]);
    });
  });

  it('an atomic group runs one vertex at a time even in parallel mode; the others still overlap', () => {
    const spec: FlowSpec = { flow: { P: {}, Q: {}, X: {} }, atomic_groups: { pay: { vertices: ['P', 'Q'] } } };
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const v = vertices(cold, { P: '20ms (o|)', Q: '20ms (o|)', X: '30ms (o|)' });
      expectObservable(run(spec, v.handlers, { parallel: true })).toBe('(PX) 16ms (pQ) 6ms x 9ms (qz|)');
      expectSubscriptions(v.subscriptions('P')).toBe('^ 19ms !');
      expectSubscriptions(v.subscriptions('Q')).toBe('20ms ^ 19ms !');
      expectSubscriptions(v.subscriptions('X')).toBe('^ 29ms !');
    });
  });

  it('a group whose vertices may overlap (no_parallel: false) starts none of them before begin is done', () => {
    const spec: FlowSpec = { flow: { P: {}, Q: {} }, atomic_groups: { pay: { vertices: ['P', 'Q'], no_parallel: false } } };
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const begin = cold('5ms |');
      const v = vertices(cold, { P: '10ms (o|)', Q: '10ms (o|)' });
      expectObservable(run(spec, v.handlers, { parallel: true, transaction: { begin: () => begin } })).toBe('5ms (PQ) 6ms (pqz|)');
      expectSubscriptions(begin.subscriptions).toBe('^ 4ms !');
      expectSubscriptions(v.subscriptions('P')).toBe('5ms ^ 9ms !');
      expectSubscriptions(v.subscriptions('Q')).toBe('5ms ^ 9ms !');
    });
  });

  it('a rollback group: the begin and rollback hooks are waited for, then the flow errors', () => {
    const spec: FlowSpec = {
      flow: { reserve: {}, charge: { inputs: { r: 'reserve.out' } } },
      atomic_groups: { pay: { vertices: ['reserve', 'charge'], on_failure: 'rollback' } },
    };
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const begin = cold('5ms |');
      const rollback = cold('10ms |');
      const reserve = cold('10ms (o|)', o);
      const charge = cold<{ out: number }>('10ms #', undefined, new Error('declined'));
      const flow = run(
        spec,
        { reserve: () => reserve, charge: () => charge },
        { transaction: { begin: () => begin, rollback: () => rollback } },
      );
      expectObservable(flow).toBe('5ms R 9ms (rC) 6ms x 9ms (r#)', undefined, 'FlowVertexError charge');
      expectSubscriptions(begin.subscriptions).toBe('^ 4ms !');
      expectSubscriptions(reserve.subscriptions).toBe('5ms ^ 9ms !');
      expectSubscriptions(charge.subscriptions).toBe('15ms ^ 9ms !');
      expectSubscriptions(rollback.subscriptions).toBe('25ms ^ 9ms !');
    });
  });
});
