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
