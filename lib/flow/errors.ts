/**
 * Errors of `rxjs-concurrency/flow`. Definition errors are thrown at call time (by `parseFlow`,
 * `executionStages` and `runFlow`, before an Observable exists); a failing vertex errors the
 * running flow with a {@link FlowVertexError}.
 */

/** Where in a flow definition a problem is: the vertex, the binding and the path in the spec. */
export interface FlowErrorDetails {
  /** The vertex the problem belongs to, when there is one. */
  readonly vertex?: string | undefined;
  /** The binding or field at fault, e.g. `user: fetch_user.user` or `handler`. */
  readonly binding?: string | undefined;
  /** The path in the spec object, e.g. `['flow', 'report', 'inputs', 'user']` (used to find YAML lines). */
  readonly path?: readonly string[] | undefined;
  /** The 1-based line in the YAML text, when the flow came from `parseFlow`. */
  readonly line?: number | undefined;
}

/**
 * A flow definition (or a `runFlow` option that refers to it) is wrong: a binding to an unknown
 * vertex or to an undeclared output, a missing handler, a vertex in two atomic groups, a YAML
 * syntax error. The message names the vertex, the binding, the value and what was expected;
 * `vertex`, `binding` and (for YAML) `line` carry the same facts as fields.
 *
 * @example
 * ```ts
 * try { executionStages({ flow: { b: { inputs: { x: 'nope.x' } } } }); }
 * catch (e) { if (e instanceof FlowDefinitionError) console.log(e.vertex, e.binding); } // b  x: nope.x
 * ```
 */
export class FlowDefinitionError extends Error {
  override readonly name: string = 'FlowDefinitionError';
  readonly vertex: string | undefined;
  readonly binding: string | undefined;
  readonly path: readonly string[];
  readonly line: number | undefined;

  constructor(message: string, details: FlowErrorDetails = {}) {
    super(details.line === undefined ? message : `${message} (line ${details.line})`);
    this.vertex = details.vertex;
    this.binding = details.binding;
    this.path = details.path ?? [];
    this.line = details.line;
  }
}

/**
 * The flow's data dependencies form a cycle, so no order can satisfy them. `cycle` lists it in
 * data-flow order, starting and ending with the same vertex (the alphabetically first one of the
 * cycle): `['a', 'b', 'a']`, shown as `a → b → a` in the message.
 *
 * @example
 * ```ts
 * executionStages({ flow: { a: { inputs: { x: 'b.x' } }, b: { inputs: { y: 'a.y' } } } });
 * // throws FlowCycleError: Flow has a cycle: a → b → a
 * ```
 */
export class FlowCycleError extends FlowDefinitionError {
  override readonly name = 'FlowCycleError';
  readonly cycle: readonly string[];

  constructor(cycle: readonly string[], line?: number) {
    super(`Flow has a cycle: ${cycle.join(' → ')}; a vertex cannot read its own outputs, directly or through others`, {
      vertex: cycle[0],
      path: cycle[0] === undefined ? [] : ['flow', cycle[0]],
      line,
    });
    this.cycle = cycle;
  }
}

/**
 * A vertex failed while the flow ran: its handler threw or errored (`cause` is that error), it
 * produced something other than a record of outputs, or it lacked an output another vertex reads
 * (the message names both vertices and the key). `recoveryErrors` holds errors raised afterwards
 * by atomic-group recovery (transaction `rollback` hooks, compensations), if any.
 *
 * @example
 * ```ts
 * runFlowResult(spec, { handlers }).subscribe({
 *   error: (e) => { if (e instanceof FlowVertexError) console.log(e.vertex, e.cause); }, // charge Error: declined
 * });
 * ```
 */
export class FlowVertexError extends Error {
  override readonly name = 'FlowVertexError';
  readonly vertex: string;
  override readonly cause: unknown;
  readonly recoveryErrors: readonly unknown[];

  constructor(vertex: string, message: string, cause?: unknown, recoveryErrors: readonly unknown[] = []) {
    super(
      recoveryErrors.length === 0
        ? message
        : `${message}; recovery also failed: ${recoveryErrors.map((e) => (e instanceof Error ? e.message : String(e))).join('; ')}`,
    );
    this.vertex = vertex;
    this.cause = cause;
    this.recoveryErrors = recoveryErrors;
  }
}

/** The message of an unknown thrown value, for error texts. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
