import { seededRandom } from '../lib/testing/index.js';

describe('seededRandom', () => {
  it('is repeatable per seed and differs between seeds', () => {
    const take = (seed: number) => {
      const random = seededRandom(seed);
      return Array.from({ length: 5 }, () => random());
    };
    expect(take(42)).toEqual(take(42));
    expect(take(42)).not.toEqual(take(43));
  });

  it('stays in [0, 1) and spreads over it', () => {
    const random = seededRandom(7);
    const values = Array.from({ length: 10_000 }, () => random());
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });

  it('gives mulberry32’s known first value for seed 1', () => {
    expect(seededRandom(1)()).toBeCloseTo(0.6270739405881613, 12);
  });

  it('rejects a seed that is not a finite number', () => {
    expect(() => seededRandom(NaN)).toThrow(new TypeError('Expected `seed` to be a finite number, got `NaN` (number)'));
    expect(() => seededRandom('1' as never)).toThrow(TypeError);
  });
});
