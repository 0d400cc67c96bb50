import { Routes } from '@angular/router';

export const routes: Routes = [
  { path: '', pathMatch: 'full', loadComponent: () => import('./cart/shop-page').then((m) => m.ShopPage) },
  { path: 'items', loadComponent: () => import('./items/items-page').then((m) => m.ItemsPage) },
  { path: '**', redirectTo: '' },
];
