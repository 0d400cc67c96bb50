/**
 * jest for `npm run mutation` only: `lib` is among the roots so `--findRelatedTests` maps a
 * mutated file to its tests; suites that start other processes (which load unmutated copies)
 * or servers are left out, since they cannot kill a mutant in this process and only cost time.
 *
 * `MUTATION_TESTS=spec/a.spec.ts,marbles/b.marbles.ts` (set by `.ci/mutation.js --tests …`) runs
 * exactly those suites instead, Redis suites included: the Redis stores and transport are killed
 * only by the specs that drive them against a real `redis-server`, and a short list keeps the
 * mutants that run at import time (static: each one runs every suite) cheap.
 * @type {import('jest').Config}
 */
const base = require('./jest.config.js');
const only = (process.env.MUTATION_TESTS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
module.exports = {
  ...base,
  roots: ['<rootDir>/lib', '<rootDir>/spec', '<rootDir>/marbles'],
  ...(only.length > 0
    ? { testMatch: only.map((path) => `<rootDir>/${path}`), testPathIgnorePatterns: ['/node_modules/'] }
    : {
        testPathIgnorePatterns: ['/node_modules/', '/spec/demo\\.spec\\.ts$', '/spec/leaks\\.spec\\.ts$', '/spec/redis.*\\.spec\\.ts$', '/spec/.*-process.*\\.spec\\.ts$', '/spec/browser.*\\.spec\\.ts$'],
      }),
};
