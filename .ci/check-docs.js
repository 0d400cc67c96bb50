#!/usr/bin/env node
// Documentation check, run by CI after `npm run build`: every public export of every entry
// point (the package's `exports`) must carry its JSDoc into the published declarations
// (dist/cjs/**/*.d.ts), so editors show it. A doc comment that sits above the wrong statement
// (a constant between the comment and the function) does not reach the function's declaration:
// this catches it. Prints one "pass" line, or the undocumented exports and exits non-zero.
'use strict';
const { join } = require('node:path');
const ts = require('typescript');

const root = join(__dirname, '..');
const pkg = require(join(root, 'package.json'));
const entries = Object.entries(pkg.exports)
  .filter(([, target]) => typeof target === 'object' && target.require)
  .map(([name, target]) => [name, join(root, target.require.types)]);

const program = ts.createProgram(
  entries.map(([, file]) => file),
  { noEmit: true, skipLibCheck: true, types: [] },
);
const checker = program.getTypeChecker();
const missing = [];
let count = 0;
for (const [entry, file] of entries) {
  const source = program.getSourceFile(file);
  if (!source) {
    missing.push(`${entry}: ${file} not found (run \`npm run build\` first)`);
    continue;
  }
  const moduleSymbol = checker.getSymbolAtLocation(source);
  for (const exported of moduleSymbol ? checker.getExportsOfModule(moduleSymbol) : []) {
    count++;
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const documented = symbol.getDocumentationComment(checker).length > 0 || (symbol.declarations ?? []).some((d) => ts.getJSDocCommentsAndTags(d).length > 0);
    if (!documented) missing.push(`${entry === '.' ? pkg.name : join(pkg.name, entry)}: ${exported.name}`);
  }
}
if (missing.length > 0) {
  console.error(`check-docs: ${missing.length} export(s) without a JSDoc in the published declarations:\n  ${missing.join('\n  ')}`);
  process.exit(1);
}
console.log(`check-docs: pass (${count} exports of ${entries.length} entry points documented)`);
