'use strict';
// What an app bundle is made of: bundles a one-line app with esbuild (the bundler under Angular's
// and Vite's builds), minified ESM for browsers, and returns the files esbuild's metafile says
// put code into it, with the bytes each put there. Used by spec/bundle.spec.ts (against lib/) and
// check-package (against the packed package).
const { buildSync } = require('esbuild');

/**
 * @param {string} app the app's source, e.g. `import { boundedMap } from 'rxjs-concurrency'; console.log(boundedMap);`
 * @param {{ resolveDir: string, alias?: Record<string, string> }} options where imports resolve from, and aliases
 * @returns {Record<string, number>} the input files (relative to the working directory) and the bytes each adds to the minified bundle
 */
function bundleBytes(app, { resolveDir, alias = {} }) {
  const result = buildSync({
    stdin: { contents: app, resolveDir, loader: 'ts' },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    metafile: true,
    logLevel: 'silent',
    preserveSymlinks: true,
    alias,
  });
  const inputs = Object.values(result.metafile.outputs)[0].inputs;
  return Object.fromEntries(Object.entries(inputs).map(([file, { bytesInOutput }]) => [file, bytesInOutput]));
}

/**
 * @param {string} app the app's source
 * @param {{ resolveDir: string, alias?: Record<string, string> }} options where imports resolve from, and aliases
 * @returns {string[]} the input files, relative to the working directory
 */
function bundleInputs(app, options) {
  return Object.keys(bundleBytes(app, options));
}

module.exports = { bundleBytes, bundleInputs };
