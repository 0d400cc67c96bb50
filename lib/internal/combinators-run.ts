import type { Subscriber } from 'rxjs';
import type { Task } from '../types.js';
import { pullFeed } from './feed.js';
import { Pool, type PoolSink, type PoolValues } from './pool.js';
import { runTask } from './task.js';

/**
 * The combinators (`gather`, `firstToFinish`, `firstSuccess`, `streamConcurrently`) are the pool
 * with no limit over their list of tasks: every task is started at once, in input order, each one
 * a {@link TaskRun} whose teardown runs before its outcome is reported; the pool's subscription
 * belongs to the output subscriber, so closing the output cancels every task still running and
 * aborts its `ctx.signal`.
 *
 * A combinator that decides its outcome from a task's report calls `closeAll()` *before*
 * telling the consumer: the consumer then never sees a loser still running, and a loser cannot
 * emit re-entrantly (say, a Subject the consumer pushes to from `next`) and produce a second
 * outcome. A task that decides the outcome synchronously (`of(x)`, an array) means later
 * factories are never called.
 */
export function runTasks<T>(
  output: Subscriber<unknown>,
  tasks: readonly Task<T>[],
  values: PoolValues,
  settle: boolean,
  sink: (closeAll: () => void) => PoolSink<Task<T>>,
): void {
  const config = { project: runTask, limit: Infinity, ordered: false, values, settle };
  const pool: Pool<Task<T>> = new Pool<Task<T>>(pullFeed({ kind: 'array', array: tasks }), config, sink(() => pool.close()));
  pool.run(output);
}
