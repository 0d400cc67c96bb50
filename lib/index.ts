/**
 * rxjs-concurrency: structured concurrency for RxJS.
 *
 * Every public name is exported from here, by hand, grouped by area.
 */

// ── Shared types and errors ─────────────────────────────────────────────────────────────────
export type { TaskContext, Task, Settled, TaskResult } from './types.js';
export { EmptyTaskError, DeadlineError } from './errors.js';

// ── Bounded fan-out (issue 2) ───────────────────────────────────────────────────────────────
// region:fan-out
// endregion:fan-out

// ── Combinators (issue 3) ───────────────────────────────────────────────────────────────────
// region:combinators
// endregion:combinators

// ── Resilience (issue 4) ────────────────────────────────────────────────────────────────────
// region:resilience
// endregion:resilience

// ── Scopes and the event bus (issue 6) ──────────────────────────────────────────────────────
// region:scopes
// endregion:scopes
