import { TestBed } from '@angular/core/testing';
import { AddToCart } from './add-to-cart';
import { AppEvents, CartChanged } from './app-events';
import { CartBadge } from './cart-badge';

describe('the cart: two components talking through the AppEvents bus', () => {
  it('the badge shows what the button sends', async () => {
    const badge = TestBed.createComponent(CartBadge);
    const button = TestBed.createComponent(AddToCart);
    await badge.whenStable();
    const count = () => (badge.nativeElement as HTMLElement).textContent?.trim();
    expect(count()).toBe('0');

    const click = () => (button.nativeElement as HTMLElement).querySelector('button')!.click();
    click();
    click();
    await badge.whenStable();
    expect(count()).toBe('2');
  });

  it('the badge unsubscribes when it is destroyed, and the bus closes with the injector', () => {
    const events = TestBed.inject(AppEvents);
    const badge = TestBed.createComponent(CartBadge);
    badge.detectChanges();
    expect(events.listenerCount(CartChanged)).toBe(1);
    badge.destroy();
    expect(events.listenerCount(CartChanged)).toBe(0);

    TestBed.resetTestingModule(); // destroys the root injector: AppEvents.ngOnDestroy
    expect(() => events.send(new CartChanged(1))).toThrow(/closed/);
  });
});
