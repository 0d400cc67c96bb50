'use strict';
// What an app bundle is made of: bundles a one-line app with esbuild (the bundler under Angular's
// and Vite's builds), minified ESM for browsers, and returns the files esbuild's metafile says
// put code into it. Used by spec/bundle.spec.ts (against lib/) and check-package (against the
// packed package).
const { buildSync } = require('esbuild');

/**
 * @param {string} app the app's source, e.g. `import { boundedMap } from 'rxjs-concurrency'; console.log(boundedMap);`
 * @param {{ resolveDir: string, alias?: Record<string, string> }} options where imports resolve from, and aliases
 * @returns {string[]} the input files, relative to the working directory
 */
function bundleInputs(app, { resolveDir, alias = {} }) {
  const result = buildSync({
    stdin: { contents: app, resolveDir, loader: 'ts' },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    minify: true,
    write: false,
    metafile: true,
    logLevel: 'silent',
    preserveSymlinks: true,
    alias,
  });
  return Object.keys(Object.values(result.metafile.outputs)[0].inputs);
}

module.exports = { bundleInputs };
