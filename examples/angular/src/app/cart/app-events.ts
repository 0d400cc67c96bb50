import { Injectable, OnDestroy } from '@angular/core';
import { EventBus } from 'rxjs-concurrency';

/** One bus for the app, closed with the root injector (subscribers complete). */
@Injectable({ providedIn: 'root' })
export class AppEvents extends EventBus implements OnDestroy {
  // Angular cannot inject EventBus's optional `options` parameter: say there is none. (To reach
  // other tabs, pass `{ transport: broadcastChannelTransport('shop'), codec }` to super.)
  constructor() {
    super();
  }

  ngOnDestroy(): void {
    this.close();
  }
}

/** Sent when the cart changes; events are routed by their class. */
export class CartChanged {
  constructor(readonly items: number) {}
}
