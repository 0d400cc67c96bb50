#!/usr/bin/env node
// `npm run mutation` runs StrykerJS over the engine files listed in stryker.config.json;
// `npm run mutation -- lib/internal/pool.ts [more files under lib/]` runs it over just those, and
// `--tests spec/pool.spec.ts,marbles/fanout.marbles.ts` runs only those suites against them
// (MUTATION_TESTS, read by jest.mutation.config.js; needed for lib/redis, whose specs the default
// set leaves out). Other flags go to Stryker (`--concurrency 1` on a shared machine).
// Not part of `npm test` or CI: the whole run takes over an hour on a 2-core machine.
const { spawnSync } = require('node:child_process');
const argv = process.argv.slice(2);
const env = { ...process.env };
const at = argv.indexOf('--tests');
if (at !== -1) env.MUTATION_TESTS = argv.splice(at, 2)[1] ?? '';
const files = argv.filter((a) => a.startsWith('lib/'));
const flags = argv.filter((a) => !a.startsWith('lib/'));
const args = ['stryker', 'run', ...(files.length > 0 ? ['--mutate', files.join(',')] : []), ...flags];
const result = spawnSync('npx', args, { stdio: 'inherit', env });
process.exit(result.status ?? 1);
