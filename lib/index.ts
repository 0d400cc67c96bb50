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
export { scope, shutdownBackground } from './scope/scope.js';
export type { Scope, ScopeBody, ScopeOptions } from './scope/scope.js';
export { EventBus } from './scope/bus.js';
export type { ClassOf, RequestOptions } from './scope/bus.js';
export { BusClosedError, StateMissingError, ScopeEndedError } from './scope/errors.js';
// endregion:scopes
