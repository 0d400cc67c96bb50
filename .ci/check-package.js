#!/usr/bin/env node
// Packaging check, run by CI after `npm run build`, `publint --strict` and `attw --pack .`.
//
// Proves that the BUILT, PACKED package works for both kinds of consumer and shares the
// consumer's rxjs:
//   1. `npm pack` the project into a temporary folder;
//   2. make a throwaway consumer project there: the tarball unpacked as
//      node_modules/rxjs-concurrency, and this project's own node_modules/rxjs (plus tslib, its
//      dependency, and yaml, the flow entry's) linked in — no network needed;
//   3. in the consumer, a CommonJS script (`require`) and an ES module script (`import`) load
//      `rxjs-concurrency`, `rxjs-concurrency/testing`, `/flow`, `/devtools` and `/redis`, get
//      Observables out of the package and check they are `instanceof` the consumer's own
//      `Observable`, and that `rxjs` resolves to the consumer's copy from inside the package.
//      ioredis is not installed in the consumer: every entry, `/redis` included, must load
//      without it (it is an optional peer; the redis stores only use the client passed in).
// Prints one "pass" line, or the failure and exits non-zero.
'use strict';
const { execFileSync } = require('node:child_process');
const { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const root = join(__dirname, '..');
const started = Date.now();

/** Stops the check with a message (the temporary folder is still removed). */
function fail(message) {
  throw new Error(message);
}

function run(command, args, cwd) {
  try {
    return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  } catch (error) {
    const e = /** @type {{ stdout?: string, stderr?: string, message: string }} */ (error);
    fail(`${command} ${args.join(' ')} (in ${cwd}) failed:\n${`${e.stdout ?? ''}${e.stderr ?? ''}`.trim() || e.message}`);
  }
}

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const work = mkdtempSync(join(tmpdir(), 'rxjs-concurrency-pack-'));
try {
  main();
} catch (error) {
  console.error(`check-package: FAIL: ${/** @type {Error} */ (error).message}`);
  process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}

function main() {
  for (const entry of ['dist/cjs/index.js', 'dist/esm/index.js']) {
    if (!existsSync(join(root, entry))) fail(`${entry} is missing: run \`npm run build\` first`);
  }
  // 1. Pack.
  const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], root));
  const tarball = join(work, packed[0].filename);

  // 2. The consumer: the tarball unpacked, and this project's rxjs, tslib and yaml linked in.
  const consumer = join(work, 'consumer');
  const modules = join(consumer, 'node_modules');
  const installed = join(modules, pkg.name);
  mkdirSync(installed, { recursive: true });
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, version: '0.0.0' }));
  run('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1'], work);
  for (const dependency of ['rxjs', 'tslib', 'yaml']) {
    const from = join(root, 'node_modules', dependency);
    if (!existsSync(from)) fail(`node_modules/${dependency} is missing: run \`npm ci\` first`);
    symlinkSync(from, join(modules, dependency), 'dir');
  }

  // 3. One script per module system. Each prints a JSON summary on its last line.
  const checks = (load) => `
    const { Observable, of, lastValueFrom, toArray } = rxjs;
    const problems = [];
    const check = (ok, what) => { if (!ok) problems.push(what); };
    check(Object.keys(core).length > 0, 'the core entry exports nothing');
    check(typeof flow.runFlow === 'function', 'rxjs-concurrency/flow does not export runFlow');
    check(Object.keys(devtools).length > 0, 'rxjs-concurrency/devtools exports nothing');
    check(typeof redis.redisCapacity === 'function' && typeof redis.redisRate === 'function', 'rxjs-concurrency/redis does not export redisCapacity and redisRate');
    check(redis.StoreUnavailableError === core.StoreUnavailableError, 'rxjs-concurrency/redis and the core entry export different StoreUnavailableError classes');

    // The testing entry hands out the consumer's TestScheduler and Observables.
    const scheduler = testing.createTestScheduler();
    check(scheduler instanceof TestScheduler, 'createTestScheduler() is not instanceof the consumer\\'s TestScheduler');
    let marbleFailure = '';
    try {
      testing.createTestScheduler().run(({ cold, expectObservable }) => {
        const source = cold('-a|', { a: 1 });
        check(source instanceof Observable, 'cold() is not instanceof the consumer\\'s Observable');
        expectObservable(source).toBe('--a|', { a: 1 });
      });
    } catch (error) {
      marbleFailure = error.message;
    }
    check(marbleFailure.includes('received: -a|'), 'a failing marble test does not report a marble diagram: ' + marbleFailure);

    let boundedMap = 'skipped: the core entry does not export boundedMap yet';
    if (typeof core.boundedMap === 'function') {
      const result = of(1, 2).pipe(core.boundedMap((x) => of(x * 10), 2));
      if (result instanceof Observable) {
        const values = await lastValueFrom(result.pipe(toArray()));
        check(JSON.stringify(values) === '[10,20]', 'of(1, 2).pipe(boundedMap((x) => of(x * 10), 2)) gave ' + JSON.stringify(values));
        boundedMap = 'ok';
      } else check(false, 'of(1, 2).pipe(boundedMap(...)) is not instanceof the consumer\\'s Observable');
    }
    console.log(JSON.stringify({ ${load}, problems, boundedMap }));
  `;
  writeFileSync(
    join(consumer, 'check.cjs'),
    `'use strict';
    const rxjs = require('rxjs');
    const { TestScheduler } = require('rxjs/testing');
    const core = require('rxjs-concurrency');
    const testing = require('rxjs-concurrency/testing');
    const flow = require('rxjs-concurrency/flow');
    const devtools = require('rxjs-concurrency/devtools');
    const redis = require('rxjs-concurrency/redis');
    const { createRequire } = require('node:module');
    const fromPackage = createRequire(require.resolve('rxjs-concurrency')).resolve('rxjs');
    (async () => {
      ${checks(`entry: require.resolve('rxjs-concurrency'), rxjs: require.resolve('rxjs'), rxjsFromPackage: fromPackage`)}
    })().catch((error) => { console.error(error); process.exit(1); });
    `,
  );
  writeFileSync(
    join(consumer, 'check.mjs'),
    `import * as rxjs from 'rxjs';
    import { TestScheduler } from 'rxjs/testing';
    import * as core from 'rxjs-concurrency';
    import * as testing from 'rxjs-concurrency/testing';
    import * as flow from 'rxjs-concurrency/flow';
    import * as devtools from 'rxjs-concurrency/devtools';
    import * as redis from 'rxjs-concurrency/redis';
    import { fileURLToPath } from 'node:url';
    const resolve = (s) => fileURLToPath(import.meta.resolve(s));
    ${checks(`entry: resolve('rxjs-concurrency'), rxjs: resolve('rxjs'), rxjsFromPackage: null`)}
    `,
  );

  const realRxjs = realpathSync(join(root, 'node_modules', 'rxjs'));
  const lines = [];
  for (const [kind, script, format] of [
    ['require', 'check.cjs', 'dist/cjs'],
    ['import', 'check.mjs', 'dist/esm'],
  ]) {
    const out = run(process.execPath, [script], consumer).trim().split('\n');
    const summary = JSON.parse(out[out.length - 1] ?? '{}');
    if (summary.problems.length > 0) fail(`${kind}: ${summary.problems.join('; ')}`);
    if (!summary.entry.startsWith(join(installed, format))) {
      fail(`${kind} resolved rxjs-concurrency to ${summary.entry}, expected the packed ${format}`);
    }
    // (ES modules cannot resolve from another file's place in Node 20; there the instanceof
    // checks above prove the package's rxjs is the consumer's.)
    for (const path of [summary.rxjs, summary.rxjsFromPackage].filter((p) => p !== null)) {
      if (!realpathSync(path).startsWith(realRxjs)) {
        fail(`${kind}: rxjs resolved to ${path}, not the consumer's copy (${realRxjs})`);
      }
    }
    lines.push(`${kind} ok (boundedMap: ${summary.boundedMap})`);
  }
  console.log(
    `check-package: pass: ${packed[0].filename} (${packed[0].entryCount} files) works with require and import, ` +
      `shares the consumer's rxjs — ${lines.join(', ')} — in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}
