import type { RateRequest, RateStore } from '../../lib/index';

/**
 * A RateStore whose every answer the test gives by hand (`calls[i].answer(wait)`); `peek` (a
 * remote store's last reply) says "free". `concurrency`: how many attempts it takes in flight.
 */
export function manualStore(concurrency?: number) {
  const calls: { request: RateRequest; answer: (wait: number) => void }[] = [];
  const store: RateStore = {
    key: 'manual',
    ...(concurrency === undefined ? {} : { concurrency }),
    acquire: (request) => new Promise<number>((answer) => calls.push({ request, answer })),
    peek: () => ({ used: 0, retryAfter: 0 }),
  };
  return { store, calls };
}
