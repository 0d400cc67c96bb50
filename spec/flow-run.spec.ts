import { EMPTY, NEVER, Observable, Subject, VirtualTimeScheduler, concatMap, defer, firstValueFrom, tap, lastValueFrom, map, of, take, takeUntil, throwError, timer, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import {
  FlowVertexError,
  configureFlows,
  defaultFlowCache,
  memoryFlowCache,
  runFlow,
  runFlowResult,
  type FlowEvent,
  type FlowHandler,
  type FlowSpec,
  type RunFlowOptions,
} from '../lib/flow';
import { countAbortControllers } from './support/abort';

const diamond: FlowSpec = {
  flow: {
    A: {},
    B: { inputs: { a: 'A.out' } },
    C: { inputs: { a: 'A.out' } },
    D: { inputs: { b: 'B.out', c: 'C.out' } },
  },
};

/** Collects every event, and the error if the flow errored. */
async function collect(events: Observable<FlowEvent>): Promise<{ events: FlowEvent[]; error: unknown }> {
  const seen: FlowEvent[] = [];
  try {
    await lastValueFrom(events.pipe(map((e) => seen.push(e))), { defaultValue: undefined });
    return { events: seen, error: undefined };
  } catch (error) {
    return { events: seen, error };
  }
}

const brief = (e: FlowEvent): string => ('vertex' in e ? `${e.type} ${e.vertex}` : 'group' in e ? `${e.type} ${e.group}` : e.type);

describe('handlers: plain values, promises and Observables all work', () => {
  it('mixes the three; the done event carries the flat result with the initial data', async () => {
    const result = await lastValueFrom(
      runFlowResult(diamond, {
        initialData: { seed: 1 },
        handlers: {
          A: () => ({ out: 1 }),
          B: ({ a }) => Promise.resolve({ out: a + 10 }),
          C: ({ a }) => of({ out: 0 }, { out: a + 20 }),
          D: ({ b, c }) => ({ out: b + c }),
        },
      }),
    );
    expect(result).toEqual({ 'input.seed': 1, 'A.out': 1, 'B.out': 11, 'C.out': 21, 'D.out': 32 });
  });

  it('a handler given as a function in the spec, and one returning nothing (no outputs)', async () => {
    const log: string[] = [];
    const spec: FlowSpec = { flow: { hello: { handler: () => void log.push('hi') }, quiet: { handler: () => EMPTY } } };
    expect(await lastValueFrom(runFlowResult(spec))).toEqual({});
    expect(log).toEqual(['hi']);
  });

  it('null means no outputs; a class instance is taken as a record of outputs', async () => {
    class Outputs {
      constructor(readonly total: number) {}
    }
    const spec: FlowSpec = { flow: { n: {}, c: {}, use: { inputs: { t: 'c.total' } } } };
    const result = await lastValueFrom(runFlowResult(spec, { handlers: { n: () => null as never, c: () => new Outputs(3) as unknown as Record<string, unknown>, use: ({ t }) => ({ t }) } }));
    expect(result).toEqual({ 'c.total': 3, 'use.t': 3 });
  });

  it('emits started and completed for every vertex, then done', async () => {
    const { events } = await collect(runFlow(diamond, { handlers: { A: () => ({ out: 1 }), B: () => ({ out: 2 }), C: () => ({ out: 3 }), D: () => ({}) } }));
    expect(events.map(brief)).toEqual([
      'started A', 'completed A', 'started B', 'completed B', 'started C', 'completed C', 'started D', 'completed D', 'done',
    ]);
    expect(events[1]).toEqual({ type: 'completed', vertex: 'A', outputs: { out: 1 }, cached: false });
    expect(events[2]).toEqual({ type: 'started', vertex: 'B', inputs: { a: 1 } });
  });

  it('is cold: nothing runs before subscribe, and each subscription runs the flow again', async () => {
    const a = jest.fn(() => ({ out: 1 }));
    const flow = runFlowResult({ flow: { A: {} } }, { handlers: { A: a } });
    expect(a).not.toHaveBeenCalled();
    await lastValueFrom(flow);
    await lastValueFrom(flow);
    expect(a).toHaveBeenCalledTimes(2);
  });

  it('several inputs from one producer make one edge; a wide fan-in works', async () => {
    const flow: FlowSpec['flow'] = { two: { inputs: { x: 'p0.x', y: 'p0.y' } } };
    const all: Record<string, string> = {};
    for (let i = 0; i < 5_000; i++) {
      flow[`p${i}`] = { handler: 'p' };
      all[`in${i}`] = `p${i}.x`;
    }
    flow['sum'] = { inputs: all };
    const handlers: Record<string, FlowHandler> = {
      p: (_i, ctx) => ({ x: Number(ctx.vertex.slice(1)), y: 1 }),
      two: ({ x, y }) => ({ z: x + y }),
      sum: (inputs: Record<string, number>) => ({ total: Object.values(inputs).reduce((a, b) => a + b, 0) }),
    };
    for (const parallel of [false, true]) {
      const result = await lastValueFrom(runFlowResult({ flow }, { handlers, parallel, schedule: 'stages' }));
      expect(result['two.z']).toBe(1);
      expect(result['sum.total']).toBe((4_999 * 5_000) / 2);
    }
  });

  it('a synchronous flow of 20,000 chained vertices does not grow the stack', async () => {
    const flow: FlowSpec['flow'] = { v0: {} };
    for (let i = 1; i < 20_000; i++) flow[`v${i}`] = { handler: 'step', inputs: { x: `v${i - 1}.x` } };
    const handlers = { v0: () => ({ x: 0 }), step: ({ x }: { x: number }) => ({ x: x + 1 }) };
    const result = await lastValueFrom(runFlowResult({ flow }, { handlers, parallel: true, maxWorkers: Infinity }));
    expect(result['v19999.x']).toBe(19_999);
  });
});

describe('failures', () => {
  it('a throwing handler fails the flow with a FlowVertexError naming the vertex; later vertices never start', async () => {
    const d = jest.fn(() => ({}));
    const cause = new Error('boom');
    const { events, error } = await collect(
      runFlow(diamond, {
        handlers: { A: () => ({ out: 1 }), B: () => { throw cause; }, C: () => ({ out: 1 }), D: d },
      }),
    );
    expect(error).toBeInstanceOf(FlowVertexError);
    expect((error as FlowVertexError).vertex).toBe('B');
    expect((error as FlowVertexError).cause).toBe(cause);
    expect((error as Error).message).toBe('Vertex `B` failed: boom');
    expect(events.map(brief)).toEqual(['started A', 'completed A', 'started B', 'failed B']);
    expect(d).not.toHaveBeenCalled();
  });

  it('a result lacking a key another vertex reads fails the flow, naming both vertices and the key', async () => {
    const { error } = await collect(
      runFlow(diamond, { handlers: { A: () => ({ wrong: 1 }), B: () => ({ out: 1 }), C: () => ({ out: 1 }), D: () => ({}) } }),
    );
    expect((error as FlowVertexError).vertex).toBe('A');
    expect((error as Error).message).toBe('Vertex `A` produced no output `out`, which vertex `B` reads (`a: A.out`); it produced: wrong');
  });

  it('a result that is not a record fails the flow', async () => {
    const { error } = await collect(runFlow({ flow: { A: {} } }, { handlers: { A: () => Promise.resolve(42) as never } }));
    expect((error as Error).message).toBe('Vertex `A`: expected its handler to produce a record of outputs (or nothing), got `42` (number)');
  });

  it('ctx.signal of running vertices aborts when another fails; the failed one is not aborted', async () => {
    const signals: Record<string, AbortSignal> = {};
    let rejectB: (e: Error) => void = () => undefined;
    const handlers: Record<string, FlowHandler> = {
      A: () => ({ out: 1 }),
      B: (_i, ctx) => {
        signals['B'] = ctx.signal;
        return new Promise((_resolve, reject) => (rejectB = reject));
      },
      C: (_i, ctx) => {
        signals['C'] = ctx.signal;
        return new Promise(() => undefined);
      },
      D: () => ({}),
    };
    const done = collect(runFlow(diamond, { handlers, parallel: true }));
    await Promise.resolve();
    expect(signals['C']!.aborted).toBe(false);
    rejectB(new Error('no'));
    const { error } = await done;
    expect((error as FlowVertexError).vertex).toBe('B');
    expect(signals['C']!.aborted).toBe(true);
    expect((signals['C']!.reason as Error).name).toBe('AbortError');
    expect(signals['B']!.aborted).toBe(false);
  });

  it('ctx.signal aborts on unsubscribe, and is never created when no handler reads it', async () => {
    const counter = countAbortControllers();
    try {
      const sub = runFlow(diamond, { handlers: { A: () => ({ out: 1 }), B: () => NEVER, C: () => NEVER, D: () => ({}) }, parallel: true }).subscribe();
      sub.unsubscribe();
      await lastValueFrom(runFlowResult(diamond, { handlers: { A: () => ({ out: 1 }), B: () => Promise.resolve({ out: 2 }), C: () => ({ out: 3 }), D: () => ({}) } }));
      expect(counter.created).toBe(0);
      let signal: AbortSignal | undefined;
      const sub2 = runFlow({ flow: { A: {} } }, { handlers: { A: (_i, ctx) => ((signal = ctx.signal), NEVER) } }).subscribe();
      expect(counter.created).toBe(1);
      expect(signal!.aborted).toBe(false);
      sub2.unsubscribe();
      expect(signal!.aborted).toBe(true);
    } finally {
      counter.restore();
    }
  });

  it('ctx.vertex names the vertex', async () => {
    const seen: string[] = [];
    const handler: FlowHandler = (_i, ctx) => void seen.push(ctx.vertex);
    await lastValueFrom(runFlowResult({ flow: { x: { handler: 'h' }, y: { handler: 'h' } } }, { handlers: { h: handler } }));
    expect(seen).toEqual(['x', 'y']);
  });

  it('a consumer leaving on an event (take) stops the flow: nothing else starts', async () => {
    const b = jest.fn(() => ({ out: 1 }));
    const events = await firstValueFrom(
      runFlow(diamond, { handlers: { A: () => ({ out: 1 }), B: b, C: () => ({ out: 1 }), D: () => ({}) } }).pipe(take(2), toArray()),
    );
    expect(events.map(brief)).toEqual(['started A', 'completed A']);
    expect(b).not.toHaveBeenCalled();
  });
});

describe('inherited properties are not handlers, outputs or compensations', () => {
  it('a vertex named like an Object.prototype method still needs its own handler', () => {
    expect(() => runFlow({ flow: { toString: {} } }, { handlers: {} })).toThrow(
      'Vertex `toString` needs handler `toString`, but `options.handlers.toString` is `undefined` (undefined); expected a function',
    );
  });

  it('an output read as `a.toString` must be produced by `a`', async () => {
    const { error } = await collect(runFlow({ flow: { a: {}, b: { inputs: { f: 'a.toString' } } } }, { handlers: { a: () => ({}), b: () => ({}) } }));
    expect((error as FlowVertexError).vertex).toBe('a');
    expect((error as Error).message).toContain('Vertex `a` produced no output `toString`, which vertex `b` reads');
  });

  it('a compensate group does not call an inherited `compensations.constructor`', async () => {
    const spec: FlowSpec = {
      flow: { constructor: { handler: 'c' }, b: { inputs: { x: 'constructor.ok' } } },
      atomic_groups: { g: { vertices: ['constructor', 'b'], on_failure: 'compensate' } },
    };
    const { events } = await collect(runFlow(spec, { handlers: { c: () => ({ ok: 1 }), b: () => Promise.reject(new Error('b')) } }));
    expect(events.find((e) => e.type === 'rolledBack')).toMatchObject({ strategy: 'compensate', vertices: [] });
  });
});

describe('teardown', () => {
  it('nothing stays scheduled after an unsubscribe or a failure', () => {
    const ts = new TestScheduler(() => undefined);
    const live = (): number => ts.actions.filter((a) => !a.closed).length;
    const after = (ms: number) => () => timer(ms, ts).pipe(map(() => ({ out: 1 })));
    const sub = runFlow(diamond, { handlers: { A: () => ({ out: 1 }), B: after(20), C: after(40), D: after(10) }, parallel: true }).subscribe();
    expect(live()).toBe(2);
    sub.unsubscribe();
    expect(live()).toBe(0);
    const failing = () => timer(5, ts).pipe(concatMap(() => throwError(() => new Error('B failed'))));
    let error: unknown;
    runFlow(diamond, { handlers: { A: () => ({ out: 1 }), B: failing, C: after(40), D: after(10) }, parallel: true }).subscribe({ error: (e: unknown) => (error = e) });
    expect(live()).toBe(2);
    ts.maxFrames = 5;
    ts.flush();
    expect((error as FlowVertexError).vertex).toBe('B');
    expect(live()).toBe(0);
  });
});

describe('serial order is deterministic', () => {
  it('stage by stage, names sorted within a stage, whatever the declaration order', async () => {
    const spec: FlowSpec = {
      flow: {
        zeta: { inputs: { a: 'alpha.o' } },
        beta: { inputs: { a: 'alpha.o' } },
        omega: { inputs: { z: 'zeta.o', b: 'beta.o' } },
        mu: {},
        alpha: {},
      },
    };
    const order: string[] = [];
    const handler: FlowHandler = (_i, ctx) => {
      order.push(ctx.vertex);
      return Promise.resolve({ o: 1 });
    };
    const handlers = { zeta: handler, beta: handler, omega: handler, mu: handler, alpha: handler };
    for (let run = 0; run < 3; run++) {
      order.length = 0;
      await lastValueFrom(runFlowResult(spec, { handlers }));
      expect(order).toEqual(['alpha', 'mu', 'beta', 'zeta', 'omega']);
    }
  });
});

describe('cache', () => {
  const spec: FlowSpec = {
    flow: { p: { effect: 'pure', inputs: { x: 'input.x' } }, s: { effect: 'side_effect', inputs: { x: 'input.x' } } },
  };

  it('pure vertices hit on the same inputs (cached: true, handler skipped); side_effect ones always run', async () => {
    const p = jest.fn(({ x }: { x: number }) => ({ y: x * 2 }));
    const s = jest.fn(({ x }: { x: number }) => ({ y: x * 3 }));
    const cache = memoryFlowCache();
    const options = (x: number): RunFlowOptions => ({ handlers: { p, s }, initialData: { x }, cache });
    const first = await collect(runFlow(spec, options(1)));
    const second = await collect(runFlow(spec, options(1)));
    const third = await collect(runFlow(spec, options(2)));
    const completed = (events: FlowEvent[]) => events.filter((e) => e.type === 'completed');
    expect(completed(first.events)).toEqual([
      { type: 'completed', vertex: 'p', outputs: { y: 2 }, cached: false },
      { type: 'completed', vertex: 's', outputs: { y: 3 }, cached: false },
    ]);
    expect(completed(second.events)).toEqual([
      { type: 'completed', vertex: 'p', outputs: { y: 2 }, cached: true },
      { type: 'completed', vertex: 's', outputs: { y: 3 }, cached: false },
    ]);
    expect(second.events.map(brief)).not.toContain('started p');
    expect(completed(third.events)[0]).toEqual({ type: 'completed', vertex: 'p', outputs: { y: 4 }, cached: false });
    expect(p).toHaveBeenCalledTimes(2);
    expect(s).toHaveBeenCalledTimes(3);
    expect(cache.size).toBe(2);
  });

  it('a consumer that mutates a completed outputs record does not change the cached entry', async () => {
    const p = jest.fn(({ x }: { x: number }) => ({ y: x * 2 }));
    const cache = memoryFlowCache();
    const options: RunFlowOptions = { handlers: { p, s: () => ({ y: 0 }) }, initialData: { x: 1 }, cache };
    const first = await collect(runFlow(spec, options));
    const outputs = first.events.find((e) => e.type === 'completed' && e.vertex === 'p') as { outputs: Record<string, unknown> };
    outputs.outputs['y'] = 'tampered';
    const second = await collect(runFlow(spec, options));
    const hit = second.events.find((e) => e.type === 'completed' && e.vertex === 'p') as { outputs: Record<string, unknown>; cached: boolean };
    expect(hit).toMatchObject({ cached: true, outputs: { y: 2 } });
    hit.outputs['y'] = 'tampered again';
    const third = await collect(runFlow(spec, options));
    expect(third.events.find((e) => e.type === 'completed' && e.vertex === 'p')).toMatchObject({ cached: true, outputs: { y: 2 } });
    expect(p).toHaveBeenCalledTimes(1);
  });

  it('the key includes the handler identity and a stable serialisation of the inputs (key order does not matter)', async () => {
    const cache = memoryFlowCache();
    const one = jest.fn(() => ({ y: 1 }));
    const two = jest.fn(() => ({ y: 2 }));
    const run = (handler: FlowHandler, x: unknown) => lastValueFrom(runFlowResult(spec, { handlers: { p: handler, s: () => ({}) }, initialData: { x }, cache }));
    expect(await run(one, { a: 1, b: [1, 2] })).toMatchObject({ 'p.y': 1 });
    expect(await run(one, { b: [1, 2], a: 1 })).toMatchObject({ 'p.y': 1 });
    expect(await run(two, { a: 1, b: [1, 2] })).toMatchObject({ 'p.y': 2 });
    expect(one).toHaveBeenCalledTimes(1);
    expect(two).toHaveBeenCalledTimes(1);
  });

  it('inputs that cannot be serialised are not cached', async () => {
    const cache = memoryFlowCache();
    const p = jest.fn(() => ({ y: 1 }));
    const f = () => 1;
    for (let i = 0; i < 2; i++) await lastValueFrom(runFlowResult(spec, { handlers: { p, s: () => ({}) }, initialData: { x: f }, cache }));
    expect(p).toHaveBeenCalledTimes(2);
    expect(cache.size).toBe(0);
  });

  it('no cache unless asked', async () => {
    const p = jest.fn(() => ({ y: 1 }));
    for (let i = 0; i < 2; i++) await lastValueFrom(runFlowResult(spec, { handlers: { p, s: () => ({}) }, initialData: { x: 1 } }));
    expect(p).toHaveBeenCalledTimes(2);
  });

  it('inside an atomic group, caching is off unless no_cache: false', async () => {
    const grouped = (no_cache: boolean): FlowSpec => ({ flow: { p: { effect: 'pure' } }, atomic_groups: { g: { vertices: ['p'], no_cache } } });
    for (const [noCache, calls] of [[true, 2], [false, 1]] as const) {
      const cache = memoryFlowCache();
      const p = jest.fn(() => ({ y: 1 }));
      for (let i = 0; i < 2; i++) await lastValueFrom(runFlowResult(grouped(noCache), { handlers: { p }, cache }));
      expect(p).toHaveBeenCalledTimes(calls);
    }
  });
});

describe('atomic groups', () => {
  const payment: FlowSpec = {
    flow: {
      load: {},
      reserve: { inputs: { l: 'load.ok' } },
      charge: { inputs: { r: 'reserve.ok' } },
      confirm: { inputs: { c: 'charge.ok' } },
    },
    atomic_groups: { payment: { vertices: ['reserve', 'charge', 'confirm'], on_failure: 'rollback' } },
  };
  const ok = () => ({ ok: true });

  it('rollback: removes the group outputs, calls begin then rollback (never commit), emits rolledBack, then errors', async () => {
    const calls: string[] = [];
    const { events, error } = await collect(
      runFlow(payment, {
        handlers: { load: ok, reserve: ok, charge: ok, confirm: () => Promise.reject(new Error('declined')) },
        transaction: {
          begin: (g) => void calls.push(`begin ${g}`),
          commit: (g) => void calls.push(`commit ${g}`),
          rollback: (g) => Promise.resolve().then(() => void calls.push(`rollback ${g}`)),
        },
      }),
    );
    expect(calls).toEqual(['begin payment', 'rollback payment']);
    expect((error as FlowVertexError).vertex).toBe('confirm');
    const rolledBack = events.find((e) => e.type === 'rolledBack');
    expect(rolledBack).toEqual({
      type: 'rolledBack',
      group: 'payment',
      strategy: 'rollback',
      vertices: ['reserve', 'charge'],
      data: { 'load.ok': true },
    });
    expect(events.map(brief).slice(-2)).toEqual(['failed confirm', 'rolledBack payment']);
  });

  it('rollback: the data is restored to what it was before the group, also when a vertex outside it fails while it is open', async () => {
    const spec: FlowSpec = {
      flow: { a: {}, b: { inputs: { a: 'a.ok' } }, outside: {} },
      atomic_groups: { g: { vertices: ['a', 'b'] } },
    };
    let failOutside: (e: Error) => void = () => undefined;
    const run = collect(
      runFlow(spec, {
        parallel: true,
        handlers: { a: ok, b: () => NEVER, outside: () => new Promise((_r, reject) => (failOutside = reject)) },
      }),
    );
    await Promise.resolve();
    failOutside(new Error('x'));
    const { events } = await run;
    expect(events.find((e) => e.type === 'rolledBack')).toMatchObject({ group: 'g', vertices: ['a'], data: {} });
  });

  it('rollback: outputs of vertices that completed while the group was open are removed too', async () => {
    // Serial order: load, reserve (the group opens), side (completes inside the group's span), charge (fails).
    const spec: FlowSpec = {
      flow: { load: {}, reserve: { inputs: { l: 'load.ok' } }, side: { inputs: { l: 'load.ok' } }, charge: { inputs: { r: 'reserve.ok' } } },
      atomic_groups: { pay: { vertices: ['reserve', 'charge'] } },
    };
    const { events } = await collect(
      runFlow(spec, { handlers: { load: ok, reserve: ok, side: ok, charge: () => Promise.reject(new Error('declined')) } }),
    );
    expect(events.map(brief)).toContain('completed side');
    expect(events.find((e) => e.type === 'rolledBack')).toEqual({
      type: 'rolledBack',
      group: 'pay',
      strategy: 'rollback',
      vertices: ['reserve'],
      data: { 'load.ok': true },
    });
  });

  it('commit is called once after the last vertex of the group, before it counts as completed', async () => {
    const calls: string[] = [];
    const { events, error } = await collect(
      runFlow(payment, {
        handlers: { load: ok, reserve: ok, charge: ok, confirm: ok },
        transaction: { begin: (g) => void calls.push(`begin ${g}`), commit: (g) => of(1).pipe(map(() => void calls.push(`commit ${g}`))) },
      }),
    );
    expect(error).toBeUndefined();
    expect(calls).toEqual(['begin payment', 'commit payment']);
    expect(events.map(brief).slice(-3)).toEqual(['started confirm', 'completed confirm', 'done']);
  });

  it('a failing commit fails the vertex and rolls the group back', async () => {
    const calls: string[] = [];
    const { error } = await collect(
      runFlow(payment, {
        handlers: { load: ok, reserve: ok, charge: ok, confirm: ok },
        transaction: { commit: () => Promise.reject(new Error('lost connection')), rollback: () => void calls.push('rollback') },
      }),
    );
    expect((error as Error).message).toBe('Vertex `confirm` failed: lost connection');
    expect(calls).toEqual(['rollback']);
  });

  it('compensate: runs the compensations of the completed vertices in reverse order, with their outputs and inputs', async () => {
    const spec: FlowSpec = { ...payment, atomic_groups: { payment: { vertices: ['reserve', 'charge', 'confirm'], on_failure: 'compensate' } } };
    const calls: string[] = [];
    const { events, error } = await collect(
      runFlow(spec, {
        handlers: { load: ok, reserve: () => ({ ok: 'R' }), charge: () => ({ ok: 'C' }), confirm: () => { throw new Error('nope'); } },
        compensations: {
          reserve: (outputs, inputs) => void calls.push(`undo reserve ${String(outputs['ok'])} ${JSON.stringify(inputs)}`),
          charge: (outputs, _inputs, ctx) => timer(1).pipe(map(() => void calls.push(`undo ${ctx.vertex} ${String(outputs['ok'])}`))),
        },
        transaction: { rollback: () => void calls.push('rollback hook (not for compensate groups)') },
      }),
    );
    expect(calls).toEqual(['undo charge C', 'undo reserve R {"l":true}']);
    expect((error as FlowVertexError).vertex).toBe('confirm');
    expect(events.find((e) => e.type === 'rolledBack')).toEqual({
      type: 'rolledBack',
      group: 'payment',
      strategy: 'compensate',
      vertices: ['charge', 'reserve'],
      data: { 'load.ok': true },
    });
  });

  it('a failing compensation is recorded in recoveryErrors; the others still run', async () => {
    const spec: FlowSpec = { flow: { a: {}, b: {}, c: { inputs: { a: 'a.ok', b: 'b.ok' } } }, atomic_groups: { g: { vertices: ['a', 'b', 'c'], on_failure: 'compensate' } } };
    const calls: string[] = [];
    const { error } = await collect(
      runFlow(spec, {
        handlers: { a: ok, b: ok, c: () => Promise.reject(new Error('c failed')) },
        compensations: { a: () => void calls.push('undo a'), b: () => { throw new Error('undo b failed'); } },
      }),
    );
    expect(calls).toEqual(['undo a']);
    expect((error as FlowVertexError).recoveryErrors).toEqual([new Error('undo b failed')]);
    expect((error as Error).message).toBe('Vertex `c` failed: c failed; recovery also failed: undo b failed');
  });

  it('abort: just stops, no hooks, no rolledBack', async () => {
    const spec: FlowSpec = { ...payment, atomic_groups: { payment: { vertices: ['reserve', 'charge', 'confirm'], on_failure: 'abort' } } };
    const rollback = jest.fn();
    const begin = jest.fn();
    const { events, error } = await collect(
      runFlow(spec, { handlers: { load: ok, reserve: ok, charge: () => Promise.reject(new Error('x')), confirm: ok }, transaction: { begin, rollback } }),
    );
    expect((error as FlowVertexError).vertex).toBe('charge');
    expect(events.some((e) => e.type === 'rolledBack')).toBe(false);
    expect(begin).not.toHaveBeenCalled();
    expect(rollback).not.toHaveBeenCalled();
  });

  it('a committed group is not rolled back by a later failure', async () => {
    const rollback = jest.fn();
    const spec: FlowSpec = { flow: { a: {}, later: { inputs: { a: 'a.ok' } } }, atomic_groups: { g: { vertices: ['a'] } } };
    const { events } = await collect(runFlow(spec, { handlers: { a: ok, later: () => { throw new Error('late'); } }, transaction: { rollback } }));
    expect(rollback).not.toHaveBeenCalled();
    expect(events.some((e) => e.type === 'rolledBack')).toBe(false);
  });
});

/** Runs six independent 10 ms vertices in virtual time; returns how many ran at once at most. */
function peakConcurrency(options: RunFlowOptions = {}): number {
  const scheduler = new VirtualTimeScheduler();
  let running = 0;
  let peak = 0;
  const work = () =>
    defer(() => {
      peak = Math.max(peak, ++running);
      return timer(10, scheduler).pipe(map(() => ({})));
    }).pipe(tap({ complete: () => running-- }));
  const flow: FlowSpec['flow'] = {};
  for (let i = 0; i < 6; i++) flow[`v${i}`] = { handler: 'work' };
  runFlow({ flow }, { handlers: { work }, ...options }).subscribe();
  scheduler.flush();
  return peak;
}

describe('settings priority: per call > configureFlows > environment > defaults', () => {
  const saved = { ...process.env };
  afterEach(() => {
    configureFlows();
    for (const key of ['RXC_FLOW_PARALLEL', 'RXC_FLOW_MAX_WORKERS', 'RXC_FLOW_CACHE']) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
    defaultFlowCache.clear();
  });

  it('defaults: serial; parallel means 4 workers', () => {
    expect(peakConcurrency()).toBe(1);
    expect(peakConcurrency({ parallel: true })).toBe(4);
    expect(peakConcurrency({ parallel: true, maxWorkers: Infinity })).toBe(6);
  });

  it('the environment beats the defaults', () => {
    process.env['RXC_FLOW_PARALLEL'] = 'true';
    expect(peakConcurrency()).toBe(4);
    process.env['RXC_FLOW_MAX_WORKERS'] = '3';
    expect(peakConcurrency()).toBe(3);
    process.env['RXC_FLOW_MAX_WORKERS'] = 'Infinity';
    expect(peakConcurrency()).toBe(6);
  });

  it('configureFlows beats the environment, per call beats configureFlows', () => {
    process.env['RXC_FLOW_PARALLEL'] = 'false';
    process.env['RXC_FLOW_MAX_WORKERS'] = '5';
    configureFlows({ parallel: true, maxWorkers: 2 });
    expect(peakConcurrency()).toBe(2);
    expect(peakConcurrency({ maxWorkers: 3 })).toBe(3);
    expect(peakConcurrency({ parallel: false })).toBe(1);
    configureFlows({ parallel: true });
    expect(peakConcurrency()).toBe(5);
  });

  it('configureFlows returns the previous settings and checks its input', () => {
    configureFlows({ maxWorkers: 2 });
    expect(configureFlows({ parallel: true })).toEqual({ maxWorkers: 2 });
    expect(() => configureFlows({ maxWorkers: -1 })).toThrow('Expected `settings.maxWorkers` to be an integer from 1 and up or `Infinity`, got `-1` (number)');
    expect(() => configureFlows({ workers: 2 } as never)).toThrow('Unknown option `settings.workers`; expected one of `parallel`, `maxWorkers`, `schedule`, `cache`');
    expect(() => configureFlows([] as never)).toThrow('Expected `settings` to be an object, got `[]` (object)');
    expect(() => configureFlows(null as never)).toThrow(TypeError);
  });

  it('RXC_FLOW_CACHE=true uses the shared in-memory cache; cache: false per call turns it off', async () => {
    process.env['RXC_FLOW_CACHE'] = 'yes';
    const p = jest.fn(() => ({ y: 1 }));
    const spec: FlowSpec = { flow: { p: { effect: 'pure' } } };
    for (let i = 0; i < 2; i++) await lastValueFrom(runFlowResult(spec, { handlers: { p } }));
    expect(p).toHaveBeenCalledTimes(1);
    expect(defaultFlowCache.size).toBe(1);
    await lastValueFrom(runFlowResult(spec, { handlers: { p }, cache: false }));
    expect(p).toHaveBeenCalledTimes(2);
  });

  it.each([
    ['RXC_FLOW_MAX_WORKERS', 'zero', 'Expected environment variable `RXC_FLOW_MAX_WORKERS` to be an integer from 1 and up or `Infinity`, got `"zero"` (string)'],
    ['RXC_FLOW_MAX_WORKERS', '0', 'got `"0"` (string)'],
    ['RXC_FLOW_MAX_WORKERS', '2.5', 'got `"2.5"` (string)'],
    ['RXC_FLOW_PARALLEL', 'maybe', 'Expected environment variable `RXC_FLOW_PARALLEL` to be true or false (or 1/0, yes/no, on/off), got `"maybe"` (string)'],
    ['RXC_FLOW_CACHE', 'sometimes', 'Expected environment variable `RXC_FLOW_CACHE` to be true or false'],
  ])('a bad %s=%s is a clear error at call time', (name, value, message) => {
    process.env['RXC_FLOW_PARALLEL'] = 'true';
    process.env[name] = value;
    expect(() => runFlow({ flow: { a: {} } }, { handlers: { a: () => ({}) } })).toThrow(message);
  });

  it('an environment variable is only read when nothing above gives the setting', () => {
    process.env['RXC_FLOW_MAX_WORKERS'] = 'zero';
    expect(() => runFlow({ flow: { a: {} } }, { handlers: { a: () => ({}) }, parallel: true, maxWorkers: 2 })).not.toThrow();
  });
});

// Each test below kills a mutant of lib/flow/run.ts that survived `npm run mutation`.
describe('what the mutation run found unasserted', () => {
  /** Handlers that log their start (`started`) and finish only when the test calls `finish[i]()`. */
  const heldHandlers = () => {
    const started: string[] = [];
    const finish: Array<() => void> = [];
    const work = (name: string) => () => {
      started.push(name);
      return new Promise<Record<string, unknown>>((resolve) => finish.push(() => resolve({})));
    };
    return { started, finish, work };
  };

  const ok = () => ({ ok: true });

  it('an empty flow emits done with the initial data and completes', async () => {
    expect(await collect(runFlow({ flow: {} }, { initialData: { x: 1 } }))).toEqual({
      events: [{ type: 'done', result: { 'input.x': 1 } }],
      error: undefined,
    });
  });

  it('runFlowResult emits the result once, nothing for the other events', async () => {
    const out = () => ({ out: 1 });
    const results = await lastValueFrom(runFlowResult(diamond, { handlers: { A: out, B: out, C: out, D: out } }).pipe(toArray()));
    expect(results).toEqual([{ 'A.out': 1, 'B.out': 1, 'C.out': 1, 'D.out': 1 }]);
  });

  it('a vertex failing synchronously starts nothing more, also while its group is rolled back', async () => {
    const later = jest.fn(ok);
    let rolledBack: () => void = () => undefined;
    const run = collect(
      runFlow(
        { flow: { A: {}, B: {} }, atomic_groups: { g: { vertices: ['A'] } } },
        {
          parallel: true,
          handlers: { A: () => { throw new Error('A failed'); }, B: later },
          transaction: { rollback: () => new Promise<void>((resolve) => (rolledBack = resolve)) },
        },
      ),
    );
    expect(later).not.toHaveBeenCalled();
    rolledBack();
    const { events, error } = await run;
    expect((error as FlowVertexError).vertex).toBe('A');
    expect(later).not.toHaveBeenCalled();
    expect(events.map(brief)).toEqual(['started A', 'failed A', 'rolledBack g']);
  });

  it('no_parallel: false lets the vertices of a group run at once (no begin hook)', async () => {
    const { started, finish, work } = heldHandlers();
    const run = collect(
      runFlow({ flow: { P: {}, Q: {} }, atomic_groups: { g: { vertices: ['P', 'Q'], no_parallel: false } } }, { parallel: true, handlers: { P: work('P'), Q: work('Q') } }),
    );
    expect(started).toEqual(['P', 'Q']);
    for (const f of finish) f();
    expect((await run).error).toBeUndefined();
  });

  it('no_parallel (the default) with a begin hook: the second vertex waits for the first', async () => {
    const { started, finish, work } = heldHandlers();
    const run = collect(
      runFlow(
        { flow: { P: {}, Q: {} }, atomic_groups: { g: { vertices: ['P', 'Q'] } } },
        { parallel: true, handlers: { P: work('P'), Q: work('Q') }, transaction: { begin: () => undefined } },
      ),
    );
    expect(started).toEqual(['P']);
    finish.shift()!();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(started).toEqual(['P', 'Q']);
    finish.shift()!();
    expect((await run).error).toBeUndefined();
  });

  it('a missing output lists what was produced: several keys, or nothing', async () => {
    const spec: FlowSpec = { flow: { a: {}, b: { inputs: { v: 'a.v' } } } };
    const two = await collect(runFlow(spec, { handlers: { a: () => ({ x: 1, y: 2 }), b: ok } }));
    expect((two.error as Error).message).toBe('Vertex `a` produced no output `v`, which vertex `b` reads (`v: a.v`); it produced: x, y');
    const none = await collect(runFlow(spec, { handlers: { a: () => undefined, b: ok } }));
    expect((none.error as Error).message).toBe('Vertex `a` produced no output `v`, which vertex `b` reads (`v: a.v`); it produced: nothing');
  });

  it('a cache hit whose lookup makes the consumer leave commits nothing', async () => {
    const spec: FlowSpec = { flow: { p: { effect: 'pure' } }, atomic_groups: { g: { vertices: ['p'], no_cache: false } } };
    const cache = memoryFlowCache();
    const handlers = { p: () => ({ y: 1 }) };
    await lastValueFrom(runFlowResult(spec, { handlers, cache }));
    const leave = new Subject<void>();
    const store = { get: (key: string) => (leave.next(), cache.get(key)), set: (key: string, outputs: Record<string, unknown>) => cache.set(key, outputs) };
    const commit = jest.fn();
    const seen: string[] = [];
    runFlow(spec, { handlers, cache: store, transaction: { commit } })
      .pipe(takeUntil(leave))
      .subscribe((e) => seen.push(brief(e)));
    expect(seen).toEqual([]);
    expect(commit).not.toHaveBeenCalled();
  });

  it('compensate: a vertex without a compensation is skipped, the earlier ones still run', async () => {
    const calls: string[] = [];
    const spec: FlowSpec = { flow: { a: {}, b: {}, c: { inputs: { a: 'a.ok', b: 'b.ok' } } }, atomic_groups: { g: { vertices: ['a', 'b', 'c'], on_failure: 'compensate' } } };
    const { events } = await collect(
      runFlow(spec, { handlers: { a: ok, b: ok, c: () => { throw new Error('c failed'); } }, compensations: { a: () => void calls.push('undo a') } }),
    );
    expect(calls).toEqual(['undo a']);
    expect(events.find((e) => e.type === 'rolledBack')).toMatchObject({ strategy: 'compensate', vertices: ['a'] });
  });
});
