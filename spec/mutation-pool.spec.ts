/**
 * The fan-out engine (lib/internal/pool.ts) with a CapacityLimiter (its store answering
 * asynchronously, or a live `total`): tokens the pool no longer needs go back to the limiter, and
 * the one granted for a waiting item stays with it.
 */
import { Subject } from 'rxjs';
import { boundedMap, CapacityLimiter, completionStream } from '../lib/index.js';
import { PromiseCapacityStore, until } from './support/promise-store.js';

describe('the pool with an asynchronous limiter', () => {
  it('a token granted after its item already started on a freed token goes back at once', async () => {
    const server = new PromiseCapacityStore();
    const limiter = new CapacityLimiter(2, { store: server.client() });
    const source = new Subject<'a' | 'b' | 'x'>();
    const inners = { a: new Subject<string>(), b: new Subject<string>(), x: new Subject<string>() };
    const out: string[] = [];
    source.pipe(boundedMap((k) => inners[k], limiter)).subscribe((v) => {
      out.push(v);
      // b's value leaves when a (the head) completes; b then completes too, inside that emission.
      if (v === 'b1') inners.b.complete();
    });
    source.next('a');
    source.next('b');
    source.next('x');
    await until(() => limiter.borrowed === 2 && limiter.waiting === 1, 10_000);
    inners.b.next('b1');
    inners.a.complete();
    // x started on one of the two freed tokens; the request made for it is granted later,
    // when nothing is left to start: that token goes back, so other work gets it.
    expect(out).toEqual(['b1']);
    expect(inners.x.observed).toBe(true);
    let other = false;
    limiter.acquire(() => (other = true));
    await until(() => other, 10_000);
    expect(limiter.borrowed).toBe(2); // x's token and the other request's
  });

  it('while its request for a token is in flight, a pulled source is read no further, also once the item it was for started on a freed token', async () => {
    const server = new PromiseCapacityStore();
    const limiter = new CapacityLimiter(2, { store: server.client() });
    const tasks = { a: new Subject<string>(), b: new Subject<string>(), x: new Subject<string>(), y: new Subject<string>() };
    const pulled: string[] = [];
    function* feed() {
      for (const k of ['a', 'b', 'x', 'y'] as const) {
        pulled.push(k);
        yield tasks[k];
      }
    }
    const out: number[] = [];
    completionStream(feed(), { limit: limiter }).subscribe(({ index }) => {
      out.push(index);
      // a's result is out: b completes inside that emission.
      if (index === 0) tasks.b.complete();
    });
    await until(() => limiter.borrowed === 2 && limiter.waiting === 1, 10_000);
    expect(pulled).toEqual(['a', 'b', 'x']);
    tasks.b.next('b');
    tasks.a.next('a');
    tasks.a.complete();
    expect(out).toEqual([0, 1]);
    expect(tasks.x.observed).toBe(true); // on a freed token; the request made for it is still in flight
    expect(pulled).toEqual(['a', 'b', 'x']);
    await until(() => tasks.y.observed, 10_000);
    expect(pulled).toEqual(['a', 'b', 'x', 'y']);
  });

  it('a token granted while the ordered window is full stays with the queued item it was asked for', () => {
    // total 3: window 6. a (the head) runs on; b, c finish behind it; d, e run; f waits for a token.
    const limiter = new CapacityLimiter(3);
    const keys = ['a', 'b', 'c', 'd', 'e', 'f'] as const;
    const inners = Object.fromEntries(keys.map((k) => [k, new Subject<string>()])) as Record<(typeof keys)[number], Subject<string>>;
    const source = new Subject<(typeof keys)[number]>();
    const out: string[] = [];
    source.pipe(boundedMap((k) => inners[k], limiter)).subscribe((v) => out.push(v));
    for (const k of keys) source.next(k);
    inners.b.complete(); // d starts on b's token
    inners.c.complete(); // e starts on c's token
    expect([inners.d.observed, inners.e.observed, inners.f.observed]).toEqual([true, true, false]);
    expect(limiter.waiting).toBe(1); // f's request
    // The window shrinks to 4 (total 2); 5 items have started since the head: f may not start.
    limiter.total = 2;
    inners.d.complete(); // borrowed 2 of 2: no grant
    inners.e.complete(); // f's request is granted, but the window is full
    expect(inners.f.observed).toBe(false);
    expect(limiter.borrowed).toBe(2); // a's token, and the one kept for f
    let other = false;
    limiter.acquire(() => (other = true));
    expect(other).toBe(false);
    inners.a.complete(); // the head is done: the window opens and f starts on its token at once
    expect(inners.f.observed).toBe(true);
    expect(limiter.borrowed).toBe(2); // f's, and the other request's (a's token)
    expect(other).toBe(true);
    expect(out).toEqual([]);
  });

  it('a pulled source that ends when a late token arrives completes the output after that token went back', async () => {
    const server = new PromiseCapacityStore();
    const limiter = new CapacityLimiter(2, { store: server.client() });
    const tasks = { a: new Subject<string>(), b: new Subject<string>(), x: new Subject<string>() };
    function* feed() {
      yield tasks.a;
      yield tasks.b;
      yield tasks.x;
    }
    const out: number[] = [];
    let borrowedAtComplete: number | undefined;
    completionStream(feed(), { limit: limiter }).subscribe({
      next: ({ index }) => {
        out.push(index);
        if (index === 0) tasks.b.complete();
      },
      complete: () => (borrowedAtComplete = limiter.borrowed),
    });
    await until(() => limiter.borrowed === 2 && limiter.waiting === 1, 10_000);
    tasks.b.next('b');
    tasks.a.next('a');
    tasks.a.complete(); // x starts on a freed token; the request made for it is still in flight
    expect(tasks.x.observed).toBe(true);
    tasks.x.next('x');
    tasks.x.complete(); // nothing runs; the source is read again only once the request is answered
    expect(out).toEqual([0, 1, 2]);
    expect(borrowedAtComplete).toBeUndefined();
    await until(() => borrowedAtComplete !== undefined, 10_000);
    // The late token went back before the output completed: nothing is held at completion.
    expect(borrowedAtComplete).toBe(0);
  });
});
