import { AsyncPipe } from '@angular/common';
import { Component, inject } from '@angular/core';
import { ItemLoader } from './item-loader';

/** Loads the items while it is shown; navigating away unsubscribes, which cancels the requests. */
@Component({
  selector: 'app-items-page',
  imports: [AsyncPipe],
  template: `
    <h1>Items</h1>
    @if (progress$ | async; as p) {
      <progress [value]="p.done" [max]="p.total"></progress>
      <p id="progress">{{ p.done }} / {{ p.total }}</p>
      @if (p.last) {
        <p>Last: {{ p.last.name }}</p>
      }
    }
  `,
})
export class ItemsPage {
  readonly progress$ = inject(ItemLoader).load();
}
