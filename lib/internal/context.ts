import type { TaskContext } from '../types.js';

/**
 * A {@link TaskContext} whose `AbortController` is created on the first read of `signal`.
 * Creating a controller costs microseconds, far more than a fast pool spends on an item, so work
 * that never reads the signal must not pay for one.
 */
export class LazyContext implements TaskContext {
  /** The controller, once somebody asked for the signal. */
  private controller: AbortController | undefined = undefined;
  /** Set by `abort()` before the signal was read: a late reader gets an aborted signal. */
  private abortedEarly = false;
  /** The reason given to that early `abort()`, if any (else the signal gets {@link cancelReason}). */
  private earlyReason: unknown = undefined;

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.abortedEarly) this.controller.abort(this.earlyReason ?? cancelReason());
    }
    return this.controller.signal;
  }

  /**
   * Aborts the signal (cancellation), with `reason` or else an `AbortError`. Cheap when the
   * signal was never read.
   */
  abort(reason?: unknown): void {
    if (this.controller === undefined) {
      this.abortedEarly = true;
      this.earlyReason ??= reason;
    } else if (!this.controller.signal.aborted) this.controller.abort(reason ?? cancelReason());
  }
}

/** The reason given to aborted signals: a DOMException named `AbortError`, as `fetch` expects. */
export function cancelReason(): unknown {
  return typeof DOMException === 'function'
    ? new DOMException('The task was cancelled', 'AbortError')
    : Object.assign(new Error('The task was cancelled'), { name: 'AbortError' });
}
