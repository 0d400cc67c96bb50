import type { TaskContext } from '../types.js';

/** The state behind a lazily created signal: {@link LazyContext}'s, and every `TaskRun`'s. */
export interface LazySignalState {
  /** The controller, once somebody asked for the signal. */
  controller: AbortController | undefined;
  /** Set by `abort()` before the signal was read: a late reader gets an aborted signal. */
  abortedEarly: boolean;
  /** The reason given to that early `abort()`, if any (else the signal gets {@link cancelReason}). */
  earlyReason: unknown;
}

/** The signal of `state`, creating its controller on the first read (aborted if it was cancelled already). */
export function lazySignal(state: LazySignalState): AbortSignal {
  if (state.controller === undefined) {
    state.controller = new AbortController();
    if (state.abortedEarly) state.controller.abort(state.earlyReason ?? cancelReason());
  }
  return state.controller.signal;
}

/**
 * Aborts the signal of `state` (cancellation), with `reason` or else an `AbortError`. Cheap when
 * the signal was never read.
 */
export function lazyAbort(state: LazySignalState, reason?: unknown): void {
  if (state.controller === undefined) {
    state.abortedEarly = true;
    state.earlyReason ??= reason;
  } else if (!state.controller.signal.aborted) state.controller.abort(reason ?? cancelReason());
}

/**
 * A {@link TaskContext} whose `AbortController` is created on the first read of `signal`.
 * Creating a controller costs microseconds, far more than a fast pool spends on an item, so work
 * that never reads the signal must not pay for one. (`TaskRun` keeps the same state itself, with
 * the same two functions, rather than extending this class: one constructor less per task.)
 */
export class LazyContext implements TaskContext, LazySignalState {
  controller: AbortController | undefined = undefined;
  abortedEarly = false;
  earlyReason: unknown = undefined;

  get signal(): AbortSignal {
    return lazySignal(this);
  }

  /**
   * Aborts the signal (cancellation), with `reason` or else an `AbortError`. Cheap when the
   * signal was never read.
   */
  abort(reason?: unknown): void {
    lazyAbort(this, reason);
  }
}

/** The reason given to aborted signals: a DOMException named `AbortError`, as `fetch` expects. */
export function cancelReason(): unknown {
  return typeof DOMException === 'function'
    ? new DOMException('The task was cancelled', 'AbortError')
    : Object.assign(new Error('The task was cancelled'), { name: 'AbortError' });
}
