#!/usr/bin/env node
// Packaging check, run by CI after `npm run build`, `publint --strict` and `attw --pack .`.
//
// Proves that the BUILT, PACKED package works for both kinds of consumer and shares the
// consumer's rxjs:
//   1. `git clone` the committed project into a temporary folder (no dist/, no untracked files:
//      what installing from a git URL sees), link this project's node_modules into it, and
//      `npm pack` there, which runs the `prepare` script (the build). The tarball must hold the
//      built entry points, and every source map must resolve to sources it carries;
//   2. make a throwaway consumer project there: the tarball unpacked as
//      node_modules/rxjs-concurrency, and this project's own node_modules/rxjs (plus tslib, its
//      dependency, and yaml, the optional peer of /flow/yaml) linked in — no network needed;
//   3. in the consumer, a CommonJS script (`require`) and an ES module script (`import`) load
//      `rxjs-concurrency`, `rxjs-concurrency/testing`, `/flow`, `/flow/yaml`, `/devtools` and
//      `/redis`, get Observables out of the package and check they are `instanceof` the
//      consumer's own `Observable`, and that `rxjs` resolves to the consumer's copy from inside
//      the package. ioredis is not installed in the consumer: every entry, `/redis` included,
//      must load without it (it is an optional peer; the redis stores only use the client passed in).
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

// Generous timeout: packing runs the whole build, which took over 60 s on a loaded 2-core machine.
function run(command, args, cwd) {
  try {
    return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
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
  // 1. Pack a clean clone of HEAD (uncommitted changes are not in it).
  const clone = join(work, 'clone');
  run('git', ['clone', '--quiet', root, clone], work);
  run('git', ['checkout', '--quiet', run('git', ['rev-parse', 'HEAD'], root).trim()], clone);
  if (existsSync(join(clone, 'dist'))) fail('the clean clone already has dist/: it must not be committed');
  symlinkSync(join(root, 'node_modules'), join(clone, 'node_modules'), 'dir');
  const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], clone).replace(/^[^[]*/, ''));
  const tarball = join(work, packed[0].filename);
  const files = packed[0].files.map((f) => f.path);
  for (const entry of ['dist/cjs/index.js', 'dist/esm/index.js', 'dist/cjs/index.d.ts', 'dist/esm/index.d.ts']) {
    if (!files.includes(entry)) fail(`npm pack of a clean clone lacks ${entry} (${files.length} files): is the \`prepare\` script building?`);
  }

  // 2. The consumer: the tarball unpacked, and this project's rxjs, tslib and yaml (an optional peer) linked in.
  const consumer = join(work, 'consumer');
  const modules = join(consumer, 'node_modules');
  const installed = join(modules, pkg.name);
  mkdirSync(installed, { recursive: true });
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, version: '0.0.0' }));
  run('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1'], work);
  checkSourceMaps(installed, files);
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
    check(!('parseFlow' in flow), 'rxjs-concurrency/flow still exports parseFlow (it belongs to /flow/yaml)');
    check(typeof flowYaml.parseFlow === 'function' && typeof flowYaml.stringifyFlow === 'function', 'rxjs-concurrency/flow/yaml does not export parseFlow and stringifyFlow');
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
    const flowYaml = require('rxjs-concurrency/flow/yaml');
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
    import * as flowYaml from 'rxjs-concurrency/flow/yaml';
    import * as devtools from 'rxjs-concurrency/devtools';
    import * as redis from 'rxjs-concurrency/redis';
    import { fileURLToPath } from 'node:url';
    const resolve = (s) => fileURLToPath(import.meta.resolve(s));
    ${checks(`entry: resolve('rxjs-concurrency'), rxjs: resolve('rxjs'), rxjsFromPackage: null`)}
    `,
  );

  checkTreeShaking(consumer);

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
    `check-package: pass: ${packed[0].filename} (${packed[0].entryCount} files, packed from a clean clone) works with require and import, ` +
      `shares the consumer's rxjs — ${lines.join(', ')} — in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}

/**
 * Every `.js.map` in the package must let a debugger or a stack-trace mapper show the source:
 * each entry of `sources` either has its text inlined in `sourcesContent` or names a file that
 * ships in the package.
 */
function checkSourceMaps(installed, files) {
  const maps = files.filter((f) => f.endsWith('.js.map'));
  if (maps.length === 0) fail('the package has no source maps');
  for (const map of maps) {
    const { sources, sourcesContent = [] } = JSON.parse(readFileSync(join(installed, map), 'utf8'));
    sources.forEach((source, i) => {
      if (typeof sourcesContent[i] === 'string' && sourcesContent[i].length > 0) return;
      const target = join(installed, map, '..', source);
      if (!existsSync(target)) fail(`${map} points at ${source}, which is not in the package and not inlined (sourcesContent)`);
    });
  }
}

/**
 * An app bundle pays only for what it imports: esbuild (what Angular's and Vite's builds use)
 * bundles one-line apps against the installed package, and its metafile must show no `yaml`
 * code for an app that only runs flows, and no code of the other primitives (nor more than
 * 10,000 bytes of the library, the Angular size check's limit) for one that only uses boundedMap.
 */
function checkTreeShaking(consumer) {
  // Bundlers read `sideEffects` from the nearest package.json, which for the built files is dist/*/package.json.
  for (const dir of ['esm', 'cjs']) {
    const nearest = JSON.parse(readFileSync(join(consumer, 'node_modules', pkg.name, 'dist', dir, 'package.json'), 'utf8'));
    if (nearest.sideEffects !== false) fail(`dist/${dir}/package.json does not say "sideEffects": false, so bundlers keep every module an app reaches`);
  }
  const { bundleBytes, bundleInputs } = require('./bundle-inputs.js');
  const inputs = (app) => bundleInputs(app, { resolveDir: consumer });
  const flowOnly = inputs(`import { runFlowResult } from 'rxjs-concurrency/flow'; console.log(runFlowResult);`);
  const yamlFiles = flowOnly.filter((f) => f.includes('node_modules/yaml/'));
  if (yamlFiles.length > 0) fail(`a bundle importing only runFlowResult contains yaml (${yamlFiles.length} files, e.g. ${yamlFiles[0]})`);
  const withYaml = inputs(`import { parseFlow } from 'rxjs-concurrency/flow/yaml'; console.log(parseFlow);`);
  if (!withYaml.some((f) => f.includes('node_modules/yaml/'))) fail('a bundle importing parseFlow contains no yaml: the check above cannot see yaml');
  const boundedBytes = bundleBytes(`import { boundedMap } from 'rxjs-concurrency'; console.log(boundedMap);`, { resolveDir: consumer });
  const boundedOnly = Object.keys(boundedBytes);
  const extra = boundedOnly.filter((f) => /rxjs-concurrency\/dist\/esm\/(flow|scope|devtools|combinators|resilience)\//.test(f));
  if (extra.length > 0) fail(`a bundle importing only boundedMap contains ${extra.join(', ')}`);
  const library = boundedOnly.filter((f) => f.includes('node_modules/rxjs-concurrency/')).reduce((sum, f) => sum + boundedBytes[f], 0);
  if (library > 10_000) fail(`a bundle importing only boundedMap gets ${library} bytes of library code (at most 10,000)`);
}
