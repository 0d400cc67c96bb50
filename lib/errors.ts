/**
 * Raised where one result per task is expected and a task completed without emitting a value.
 * `key` is the task's index (or its key, for object forms such as `gather({ a, b })`).
 */
export class EmptyTaskError extends Error {
  override readonly name = 'EmptyTaskError';
  constructor(readonly key: number | string) {
    super(`Expected task ${typeof key === 'number' ? key : JSON.stringify(key)} to emit a value, but it completed without one`);
  }
}

/**
 * Raised when a deadline passes before the work it guards has finished (`failAfter`, `failAt`,
 * `retryBackoff`'s and scopes' deadlines, `bus.request`'s timeout). The message names where it
 * came from and the budget (`failAfter(200): not finished within 200 ms`); `origin` is that
 * first part; `deadline` is the deadline that passed, in the scheduler's milliseconds.
 */
export class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
  constructor(
    readonly deadline: number,
    message = 'The deadline passed before the work finished',
    /** Where the deadline came from: `failAfter(200)`, `scope "import"`, `bus.request(Pong)`. */
    readonly origin = 'deadline',
  ) {
    super(message);
  }
}

/**
 * Raised at once, without subscribing to the source, by a subscription that a
 * `CircuitBreaker` turns away: the circuit is open (`state: 'open'`, and `retryAt` says when it
 * lets a trial through), or it is half-open and every trial slot is taken (`state: 'halfOpen'`,
 * `retryAt` is `null`: it closes or re-opens when a trial ends). `breaker` is the breaker's name.
 */
export class BrokenCircuitError extends Error {
  override readonly name = 'BrokenCircuitError';
  constructor(
    /** The breaker's `name` option, or `undefined` when it has none. */
    readonly breaker: string | undefined,
    /** Why it turned the subscription away. */
    readonly state: 'open' | 'halfOpen',
    /** When the open circuit lets a trial through, in the scheduler's ms; `null` when half-open. */
    readonly retryAt: number | null,
    /** How long from the rejection until `retryAt`, in ms; `null` when half-open. */
    readonly retryAfter: number | null,
  ) {
    const who = breaker === undefined ? 'Circuit breaker' : `Circuit breaker ${JSON.stringify(breaker)}`;
    super(
      state === 'open'
        ? `${who} is open: failing fast without calling the source; it lets a trial through in ${retryAfter} ms`
        : `${who} is half-open and every trial slot is taken: failing fast; it closes or re-opens when a trial ends`,
    );
  }
}
