// Size check: the bytes rxjs-concurrency adds to the production initial bundle of an Angular app
// that imports only `boundedMap` (size-probe/, built by `ng build size-probe` with stats). Reads
// esbuild's metafile (dist/size-probe/stats.json): the initial bundle is the entry chunk and the
// chunks it imports statically; the library's share is the bytes its files put into them.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// At most 10,000 bytes. spec/bundle.spec.ts checks the same with esbuild alone in the library's
// own `npm test` (it counts some 30 bytes fewer than Angular's build), so a regression shows there first.
const LIMIT = 10_000;
const here = dirname(fileURLToPath(import.meta.url));
const stats = JSON.parse(readFileSync(join(here, '..', 'dist', 'size-probe', 'stats.json'), 'utf8'));

const outputs = stats.outputs;
const initial = new Set();
const visit = (path) => {
  if (initial.has(path) || !outputs[path]) return;
  initial.add(path);
  for (const i of outputs[path].imports ?? []) if (i.kind === 'import-statement') visit(i.path);
};
for (const [path, output] of Object.entries(outputs)) if (output.entryPoint === 'size-probe/main.ts') visit(path);
if (initial.size === 0) throw new Error('no entry chunk for size-probe/main.ts in stats.json');

const files = new Map();
let total = 0;
for (const path of initial) {
  total += outputs[path].bytes;
  for (const [input, { bytesInOutput }] of Object.entries(outputs[path].inputs)) {
    if (!input.includes('node_modules/rxjs-concurrency/')) continue;
    files.set(input, (files.get(input) ?? 0) + bytesInOutput);
  }
}
const library = [...files.values()].reduce((a, b) => a + b, 0);
for (const [file, bytes] of [...files].sort((a, b) => b[1] - a[1])) console.log(`  ${String(bytes).padStart(6)}  ${file.replace(/^.*node_modules\//, '')}`);
const verdict = library <= LIMIT ? 'pass' : 'FAIL';
console.log(`size check: ${verdict}: rxjs-concurrency adds ${library.toLocaleString('en-US')} bytes (limit ${LIMIT.toLocaleString('en-US')}) to an initial bundle of ${total.toLocaleString('en-US')} bytes, boundedMap only`);
if (library > LIMIT) process.exitCode = 1;
if (files.size === 0) {
  console.error('size check: no rxjs-concurrency file in the bundle: is the probe still importing boundedMap?');
  process.exitCode = 1;
}
