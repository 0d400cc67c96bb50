import { TaskRun } from '../internal/lifecycle.js';
import type { FlowContext } from './types.js';

/**
 * One piece of a vertex's work (its handler, a transaction hook, a compensation), run by the one
 * task lifecycle ({@link TaskRun}) in `plain` mode: what the work returns is followed to its last
 * value when it is an object RxJS can subscribe to, and is the result itself otherwise. A work
 * that completes empty has no result: `next` gets `undefined` (for a handler: no outputs). The
 * step is the work's {@link FlowContext}: its signal (created on first read) aborts when the step
 * is cancelled.
 */
export class FlowStep extends TaskRun implements FlowContext {
  constructor(
    /** The vertex (or group) the work belongs to. */
    readonly vertex: string,
    private readonly work: (ctx: FlowContext) => unknown,
    private readonly next: (result: unknown) => void,
    private readonly fail: (error: unknown) => void,
  ) {
    super();
  }

  protected call(): unknown {
    return this.work(this);
  }

  protected onComplete(): void {
    this.next(this.hasValue ? this.last : undefined);
  }

  protected onError(error: unknown): void {
    this.fail(error);
  }
}
