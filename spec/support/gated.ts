import { Observable, Subject } from 'rxjs';

/**
 * A task that, when `gate` fires, emits `value` and completes (or fails with it, for an Error),
 * and logs `"<name> finalized"` when its teardown runs: for checking that a task is finalized
 * before the consumer hears the outcome it decided.
 */
export function gated(name: string, value: unknown, gate: Subject<void>, log: string[]): Observable<unknown> {
  return new Observable<unknown>((subscriber) => {
    const sub = gate.subscribe(() => {
      if (value instanceof Error) subscriber.error(value);
      else {
        subscriber.next(value);
        subscriber.complete();
      }
    });
    return () => {
      sub.unsubscribe();
      log.push(`${name} finalized`);
    };
  });
}

/** Subscribes to `make(gate)`, logging `"<label> value|error|complete"`, then fires the gate. */
export function runGated(log: string[], label: string, make: (gate: Subject<void>) => Observable<unknown>): void {
  const gate = new Subject<void>();
  make(gate).subscribe({
    next: () => log.push(`${label} value`),
    error: () => log.push(`${label} error`),
    complete: () => log.push(`${label} complete`),
  });
  gate.next();
}
