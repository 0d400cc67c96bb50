import { describe } from '../internal/validate.js';
import { FlowCycleError, FlowDefinitionError } from './errors.js';
import type { FlowFailurePolicy, FlowHandler, FlowSpec } from './types.js';

/** One input of a vertex: `name` reads `key` of the initial data (`source` -1) or of vertex `source`. */
interface Binding {
  readonly name: string;
  readonly source: number;
  readonly key: string;
}

/** A vertex, validated and indexed. */
export interface CompiledVertex {
  readonly name: string;
  readonly index: number;
  /** The handler's name in `handlers`, or the function given in the spec. */
  readonly handler: string | FlowHandler;
  readonly pure: boolean;
  readonly bindings: readonly Binding[];
  /** Distinct producers this vertex reads from. */
  readonly deps: number[];
  /** Distinct vertices reading from this one. */
  readonly consumers: number[];
  /** Keys of this vertex that others read, with the first reader: checked when it completes. */
  readonly reads: { key: string; reader: number; input: string }[];
  group: number;
  stage: number;
  /** Position in the deterministic order (stage by stage, names sorted within a stage). */
  rank: number;
}

/** An atomic group, validated. */
export interface CompiledGroup {
  readonly name: string;
  readonly vertices: number[];
  readonly onFailure: FlowFailurePolicy;
  readonly noParallel: boolean;
  readonly noCache: boolean;
}

/** A validated flow: vertices, groups, stages (vertex indices) and the deterministic order. */
export interface CompiledFlow {
  readonly vertices: CompiledVertex[];
  readonly groups: CompiledGroup[];
  readonly stages: number[][];
  /** Vertex index by rank. */
  readonly order: number[];
}

