/**
 * Seeded randomness for the demo, so that one `--seed` gives the same run every time.
 *
 * The generator is the library's `seededRandom` (mulberry32, from `rxjs-concurrency/testing`).
 * `randomFor(seed, ...keys)` gives every request its own stream, keyed by what it is
 * (`'payment', 17, 2` = order 17's payment lookup, attempt 2), so its outcome does not depend on
 * the order in which timers happen to fire.
 */
import { seededRandom } from '../lib/testing/index.js';

/** A 32-bit FNV-1a hash of the keys, joined by `:`. */
export function hashKeys(...keys: readonly (string | number)[]): number {
  let h = 0x811c9dc5;
  const text = keys.join(':');
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The generator of one keyed thing within a seeded run. */
export function randomFor(seed: number, ...keys: readonly (string | number)[]): () => number {
  return seededRandom(hashKeys(seed, ...keys));
}
