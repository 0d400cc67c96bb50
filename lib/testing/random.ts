import { describe } from '../internal/validate.js';

/**
 * A seeded source of numbers in [0, 1), for the `random` option of `retryBackoff` (and anything
 * else that takes an injectable `random: () => number`), so jittered delays are the same on every
 * run of a test.
 *
 * <span class="informal">`Math.random`, but repeatable.</span>
 *
 * It is mulberry32, a tiny 32-bit generator (public domain, by Tommy Ettinger): plenty for tests
 * and simulations, not for cryptography. Equal seeds give equal sequences.
 *
 * @example
 * ```ts
 * import { retryBackoff } from 'rxjs-concurrency';
 * import { seededRandom } from 'rxjs-concurrency/testing';
 *
 * source$.pipe(retryBackoff({ jitter: 0.5, random: seededRandom(42) }));
 * ```
 *
 * @param seed Any integer (it is taken modulo 2^32).
 * @throws {TypeError} `seed` is not a finite number.
 */
export function seededRandom(seed: number): () => number {
  if (typeof seed !== 'number' || !Number.isFinite(seed)) {
    throw new TypeError(`Expected \`seed\` to be a finite number, got ${describe(seed)}`);
  }
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