const VERTEX_FIELDS = ['handler', 'effect', 'inputs', 'outputs'];
const GROUP_FIELDS = ['vertices', 'on_failure', 'no_parallel', 'no_cache'];
const POLICIES: readonly FlowFailurePolicy[] = ['rollback', 'compensate', 'abort'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(message: string, vertex: string | undefined, binding: string | undefined, path: string[]): never {
  throw new FlowDefinitionError(message, { vertex, binding, path });
}

function checkFields(what: string, name: string, spec: Record<string, unknown>, allowed: string[], path: string[]): void {
  for (const field of Object.keys(spec)) {
    if (!allowed.includes(field)) {
      fail(
        `${what} \`${name}\` has an unknown field \`${field}\`; expected one of ${allowed.join(', ')}`,
        what === 'Vertex' ? name : undefined,
        field,
        [...path, field],
      );
    }
  }
}

/** Names for a message: all of them, or the first 20 and a count. */
function listed(names: readonly string[]): string {
  return names.length <= 20 ? names.join(', ') : `${names.slice(0, 20).join(', ')} and ${names.length - 20} more`;
}

/** Compares strings by code point, so orders are the same everywhere. */
function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Validates a flow and indexes it. Throws {@link FlowDefinitionError} (naming the vertex, the
 * binding, the value and what was expected) or {@link FlowCycleError}.
 */
export function compileFlow(spec: FlowSpec): CompiledFlow {
  if (!isRecord(spec) || !isRecord(spec.flow)) {
    fail(`Expected a flow definition \`{ flow: { VERTEX: {...} }, atomic_groups?: {...} }\`, got ${describe(spec)}`, undefined, undefined, []);
  }
  checkFields('Flow', 'definition', spec as unknown as Record<string, unknown>, ['flow', 'atomic_groups'], []);
  const names = Object.keys(spec.flow);
  const index = new Map<string, number>();
  names.forEach((name, i) => index.set(name, i));

  const vertices: CompiledVertex[] = names.map((name, i) => {
    const path = ['flow', name]; // small, and the same array serves every error of this vertex
    if (name === '' || name === 'input' || name.includes('.')) {
      fail(`Vertex name ${describe(name)} is not allowed: expected a non-empty name without "." other than "input"`, name, undefined, path);
    }
    const raw = spec.flow[name] ?? {};
    if (!isRecord(raw)) fail(`Vertex \`${name}\` must be a mapping of handler, effect, inputs, outputs, got ${describe(raw)}`, name, undefined, path);
    checkFields('Vertex', name, raw, VERTEX_FIELDS, path);
    const { handler = name, effect = 'side_effect', inputs = {}, outputs } = raw as Record<string, unknown>;
    if (typeof handler !== 'function' && (typeof handler !== 'string' || handler === '')) {
      fail(`Vertex \`${name}\`: expected \`handler\` to be a handler name or a function, got ${describe(handler)}`, name, 'handler', [...path, 'handler']);
    }
    if (effect !== 'pure' && effect !== 'side_effect') {
      fail(`Vertex \`${name}\`: expected \`effect\` to be "pure" or "side_effect", got ${describe(effect)}`, name, 'effect', [...path, 'effect']);
    }
    if (!isRecord(inputs)) {
      fail(`Vertex \`${name}\`: expected \`inputs\` to be a mapping of input name to "input.KEY" or "VERTEX.KEY", got ${describe(inputs)}`, name, 'inputs', [...path, 'inputs']);
    }
    if (outputs !== undefined && (!Array.isArray(outputs) || outputs.some((o) => typeof o !== 'string'))) {
      fail(`Vertex \`${name}\`: expected \`outputs\` to be a list of output names, got ${describe(outputs)}`, name, 'outputs', [...path, 'outputs']);
    }
    return {
      name,
      index: i,
      handler: handler as string | FlowHandler,
      pure: effect === 'pure',
      bindings: [],
      deps: [],
      consumers: [],
      reads: [],
      group: -1,
      stage: 0,
      rank: 0,
    };
  });

  // Bindings, once every vertex is known. `depOf[p] === v + 1` marks p as already a dependency of v.
  const depOf = new Int32Array(vertices.length);
  for (const v of vertices) {
    const inputs = (spec.flow[v.name]?.inputs ?? {}) as Record<string, unknown>;
    const bindings = v.bindings as Binding[];
    for (const input in inputs) {
      const ref = inputs[input];
      // What an error reports; built only when there is one.
      const at = (): [string, string[]] => [`${input}: ${typeof ref === 'string' ? ref : describe(ref)}`, ['flow', v.name, 'inputs', input]];
      const dot = typeof ref === 'string' ? ref.indexOf('.') : -1;
      if (typeof ref !== 'string' || dot <= 0 || dot === ref.length - 1) {
        fail(`Vertex \`${v.name}\`: expected input \`${input}\` to be bound to "input.KEY" or "VERTEX.KEY", got ${describe(ref)}`, v.name, ...at());
      }
      const from = ref.slice(0, dot);
      const key = ref.slice(dot + 1);
      if (from === 'input') {
        bindings.push({ name: input, source: -1, key });
        continue;
      }
      const source = index.get(from);
      if (source === undefined) {
        fail(`Vertex \`${v.name}\` binds \`${at()[0]}\`, but there is no vertex \`${from}\` (expected "input.KEY" or one of: ${listed(names)})`, v.name, ...at());
      }
      const producer = vertices[source]!;
      const declared = spec.flow[from]?.outputs;
      if (declared !== undefined && !declared.includes(key)) {
        fail(`Vertex \`${v.name}\` binds \`${at()[0]}\`, but vertex \`${from}\` declares no output \`${key}\` (its outputs: ${declared.join(', ') || 'none'})`, v.name, ...at());
      }
      bindings.push({ name: input, source, key });
      if (depOf[source] !== v.index + 1) {
        depOf[source] = v.index + 1;
        v.deps.push(source);
        producer.consumers.push(v.index);
      }
      if (!producer.reads.some((r) => r.key === key)) producer.reads.push({ key, reader: v.index, input });
    }
  }

  const groups = compileGroups(spec, index, vertices);
  const { stages, order } = stagesOf(vertices);
  return { vertices, groups, stages, order };
}

function compileGroups(spec: FlowSpec, index: Map<string, number>, vertices: CompiledVertex[]): CompiledGroup[] {
  const raw = spec.atomic_groups ?? {};
  if (!isRecord(raw)) fail(`Expected \`atomic_groups\` to be a mapping of group name to group, got ${describe(raw)}`, undefined, undefined, ['atomic_groups']);
  return Object.entries(raw).map(([name, group], g) => {
    const path = ['atomic_groups', name];
    if (!isRecord(group)) fail(`Atomic group \`${name}\` must be a mapping with \`vertices\`, got ${describe(group)}`, undefined, name, path);
    checkFields('Atomic group', name, group, GROUP_FIELDS, path);
    const { vertices: members, on_failure = 'rollback', no_parallel = true, no_cache = true } = group;
    if (!Array.isArray(members)) {
      fail(`Atomic group \`${name}\`: expected \`vertices\` to be a list of vertex names, got ${describe(members)}`, undefined, name, [...path, 'vertices']);
    }
    if (!POLICIES.includes(on_failure as FlowFailurePolicy)) {
      fail(`Atomic group \`${name}\`: expected \`on_failure\` to be one of ${POLICIES.join(', ')}, got ${describe(on_failure)}`, undefined, name, [...path, 'on_failure']);
    }
    for (const [field, value] of [['no_parallel', no_parallel], ['no_cache', no_cache]] as const) {
      if (typeof value !== 'boolean') fail(`Atomic group \`${name}\`: expected \`${field}\` to be a boolean, got ${describe(value)}`, undefined, name, [...path, field]);
    }
    const indices = members.map((member: unknown) => {
      const i = typeof member === 'string' ? index.get(member) : undefined;
      if (i === undefined) {
        fail(`Atomic group \`${name}\` lists ${describe(member)}, which is not a vertex of the flow`, typeof member === 'string' ? member : undefined, name, [...path, 'vertices']);
      }
      const v = vertices[i]!;
      if (v.group === g) {
        fail(`Atomic group \`${name}\` lists vertex \`${v.name}\` twice; list each vertex once`, v.name, name, [...path, 'vertices']);
      }
      if (v.group >= 0) {
        const other = Object.keys(raw)[v.group];
        fail(`Vertex \`${v.name}\` is in two atomic groups, \`${other}\` and \`${name}\`; a vertex belongs to at most one`, v.name, name, [...path, 'vertices']);
      }
      v.group = g;
      return i;
    });
    return { name, vertices: indices, onFailure: on_failure as FlowFailurePolicy, noParallel: no_parallel as boolean, noCache: no_cache as boolean };
  });
}

/** Kahn levels: stage = 1 + the latest stage among a vertex's inputs. Throws on a cycle. */
function stagesOf(vertices: CompiledVertex[]): { stages: number[][]; order: number[] } {
  const pending = vertices.map((v) => v.deps.length);
  let level = vertices.filter((v) => v.deps.length === 0).map((v) => v.index);
  const stages: number[][] = [];
  let placed = 0;
  while (level.length > 0) {
    level.sort((a, b) => byName(vertices[a]!.name, vertices[b]!.name));
    stages.push(level);
    placed += level.length;
    const next: number[] = [];
    for (const i of level) {
      for (const c of vertices[i]!.consumers) {
        if (--pending[c]! === 0) {
          vertices[c]!.stage = stages.length;
          next.push(c);
        }
      }
    }
    level = next;
  }
  if (placed < vertices.length) throw new FlowCycleError(findCycle(vertices, pending));
  const order = stages.flat();
  order.forEach((v, rank) => (vertices[v]!.rank = rank));
  return { stages, order };
}

/** Every vertex left with pending inputs reads from another such vertex: walk back until one repeats. */
function findCycle(vertices: CompiledVertex[], pending: number[]): string[] {
  const stuck = (i: number): boolean => pending[i]! > 0;
  const first = vertices.filter((v) => stuck(v.index)).sort((a, b) => byName(a.name, b.name))[0]!;
  const seen = new Map<number, number>();
  const walk: number[] = [];
  let at = first.index;
  while (!seen.has(at)) {
    seen.set(at, walk.length);
    walk.push(at);
    const v = vertices[at]!;
    at = v.deps.filter(stuck).sort((a, b) => byName(vertices[a]!.name, vertices[b]!.name))[0]!;
  }
  // The walk goes against the data flow (reader → producer): reverse it, start at the smallest name.
  const loop = walk.slice(seen.get(at)).reverse().map((i) => vertices[i]!.name);
  const start = loop.indexOf([...loop].sort(byName)[0]!);
  const cycle = [...loop.slice(start), ...loop.slice(0, start)];
  return [...cycle, cycle[0]!];
}
