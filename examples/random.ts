/**
 * Seeded randomness for the demo, so that one `--seed` gives the same run every time.
 *
 * `mulberry32` is a tiny 32-bit generator (public domain, by Tommy Ettinger): plenty for a
 * simulation, not for cryptography. `randomFor(seed, ...keys)` gives every request its own
 * stream, keyed by what it is (`'payment', 17, 2` = order 17's payment lookup, attempt 2), so its
 * outcome does not depend on the order in which timers happen to fire.
 */

/** A generator of numbers in [0, 1), fully determined by `seed`. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
  return mulberry32(hashKeys(seed, ...keys));
}
