import { Component } from '@angular/core';
import { AddToCart } from './add-to-cart';

@Component({
  selector: 'app-shop-page',
  imports: [AddToCart],
  template: `
    <h1>Shop</h1>
    <p>The button and the badge in the menu talk only through the <code>AppEvents</code> bus.</p>
    <add-to-cart />
  `,
})
export class ShopPage {}
