import { LineCounter, isMap, isPair, isScalar, parseDocument, stringify, visit, type Alias, type Document } from 'yaml';
import { describe } from '../internal/validate.js';
import { FlowCycleError, FlowDefinitionError } from './errors.js';
import { compileFlow } from './graph.js';
import type { FlowSpec } from './types.js';

/** The 1-based line of the entry at `path` (its key), or of the deepest entry found on the way. */
function lineOf(doc: Document, lines: LineCounter, path: readonly string[]): number | undefined {
  let node: unknown = doc.contents;
  let line: number | undefined;
  for (const segment of path) {
    if (!isMap(node)) break;
    const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === segment);
    const start = pair && isScalar(pair.key) ? pair.key.range?.[0] : undefined;
    if (start === undefined) break;
    line = lines.linePos(start).line;
    node = pair!.value;
  }
  return line;
}

/** The vertex whose entry under `flow:` spans `offset`, for syntax errors. */
function vertexAt(doc: Document, offset: number): string | undefined {
  const flow = isMap(doc.contents) ? doc.contents.get('flow', true) : undefined;
  if (!isMap(flow)) return undefined;
  for (const item of flow.items) {
    const start = isScalar(item.key) ? item.key.range?.[0] : undefined;
    const value = item.value as { range?: [number, number, number] } | null;
    const end = value?.range?.[2] ?? start;
    if (start !== undefined && end !== undefined && offset >= start && offset <= end) return String((item.key as { value: unknown }).value);
  }
  return undefined;
}

/** The first alias (`*name`) whose anchor is not set before it, if any. */
function unresolvedAlias(doc: Document): Alias | undefined {
  let found: Alias | undefined;
  visit(doc, {
    Alias(_key, node) {
      if (node.resolve(doc) !== undefined) return undefined;
      found = node;
      return visit.BREAK;
    },
  });
  return found;
}

/**
 * Parses a flow written in YAML into a {@link FlowSpec} and validates it (everything but the
 * handlers, which only `runFlow` knows). Errors are {@link FlowDefinitionError} (or
 * {@link FlowCycleError}) with `line` set and the message ending in `(line N)`, naming the vertex.
 * A vertex written with no value (`report:`) becomes `{}`.
 *
 * @example
 * ```ts
 * const spec = parseFlow(`
 * flow:
 *   fetch_user:   { handler: fetchUser, effect: pure, inputs: { id: input.userId } }
 *   fetch_orders: { inputs: { user: fetch_user.user } }
 * `);
 * executionStages(spec); // [['fetch_user'], ['fetch_orders']]
 * ```
 */
export function parseFlow(text: string): FlowSpec {
  if (typeof text !== 'string') throw new TypeError(`Expected \`text\` to be a YAML string, got ${describe(text)}`);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const syntax = doc.errors[0];
  if (syntax) {
    const line = syntax.linePos?.[0].line ?? lines.linePos(syntax.pos[0]).line;
    const vertex = vertexAt(doc, syntax.pos[0]);
    throw new FlowDefinitionError(`Invalid flow YAML${vertex === undefined ? '' : ` in vertex \`${vertex}\``}: ${syntax.message.split('\n')[0]}`, {
      vertex,
      line,
    });
  }
  let spec: FlowSpec;
  try {
    spec = doc.toJS() as FlowSpec;
  } catch (error) {
    // YAML resolves aliases here, and throws a bare ReferenceError for one with no anchor.
    if (!(error instanceof ReferenceError)) throw error;
    const offset = unresolvedAlias(doc)?.range?.[0];
    const vertex = offset === undefined ? undefined : vertexAt(doc, offset);
    throw new FlowDefinitionError(`Invalid flow YAML${vertex === undefined ? '' : ` in vertex \`${vertex}\``}: ${error.message}`, {
      vertex,
      line: offset === undefined ? undefined : lines.linePos(offset).line,
    });
  }
  if (spec !== null && typeof spec === 'object' && spec.flow !== null && typeof spec.flow === 'object') {
    for (const name of Object.keys(spec.flow)) spec.flow[name] ??= {};
  }
  try {
    compileFlow(spec);
  } catch (error) {
    if (error instanceof FlowCycleError) throw new FlowCycleError(error.cycle, lineOf(doc, lines, error.path));
    if (error instanceof FlowDefinitionError) {
      throw new FlowDefinitionError(error.message, { vertex: error.vertex, binding: error.binding, path: error.path, line: lineOf(doc, lines, error.path) });
    }
    throw error;
  }
  return spec;
}

/**
 * Writes a {@link FlowSpec} as YAML that {@link parseFlow} reads back to an equal spec. Handlers
 * must be given by name (a function cannot be written): a function throws a `TypeError`.
 *
 * @example
 * ```ts
 * parseFlow(stringifyFlow(spec)); // deep-equal to spec
 * ```
 */
export function stringifyFlow(flow: FlowSpec): string {
  compileFlow(flow);
  for (const [name, vertex] of Object.entries(flow.flow)) {
    if (typeof vertex?.handler === 'function') {
      throw new TypeError(`Vertex \`${name}\` has a function as handler; YAML can only name handlers (give \`handler\` a string)`);
    }
  }
  return stringify(flow);
}
