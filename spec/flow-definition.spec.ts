import {
  FlowCycleError,
  FlowDefinitionError,
  executionStages,
  runFlow,
  type FlowSpec,
} from '../lib/flow';
import { parseFlow, stringifyFlow } from '../lib/flow/yaml';

const diamond: FlowSpec = {
  flow: {
    D: { inputs: { b: 'B.out', c: 'C.out' } },
    C: { inputs: { a: 'A.out' } },
    B: { inputs: { a: 'A.out' } },
    A: {},
  },
};

/** Runs `fn`, expecting it to throw; returns the error. */
function thrown(fn: () => unknown): Error & Record<string, unknown> {
  try {
    fn();
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error('expected a throw');
}

describe('executionStages', () => {
  it('diamond A → (B, C) → D gives [[A], [B, C], [D]]', () => {
    expect(executionStages(diamond)).toEqual([['A'], ['B', 'C'], ['D']]);
  });

  it('a vertex goes one stage after its latest input, names sorted in a stage', () => {
    const spec: FlowSpec = {
      flow: { z: {}, y: {}, late: { inputs: { a: 'z.o', b: 'mid.o' } }, mid: { inputs: { a: 'y.o' } }, solo: { inputs: { x: 'input.x' } } },
    };
    expect(executionStages(spec)).toEqual([['solo', 'y', 'z'], ['mid'], ['late']]);
  });

  it('an empty flow has no stages', () => {
    expect(executionStages({ flow: {} })).toEqual([]);
  });
});

describe('cycles', () => {
  it('names the cycle a → b → a', () => {
    const error = thrown(() => executionStages({ flow: { b: { inputs: { x: 'a.x' } }, a: { inputs: { y: 'b.y' } } } }));
    expect(error).toBeInstanceOf(FlowCycleError);
    expect(error).toBeInstanceOf(FlowDefinitionError);
    expect(error.cycle).toEqual(['a', 'b', 'a']);
    expect(error.message).toContain('a → b → a');
  });

  it('finds a longer cycle hanging off a valid part, in data-flow order', () => {
    const spec: FlowSpec = {
      flow: {
        start: {},
        p: { inputs: { s: 'start.o', r: 'r.o' } },
        q: { inputs: { p: 'p.o' } },
        r: { inputs: { q: 'q.o' } },
        after: { inputs: { r: 'r.o' } },
      },
    };
    const error = thrown(() => executionStages(spec));
    expect(error.cycle).toEqual(['p', 'q', 'r', 'p']);
    expect(error.message).toContain('p → q → r → p');
  });

  it('a vertex reading itself is a cycle of one', () => {
    expect(thrown(() => executionStages({ flow: { a: { inputs: { x: 'a.x' } } } })).cycle).toEqual(['a', 'a']);
  });

  it('runFlow throws it at call time, before any Observable exists', () => {
    const handler = jest.fn();
    expect(() => runFlow({ flow: { a: { inputs: { x: 'b.x' } }, b: { inputs: { y: 'a.y' } } } }, { handlers: { a: handler, b: handler } })).toThrow(
      FlowCycleError,
    );
    expect(handler).not.toHaveBeenCalled();
  });
});

describe('definition errors (thrown at call time, naming the vertex and the binding)', () => {
  it('a binding to an unknown vertex', () => {
    const error = thrown(() => executionStages({ flow: { a: {}, report: { inputs: { user: 'fetch_user.user' } } } }));
    expect(error).toBeInstanceOf(FlowDefinitionError);
    expect(error.vertex).toBe('report');
    expect(error.binding).toBe('user: fetch_user.user');
    expect(error.message).toMatch(/Vertex `report` binds `user: fetch_user.user`, but there is no vertex `fetch_user`/);
  });

  it('a binding to a key missing from the declared outputs', () => {
    const error = thrown(() => executionStages({ flow: { a: { outputs: ['x'] }, b: { inputs: { v: 'a.y' } } } }));
    expect(error.vertex).toBe('b');
    expect(error.binding).toBe('v: a.y');
    expect(error.message).toContain('vertex `a` declares no output `y` (its outputs: x)');
  });

  it.each([
    ['not a string', { v: 3 }, /expected input `v` to be bound to "input.KEY" or "VERTEX.KEY", got `3` \(number\)/],
    ['no dot', { v: 'a' }, /got `"a"` \(string\)/],
    ['nothing after the dot', { v: 'a.' }, /got `"a."` \(string\)/],
  ])('a malformed binding (%s)', (_case, inputs, pattern) => {
    const error = thrown(() => executionStages({ flow: { a: {}, b: { inputs: inputs as unknown as Record<string, string> } } }));
    expect(error).toBeInstanceOf(FlowDefinitionError);
    expect(error.vertex).toBe('b');
    expect(error.message).toMatch(pattern);
  });

  it('a vertex in two atomic groups', () => {
    const error = thrown(() =>
      executionStages({ flow: { a: {}, b: {} }, atomic_groups: { one: { vertices: ['a', 'b'] }, two: { vertices: ['b'] } } }),
    );
    expect(error.vertex).toBe('b');
    expect(error.message).toContain('Vertex `b` is in two atomic groups, `one` and `two`');
  });

  it('a vertex listed twice in one group', () => {
    const error = thrown(() => executionStages({ flow: { a: {} }, atomic_groups: { g: { vertices: ['a', 'a'] } } }));
    expect(error).toBeInstanceOf(FlowDefinitionError);
    expect(error.vertex).toBe('a');
    expect(error.message).toBe('Atomic group `g` lists vertex `a` twice; list each vertex once');
  });

  it.each([
    ['a group lists an unknown vertex', { flow: { a: {} }, atomic_groups: { g: { vertices: ['zz'] } } }, /Atomic group `g` lists `"zz"` \(string\), which is not a vertex/],
    ['a bad on_failure', { flow: { a: {} }, atomic_groups: { g: { vertices: ['a'], on_failure: 'retry' } } }, /expected `on_failure` to be one of rollback, compensate, abort, got `"retry"`/],
    ['a bad effect', { flow: { a: { effect: 'impure' } } }, /Vertex `a`: expected `effect` to be "pure" or "side_effect", got `"impure"`/],
    ['an unknown vertex field', { flow: { a: { input: { x: 'input.x' } } } }, /Vertex `a` has an unknown field `input`; expected one of handler, effect, inputs, outputs/],
    ['a reserved name', { flow: { input: {} } }, /Vertex name `"input"` \(string\) is not allowed/],
    ['a dotted name', { flow: { 'a.b': {} } }, /Vertex name `"a.b"` \(string\) is not allowed/],
    ['no flow at all', { vertices: {} }, /Expected a flow definition/],
  ])('%s', (_case, spec, pattern) => {
    const error = thrown(() => executionStages(spec as unknown as FlowSpec));
    expect(error).toBeInstanceOf(FlowDefinitionError);
    expect(error.message).toMatch(pattern);
  });

  it('runFlow: a missing handler names the vertex and the handler', () => {
    const error = thrown(() => runFlow({ flow: { fetch_user: { handler: 'fetchUser' } } }, { handlers: {} }));
    expect(error).toBeInstanceOf(FlowDefinitionError);
    expect(error.vertex).toBe('fetch_user');
    expect(error.binding).toBe('handler');
    expect(error.message).toBe(
      'Vertex `fetch_user` needs handler `fetchUser`, but `options.handlers.fetchUser` is `undefined` (undefined); expected a function',
    );
  });

  it('runFlow: an input.KEY binding with no such key in initialData', () => {
    const error = thrown(() => runFlow({ flow: { a: { inputs: { id: 'input.userId' } } } }, { handlers: { a: () => ({}) }, initialData: { id: 1 } }));
    expect(error.vertex).toBe('a');
    expect(error.binding).toBe('id: input.userId');
    expect(error.message).toContain('`options.initialData` has no key `userId` (it has: id)');
    expect(() => runFlow({ flow: { a: { inputs: { s: 'input.toString' } } } }, { handlers: { a: () => ({}) } })).toThrow('`options.initialData` has no key `toString`');
  });

  it('runFlow: bad options throw at call time, naming the option and the value', () => {
    const spec: FlowSpec = { flow: { a: {} } };
    const handlers = { a: () => ({}) };
    expect(() => runFlow(spec, { handlers, maxWorkers: 0 })).toThrow('Expected `options.maxWorkers` to be an integer from 1 and up or `Infinity`, got `0` (number)');
    expect(() => runFlow(spec, { handlers, parallel: 'yes' as unknown as boolean })).toThrow('Expected `options.parallel` to be a boolean, got `"yes"` (string)');
    expect(() => runFlow(spec, { handlers, schedule: 'lazy' as 'eager' })).toThrow('Expected `options.schedule` to be one of `"eager"`, `"stages"`, got `"lazy"` (string)');
    expect(() => runFlow(spec, { handlers, cache: {} as unknown as boolean })).toThrow(/Expected `options.cache` to be a boolean or a store/);
    expect(() => runFlow(spec, { handlers, workers: 2 } as never)).toThrow('Unknown option `options.workers`; expected one of `parallel`, `maxWorkers`, `schedule`, `cache`, `handlers`');
    expect(() => runFlow(spec, { handlers, transaction: { begin: 1 } } as never)).toThrow('Expected `options.transaction.begin` to be a function, got `1` (number)');
    expect(() => runFlow(spec, { handlers, compensations: { zz: () => undefined } })).toThrow('`options.compensations.zz` names no vertex of the flow');
  });

  // Each assertion below kills a mutant of lib/flow/run.ts's plan() that survived `npm run mutation`.
  it('runFlow: the record options name what they expected', () => {
    const spec: FlowSpec = { flow: { a: {} } };
    const handlers = { a: () => ({}) };
    expect(() => runFlow(spec, { handlers: 5 as never })).toThrow('Expected `options.handlers` to be an object of handler functions by name, got `5` (number)');
    expect(() => runFlow(spec, { handlers, initialData: [] as never })).toThrow(/^Expected `options.initialData` to be an object, got /);
    expect(() => runFlow(spec, { handlers, transaction: 'tx' as never })).toThrow(
      'Expected `options.transaction` to be an object of begin, commit and rollback hooks, got `"tx"` (string)',
    );
    expect(() => runFlow(spec, { handlers, compensations: null as never })).toThrow(
      'Expected `options.compensations` to be an object of compensation functions by vertex name, got `null` (null)',
    );
  });

  it('runFlow: the errors of a missing handler or input say where in the flow', () => {
    const missing = thrown(() => runFlow({ flow: { fetch_user: { handler: 'fetchUser' } } }, { handlers: {} }));
    expect(missing.path).toEqual(['flow', 'fetch_user']);
    const input = thrown(() => runFlow({ flow: { a: { inputs: { id: 'input.userId' } } } }, { handlers: { a: () => ({}) } }));
    expect(input).toBeInstanceOf(FlowDefinitionError);
    expect(input.message).toBe('Vertex `a` binds `id: input.userId`, but `options.initialData` has no key `userId` (it has: nothing)');
    expect(input.vertex).toBe('a');
    expect(input.binding).toBe('id: input.userId');
    expect(input.path).toEqual(['flow', 'a', 'inputs', 'id']);
    const two = thrown(() => runFlow({ flow: { a: { inputs: { id: 'input.userId' } } } }, { handlers: { a: () => ({}) }, initialData: { x: 1, y: 2 } }));
    expect(two.message).toContain('(it has: x, y)');
  });

  it('runFlow: compensations must name a vertex and be functions', () => {
    const spec: FlowSpec = { flow: { a: {}, b: {} } };
    const handlers = { a: () => ({}), b: () => ({}) };
    const stray = thrown(() => runFlow(spec, { handlers, compensations: { zz: () => undefined } }));
    expect(stray).toBeInstanceOf(FlowDefinitionError);
    expect(stray.vertex).toBe('zz');
    expect(stray.binding).toBe('compensations');
    const bad = thrown(() => runFlow(spec, { handlers, compensations: { b: 1 } as never }));
    expect(bad).toBeInstanceOf(TypeError);
    expect(bad.message).toBe('Expected `options.compensations.b` to be a function, got `1` (number)');
    expect(() => runFlow(spec, { handlers, compensations: { a: () => undefined, b: () => undefined } })).not.toThrow();
  });
});

describe('parseFlow (YAML)', () => {
  const text = `flow:
  fetch_user:   { handler: fetchUser, effect: pure, inputs: { id: input.userId } }
  fetch_orders: { inputs: { user: fetch_user.user } }
  fetch_prefs:  { inputs: { user: fetch_user.user } }
  report:       { inputs: { user: fetch_user.user, orders: fetch_orders.orders, prefs: fetch_prefs.prefs } }
  reserve:
  charge:       { inputs: { r: reserve.ok } }
  confirm:      { inputs: { c: charge.ok } }
atomic_groups:
  payment: { vertices: [reserve, charge, confirm], on_failure: rollback, no_parallel: true }
`;

  it('reads the issue example into a FlowSpec (an empty vertex becomes {})', () => {
    const spec = parseFlow(text);
    expect(spec.flow['fetch_user']).toEqual({ handler: 'fetchUser', effect: 'pure', inputs: { id: 'input.userId' } });
    expect(spec.flow['reserve']).toEqual({});
    expect(spec.atomic_groups).toEqual({ payment: { vertices: ['reserve', 'charge', 'confirm'], on_failure: 'rollback', no_parallel: true } });
    expect(executionStages(spec)).toEqual([
      ['fetch_user', 'reserve'],
      ['charge', 'fetch_orders', 'fetch_prefs'],
      ['confirm', 'report'],
    ]);
  });

  it('round trip: stringifyFlow then parseFlow gives an equal spec, twice over', () => {
    const spec = parseFlow(text);
    const again = parseFlow(stringifyFlow(spec));
    expect(again).toEqual(spec);
    expect(stringifyFlow(again)).toBe(stringifyFlow(spec));
  });

  it('stringifyFlow refuses a handler given as a function', () => {
    expect(() => stringifyFlow({ flow: { a: { handler: () => ({}) } } })).toThrow('Vertex `a` has a function as handler');
  });

  it('a binding to an unknown vertex carries the line of the binding and the vertex name', () => {
    const error = thrown(() => parseFlow('flow:\n  a: {}\n  report:\n    inputs:\n      user: fetch_user.user\n'));
    expect(error).toBeInstanceOf(FlowDefinitionError);
    expect(error.line).toBe(5);
    expect(error.vertex).toBe('report');
    expect(error.message).toMatch(/^Vertex `report` binds `user: fetch_user.user`.*\(line 5\)$/);
  });

  it('a cycle carries the line of its first vertex', () => {
    const error = thrown(() => parseFlow('flow:\n  start: {}\n  b: { inputs: { x: a.x } }\n  a: { inputs: { y: b.y } }\n'));
    expect(error).toBeInstanceOf(FlowCycleError);
    expect(error.cycle).toEqual(['a', 'b', 'a']);
    expect(error.line).toBe(4);
    expect(error.message).toContain('(line 4)');
  });

  it('a vertex in two groups carries the line of the second group', () => {
    const error = thrown(() => parseFlow('flow:\n  a:\n  b:\natomic_groups:\n  one: { vertices: [a] }\n  two:\n    vertices: [a, b]\n'));
    expect(error.vertex).toBe('a');
    expect(error.line).toBe(7);
  });

  it('a bad field value carries its line', () => {
    const error = thrown(() => parseFlow('flow:\n  a:\n    handler: x\n    effect: impure\n'));
    expect(error.line).toBe(4);
    expect(error.vertex).toBe('a');
  });

  it('a YAML syntax error carries its line and the vertex it is in', () => {
    const error = thrown(() => parseFlow('flow:\n  ok: {}\n  broken: { inputs: [1 }\n  c: {}\n'));
    expect(error).toBeInstanceOf(FlowDefinitionError);
    expect(error.line).toBe(3);
    expect(error.vertex).toBe('broken');
    expect(error.message).toMatch(/^Invalid flow YAML in vertex `broken`: .*\(line 3\)$/);
  });

  it('a duplicate vertex is an error with its line', () => {
    const error = thrown(() => parseFlow('flow:\n  a: {}\n  b: {}\n  a: {}\n'));
    expect(error.line).toBe(4);
    expect(error.message).toMatch(/Invalid flow YAML/);
  });

  it('an alias with no anchor is a FlowDefinitionError with its line and vertex, not YAML\'s bare ReferenceError', () => {
    const error = thrown(() => parseFlow('flow:\n  a: {}\n  b:\n    inputs: { x: *missing }\n'));
    expect(error).toBeInstanceOf(FlowDefinitionError);
    expect(error.line).toBe(4);
    expect(error.vertex).toBe('b');
    expect(error.message).toMatch(/^Invalid flow YAML in vertex `b`: Unresolved alias.*missing \(line 4\)$/);
    // An alias whose anchor is set is fine.
    expect(parseFlow('flow:\n  a: &x {}\n  b: *x\n').flow).toEqual({ a: {}, b: {} });
  });

  it('rejects what is not text', () => {
    expect(() => parseFlow(3 as unknown as string)).toThrow('Expected `text` to be a YAML string, got `3` (number)');
    expect(() => parseFlow(null as unknown as string)).toThrow('Expected `text` to be a YAML string, got `null` (null)');
  });
});
