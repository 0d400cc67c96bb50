import { Injectable, OnDestroy } from '@angular/core';
import { EventBus } from 'rxjs-concurrency';

/** One bus for the app, closed with the root injector (subscribers complete). */
@Injectable({ providedIn: 'root' })
export class AppEvents extends EventBus implements OnDestroy {
  ngOnDestroy(): void {
    this.close();
  }
}

/** Sent when the cart changes; events are routed by their class. */
export class CartChanged {
  constructor(readonly items: number) {}
}
