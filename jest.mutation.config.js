/**
 * jest for `npm run mutation` only: `lib` is among the roots so `--findRelatedTests` maps a
 * mutated file to its tests; suites that start other processes (which load unmutated copies)
 * or servers are left out, since they cannot kill a mutant in this process and only cost time.
 * @type {import('jest').Config}
 */
const base = require('./jest.config.js');
module.exports = {
  ...base,
  roots: ['<rootDir>/lib', '<rootDir>/spec', '<rootDir>/marbles'],
  testPathIgnorePatterns: ['/node_modules/', '/spec/demo\\.spec\\.ts$', '/spec/leaks\\.spec\\.ts$', '/spec/redis.*\\.spec\\.ts$', '/spec/.*-process.*\\.spec\\.ts$', '/spec/browser.*\\.spec\\.ts$'],
};
