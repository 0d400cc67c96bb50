import { Component, inject, signal } from '@angular/core';
import { AppEvents, CartChanged } from './app-events';

/** Adds to the cart and tells the app through the bus; it knows nothing of who listens. */
@Component({
  selector: 'add-to-cart',
  template: '<button type="button" id="add-to-cart" (click)="add()">Add to cart ({{ items() }})</button>',
})
export class AddToCart {
  private readonly events = inject(AppEvents);
  protected readonly items = signal(0);

  add(): void {
    this.items.update((n) => n + 1);
    this.events.send(new CartChanged(this.items()));
  }
}
