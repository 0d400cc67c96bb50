import { Observable, type Subscriber } from 'rxjs';

/**
 * A limiter's `state$`: sends the current state on subscription, then each distinct state once
 * when the owner calls `notify()` (states are compared key by key).
 */
export class StateFeed<S extends object> {
  /** Subscribers, each with the last state it was sent. */
  private readonly listeners = new Map<Subscriber<S>, S>();
  readonly state$: Observable<S>;

  constructor(private readonly snapshot: () => S) {
    this.state$ = new Observable<S>((subscriber) => {
      const state = this.snapshot();
      this.listeners.set(subscriber, state);
      subscriber.next(state);
      return () => {
        this.listeners.delete(subscriber);
      };
    });
  }

  /** Whether anybody listens (so owners skip building a snapshot otherwise). */
  get size(): number {
    return this.listeners.size;
  }

  /** Sends the current state to each listener whose last state differs. */
  notify(): void {
    if (this.listeners.size === 0) return;
    const state = this.snapshot();
    for (const [listener, last] of [...this.listeners]) {
      if (same(last, state)) continue;
      if (!this.listeners.has(listener)) continue; // unsubscribed by an earlier listener
      this.listeners.set(listener, state);
      listener.next(state);
    }
  }
}

function same<S extends object>(a: S, b: S): boolean {
  for (const key of Object.keys(a) as (keyof S)[]) if (a[key] !== b[key]) return false;
  return true;
}
