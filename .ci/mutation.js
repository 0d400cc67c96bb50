#!/usr/bin/env node
// `npm run mutation` runs StrykerJS over the engine files listed in stryker.config.json;
// `npm run mutation -- lib/internal/pool.ts [more files]` runs it over just those files.
// Not part of `npm test` or CI: the whole run takes over an hour on a 2-core machine.
const { spawnSync } = require('node:child_process');
const files = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const flags = process.argv.slice(2).filter((a) => a.startsWith('-'));
const args = ['stryker', 'run', ...(files.length > 0 ? ['--mutate', files.join(',')] : []), ...flags];
const result = spawnSync('npx', args, { stdio: 'inherit' });
process.exit(result.status ?? 1);
