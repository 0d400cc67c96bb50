/**
 * The library as the benchmarks load it: the tsc build in dist/cjs, which is what users run.
 * Not the TypeScript sources through tsx: its esbuild transform keeps function names by wrapping
 * every function created at run time in a helper call, which would charge the library for each
 * per-item closure. `npm run bench` builds first. Types still come from the sources.
 */
import type * as Core from '../lib/index.js';
import type * as Flow from '../lib/flow/index.js';

export const core = require('../dist/cjs/index.js') as typeof Core;
export const flow = require('../dist/cjs/flow/index.js') as typeof Flow;
