#!/usr/bin/env node
// Builds dist/esm (ES modules) and dist/cjs (CommonJS), each with its own .d.ts files and a
// package.json that tells Node (and TypeScript) which module format the folder holds. Bundlers
// read `sideEffects` from the NEAREST package.json, so these carry `sideEffects: false` too:
// without it an app's bundle keeps every module it reaches (the whole `yaml` parser for
// `rxjs-concurrency/flow`), not only what it uses.
'use strict';
const { execFileSync } = require('node:child_process');
const { rmSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const tsc = require.resolve('typescript/bin/tsc');
const config = join(__dirname, 'tsconfig.build.json');

rmSync(join(root, 'dist'), { recursive: true, force: true });
const builds = [
  { dir: 'esm', type: 'module', flags: ['--module', 'esnext', '--moduleResolution', 'bundler'] },
  { dir: 'cjs', type: 'commonjs', flags: ['--module', 'commonjs', '--moduleResolution', 'node10', '--ignoreDeprecations', '6.0'] },
];
for (const { dir, type, flags } of builds) {
  execFileSync(process.execPath, [tsc, '-p', config, '--outDir', join(root, 'dist', dir), ...flags], { stdio: 'inherit' });
  writeFileSync(join(root, 'dist', dir, 'package.json'), JSON.stringify({ type, sideEffects: false }, null, 2) + '\n');
}
console.log('built dist/esm and dist/cjs');
