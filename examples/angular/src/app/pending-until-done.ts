import { Injector, PendingTasks, inject } from '@angular/core';
import { defer, finalize, type MonoTypeOperatorFunction } from 'rxjs';

/**
 * Keeps the application unstable (so server rendering waits) from subscription until the source
 * completes, errors or is unsubscribed. Without zone.js, Angular counts HTTP requests in flight
 * but not timers: between two attempts of `retryBackoff` nothing is pending, and the server
 * would render the page half loaded. (Angular's `pendingUntilEvent` stops at the first value.)
 * Call it in an injection context, or pass an injector.
 */
export function pendingUntilDone<T>(injector?: Injector): MonoTypeOperatorFunction<T> {
  const tasks = injector ? injector.get(PendingTasks) : inject(PendingTasks);
  return (source) =>
    defer(() => {
      const done = tasks.add();
      return source.pipe(finalize(done));
    });
}
