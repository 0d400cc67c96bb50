import { Observable, type Subscriber } from 'rxjs';
import type { ClassOf } from '../types.js';
import type { EventBus, RequestOptions } from './bus.js';
import { BusClosedError } from './errors.js';

/**
 * What a scope talks on: its own {@link EventBus}, which it closes when its body ends, or the
 * view of a bus it was given ({@link GivenBusView}), which it detaches instead.
 */
export interface ScopeBus {
  send(event: object): void;
  on<T extends object>(Type: ClassOf<T>): Observable<T>;
  request<Res extends object>(request: object, ResponseType: ClassOf<Res>, match: (response: Res) => boolean, options?: RequestOptions): Observable<Res>;
  /** The scope is done with the bus: it closes its own, or detaches from one it was given. */
  close(): void;
}

/**
 * A root scope's use of the bus it was given (`scope(name, body, { bus })`). The bus belongs to
 * whoever created it and stays open, for their other subscribers and for the scope's next
 * subscription (`retry`, `repeat`). What the scope started on it ends with the scope, exactly as
 * on a bus of its own: {@link close} completes the `on()` subscriptions made through the scope,
 * fails its pending requests with a {@link BusClosedError}, and `send` through the scope throws
 * one from then on.
 */
export class GivenBusView implements ScopeBus {
  /** Set by {@link close}: the scope has ended. */
  private detached = false;
  /** The subscribers of `on`/`request` made through the scope, each with how it ends on detach. */
  private readonly attached = new Map<Subscriber<never>, (subscriber: Subscriber<never>) => void>();

  constructor(
    private readonly bus: EventBus,
    /** The scope's path, for the errors. */
    private readonly path: string,
  ) {}

  send(event: object): void {
    if (this.detached) throw new BusClosedError(`scope "${this.path}" has ended: it sends nothing more on the bus it was given (the bus stays open for its owner)`);
    this.bus.send(event);
  }

  on<T extends object>(Type: ClassOf<T>): Observable<T> {
    return this.attach(this.bus.on(Type), (subscriber) => subscriber.complete());
  }

  request<Res extends object>(request: object, ResponseType: ClassOf<Res>, match: (response: Res) => boolean, options?: RequestOptions): Observable<Res> {
    const ended = (subscriber: Subscriber<Res>) =>
      subscriber.error(new BusClosedError(`scope "${this.path}" ended before a response to the request arrived (the bus it was given stays open)`));
    return this.attach(this.bus.request(request, ResponseType, match, options), ended);
  }

  close(): void {
    if (this.detached) return;
    this.detached = true;
    const attached = [...this.attached];
    this.attached.clear();
    for (const [subscriber, end] of attached) end(subscriber);
  }

  /** `source`, ended with `end` when the scope detaches (at once if it already has). */
  private attach<T>(source: Observable<T>, end: (subscriber: Subscriber<T>) => void): Observable<T> {
    return new Observable<T>((subscriber) => {
      if (this.detached) return end(subscriber);
      const key = subscriber as Subscriber<never>;
      this.attached.set(key, end as (subscriber: Subscriber<never>) => void);
      subscriber.add(() => this.attached.delete(key));
      // After the entry: a source that ends synchronously removes it again.
      subscriber.add(
        source.subscribe({
          next: (value) => subscriber.next(value),
          error: (error: unknown) => subscriber.error(error),
          complete: () => subscriber.complete(),
        }),
      );
    });
  }
}
