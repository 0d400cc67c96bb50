import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting, type TestRequest } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { catchError, of } from 'rxjs';
import { createTestScheduler } from 'rxjs-concurrency/testing';
import { ITEM_LOADING, ItemLoader, type ItemLoading, type ItemsProgress } from './item-loader';
import { ItemsPage } from './items-page';

function setUp(settings?: Partial<ItemLoading>) {
  TestBed.configureTestingModule({
    providers: [
      provideHttpClient(),
      provideHttpClientTesting(),
      ...(settings
        ? [{ provide: ITEM_LOADING, useValue: { count: 200, limit: 4, attempts: 3, baseDelay: 100, jitter: 0, timeout: 5_000, ...settings } }]
        : []),
    ],
  });
  const http = TestBed.inject(HttpTestingController);
  /** The item requests made since the last call (HttpTestingController hands each out once). */
  const newRequests = () => http.match((r) => r.url.startsWith('/api/items/'));
  return { loader: TestBed.inject(ItemLoader), http, newRequests };
}

const item = (id: number) => ({ id, name: `item ${id}` });
const ids = (requests: TestRequest[]) => requests.map((r) => r.request.url.replace('/api/items/', ''));

describe('ItemLoader', () => {
  it('keeps at most 4 requests outstanding; the fifth starts when one finishes; unsubscribing cancels the rest', () => {
    const { loader, newRequests } = setUp();
    const seen: ItemsProgress[] = [];
    const subscription = loader.load().subscribe((p) => seen.push(p));

    const first = newRequests();
    expect(ids(first)).toEqual(['1', '2', '3', '4']);
    expect(newRequests()).toEqual([]); // nothing more while all 4 are out

    first[2]!.flush(item(3));
    const fifth = newRequests();
    expect(ids(fifth)).toEqual(['5']); // exactly one slot freed, exactly one new request
    expect(seen.at(-1)).toEqual({ done: 1, total: 200, last: item(3) });

    subscription.unsubscribe();
    const outstanding = [first[0]!, first[1]!, first[3]!, fifth[0]!];
    expect(outstanding.map((r) => r.cancelled)).toEqual([true, true, true, true]);
    expect(newRequests()).toEqual([]); // and no new one starts
  });

  it('in virtual time: retries a 503 after 100 ms, and fails an item that never answers after its 500 ms budget', () => {
    const { loader, newRequests } = setUp({ count: 3, limit: 2, attempts: 2, baseDelay: 100, timeout: 500 });
    /** Every item request so far, by id, oldest first. */
    const byId = new Map<number, TestRequest[]>();
    const collect = () => {
      for (const r of newRequests()) {
        const id = Number(r.request.url.split('/').pop());
        byId.set(id, [...(byId.get(id) ?? []), r]);
      }
    };
    const latest = (id: number) => (collect(), byId.get(id)!.at(-1)!);
    const made = (id: number) => (collect(), byId.get(id)?.length ?? 0);

    const scheduler = createTestScheduler();
    scheduler.run(({ expectObservable }) => {
      // Inside run(), asyncScheduler (retryBackoff's and failAfter's clock) is virtual.
      const at = (frame: number, work: () => void) => scheduler.schedule(work, frame);
      const progress$ = loader.load().pipe(catchError((error: Error) => of(error.name)));
      expectObservable(progress$).toBe('a 9ms b 109ms c 389ms (d|)', {
        a: { done: 0, total: 3 },
        b: { done: 1, total: 3, last: item(2) }, // item 2 at 10 ms; item 3 starts then
        c: { done: 2, total: 3, last: item(1) }, // item 1: 503 at 10 ms, retried at 110, answered at 120
        d: 'DeadlineError', // item 3, started at 10 ms, never answered: failAfter(500) trips at 510
      });
      at(0, () => expect([made(1), made(2), made(3)]).toEqual([1, 1, 0])); // limit 2
      at(10, () => {
        latest(1).flush('down', { status: 503, statusText: 'Service Unavailable' });
        latest(2).flush(item(2));
        expect(made(3)).toBe(1); // item 2's slot went to item 3
      });
      at(109, () => expect(made(1)).toBe(1)); // still waiting out the backoff
      at(111, () => expect(made(1)).toBe(2)); // the retry went out at 110, 100 ms after the 503
      at(120, () => latest(1).flush(item(1)));
    });
    expect(made(3)).toBe(1);
    expect(latest(3).cancelled).toBe(true); // the deadline unsubscribed item 3's request
  });

  it('cancels every request in flight when the page is destroyed (the async pipe unsubscribes)', () => {
    const { newRequests } = setUp();
    const fixture = TestBed.createComponent(ItemsPage);
    fixture.detectChanges();
    const inFlight = newRequests();
    expect(inFlight).toHaveLength(4);
    expect((fixture.nativeElement as HTMLElement).querySelector('#progress')?.textContent).toBe('0 / 200');

    fixture.destroy();
    expect(inFlight.every((r) => r.cancelled)).toBe(true);
    expect(newRequests()).toEqual([]);
  });
});
