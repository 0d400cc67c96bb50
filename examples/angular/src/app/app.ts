import { Component } from '@angular/core';
import { RouterLink, RouterOutlet } from '@angular/router';
import { CartBadge } from './cart/cart-badge';

@Component({
  selector: 'app-root',
  imports: [RouterOutlet, RouterLink, CartBadge],
  template: `
    <nav>
      <a routerLink="/" id="nav-shop">Shop</a>
      <a routerLink="/items" id="nav-items">Load 200 items</a>
      <span>Cart: <cart-badge /></span>
    </nav>
    <main><router-outlet /></main>
  `,
  styles: `nav { display: flex; gap: 1rem; padding: 0.5rem 0; }`,
})
export class App {}
