import { AsyncPipe } from '@angular/common';
import { Component, inject } from '@angular/core';
import { map, startWith } from 'rxjs';
import { AppEvents, CartChanged } from './app-events';

/** Shows the number of items in the cart; the async pipe unsubscribes when the badge goes. */
@Component({
  selector: 'cart-badge',
  imports: [AsyncPipe],
  template: '<span class="cart-count">{{ count$ | async }}</span>',
})
export class CartBadge {
  readonly count$ = inject(AppEvents).on(CartChanged).pipe(
    map((e) => e.items),
    startWith(0),
  );
}
