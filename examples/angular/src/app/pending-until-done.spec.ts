import { HttpClient, provideHttpClient, ɵREQUESTS_CONTRIBUTE_TO_STABILITY as REQUESTS_CONTRIBUTE_TO_STABILITY } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { ApplicationRef, Injector } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import type { Observable } from 'rxjs';
import { retryBackoff } from 'rxjs-concurrency';
import { pendingUntilDone } from './pending-until-done';

/**
 * What server rendering waits for: `ApplicationRef.whenStable()`. Zoneless, an HTTP request in
 * flight counts, a retryBackoff timer does not, unless the stream goes through pendingUntilDone.
 */
describe('pendingUntilDone (server rendering and retryBackoff, zoneless)', () => {
  function setUp() {
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        // The testing backend opts requests out of stability; a real server's backend does not.
        { provide: REQUESTS_CONTRIBUTE_TO_STABILITY, useValue: true },
      ],
    });
    const http = TestBed.inject(HttpTestingController);
    const stable = () => {
      let done = false;
      void TestBed.inject(ApplicationRef).whenStable().then(() => (done = true));
      return () => done;
    };
    const report$ = TestBed.inject(HttpClient).get('/api/report').pipe(retryBackoff({ attempts: 2, baseDelay: 50, jitter: 0 }));
    return { http, stable, report$ };
  }
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  async function failOnceThenWatch(http: HttpTestingController, report$: Observable<unknown>, isStable: () => () => boolean) {
    const values: unknown[] = [];
    report$.subscribe((v) => values.push(v));
    const inFlight = isStable();
    await sleep(10);
    expect(inFlight()).toBe(false); // HttpClient holds a pending task while the request is out
    http.expectOne('/api/report').flush('down', { status: 503, statusText: 'Service Unavailable' });
    const duringBackoff = isStable();
    await sleep(20); // the retry waits 50 ms
    return { values, duringBackoff };
  }

  it('without it, the app is stable during the backoff: the server would render before the retry', async () => {
    const { http, stable, report$ } = setUp();
    const { values, duringBackoff } = await failOnceThenWatch(http, report$, stable);
    expect(duringBackoff()).toBe(true);
    expect(values).toEqual([]);
    await sleep(50);
    http.expectOne('/api/report').flush({ total: 1 });
  });

  it('with it, the app stays unstable until the stream is done', async () => {
    const { http, stable, report$ } = setUp();
    const injector = TestBed.inject(Injector);
    const { values, duringBackoff } = await failOnceThenWatch(http, report$.pipe(pendingUntilDone(injector)), stable);
    expect(duringBackoff()).toBe(false);
    await sleep(50);
    http.expectOne('/api/report').flush({ total: 1 });
    await sleep(0);
    expect(values).toEqual([{ total: 1 }]);
    expect(duringBackoff()).toBe(true);
  });
});
