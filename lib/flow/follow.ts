import { FollowRun } from '../internal/lifecycle.js';
import type { FlowContext } from './types.js';

/**
 * One piece of a vertex's work (its handler, a transaction hook, a compensation), run by the one
 * task lifecycle (a {@link FollowRun}) in `plain` mode: what the work returns is followed to its last
 * value when it is an object RxJS can subscribe to, and is the result itself otherwise. A work
 * that completes empty has no result: `next` gets `undefined` (for a handler: no outputs). The
 * step is the work's {@link FlowContext}: its signal (created on first read) aborts when the step
 * is cancelled.
 */
export class FlowStep extends FollowRun implements FlowContext {
  constructor(
    /** The vertex (or group) the work belongs to. */
    readonly vertex: string,
    work: (ctx: FlowContext) => unknown,
    next: (result: unknown) => void,
    fail: (error: unknown) => void,
  ) {
    // The step itself is the context `work` gets: a FollowRun with `vertex`.
    super(work as unknown as (ctx: FollowRun) => unknown, { complete: (run) => next(run.hasValue ? run.last : undefined), error: fail });
  }
}
