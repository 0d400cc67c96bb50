import { lastValueFrom, merge, toArray } from 'rxjs';
import { RateLimiter } from '../lib/index';
import { manualStore } from './support/manual-rate-store';

// A RateStore may say how many attempts it takes in flight at once (`concurrency`): a remote
// store (redisRate) hides its round trip that way. The limiter then asks for up to that many
// waiters from the head of its queue at once, and still grants in FIFO order.

const flush = () => new Promise((r) => setTimeout(r, 0));

it('asks for up to `concurrency` waiters at once and grants them in FIFO order', async () => {
  const { store, calls } = manualStore(3);
  const rate = new RateLimiter({ limit: 100, interval: 1000, store });
  const order: number[] = [];
  const all = lastValueFrom(merge(...[1, 2, 3, 4, 5].map((i) => rate.run(async () => void order.push(i)))).pipe(toArray()));
  await flush();
  expect(calls).toHaveLength(3); // not 5: at most 3 in flight
  calls[2]!.answer(0); // the third answer comes first: the grant still goes to the head
  calls[0]!.answer(0);
  calls[1]!.answer(0);
  await flush();
  expect(calls).toHaveLength(5);
  calls[3]!.answer(0);
  calls[4]!.answer(0);
  await all;
  expect(order).toEqual([1, 2, 3, 4, 5]);
});

it('a refusal arms the retry timer and no new attempt goes out before it fires', async () => {
  const { store, calls } = manualStore(2);
  const rate = new RateLimiter({ limit: 100, interval: 1000, store });
  const granted: number[] = [];
  for (const i of [1, 2, 3]) rate.run(async () => void granted.push(i)).subscribe();
  await flush();
  expect(calls).toHaveLength(2);
  calls[0]!.answer(30);
  calls[1]!.answer(30);
  await new Promise((r) => setTimeout(r, 10));
  expect(calls).toHaveLength(2); // waiting for the timer
  await new Promise((r) => setTimeout(r, 40));
  expect(calls).toHaveLength(4);
  calls[2]!.answer(0);
  calls[3]!.answer(0);
  await flush();
  expect(granted).toEqual([1, 2]);
});

it('without `concurrency` one attempt is in flight; a bad value throws at construction', async () => {
  const { store, calls } = manualStore();
  const rate = new RateLimiter({ limit: 100, interval: 1000, store });
  for (let i = 0; i < 3; i++) rate.run(async () => undefined).subscribe();
  await flush();
  expect(calls).toHaveLength(1);
  expect(() => new RateLimiter({ limit: 1, interval: 1, store: manualStore(0).store })).toThrow('Expected `options.store.concurrency` to be an integer from 1 and up, got `0` (number)');
});
