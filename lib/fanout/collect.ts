import { Observable, type ObservableInput } from 'rxjs';
import { openFeed } from '../internal/feed.js';
import { runPool, type FanoutLimit } from '../internal/pool.js';
import type { TaskContext } from '../types.js';

/**
 * Runs `handler` over `source` with at most `limit` at once and emits one array of the results
 * (or `Settled`s) in input order, then completes. Shared by `executeConcurrently`, `concurrently`
 * and `gather`; `key` names an item in an `EmptyTaskError` (default: its index); `limitName` names
 * a live limit in errors (pool.ts's `liveLimitName`).
 */
export function collectInOrder<T>(
  source: ObservableInput<T>,
  handler: (item: T, index: number, ctx: TaskContext) => ObservableInput<unknown>,
  limit: FanoutLimit,
  settle: boolean,
  key?: (index: number) => number | string,
  limitName?: string,
): Observable<unknown[]> {
  const config = { project: handler, limit, ordered: false, values: 'last', settle, projectName: 'handler', ...(key && { key }), ...(limitName !== undefined && { limitName }) } as const;
  return new Observable<unknown[]>((subscriber) => {
    // Results land at their item's index as items finish.
    const results: unknown[] = [];
    return runPool(subscriber, openFeed(source), config, {
      next: (value, index) => {
        results[index] = value;
      },
      error: (error) => subscriber.error(error),
      complete: () => {
        subscriber.next(results);
        subscriber.complete();
      },
    });
  });
}
