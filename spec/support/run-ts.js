// Runs the TypeScript file given as the first argument (spec/support/bus-peer.ts) in a worker
// thread or child process, through tsx's CommonJS hook: `--import tsx` in a worker's execArgv
// does not reach worker threads under jest, a plain require hook does.
'use strict';
require('tsx/cjs/api').register();
require(process.argv[2]);
