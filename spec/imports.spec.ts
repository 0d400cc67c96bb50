import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

// The ESM build is plain `tsc` output run by Node, which resolves relative imports only with
// their extension: every relative import in lib/ must end in `.js`, and none may reach into
// rxjs's internals.
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('lib/ imports', () => {
  const root = join(__dirname, '..', 'lib');
  const files = sources(root);

  it('finds the sources', () => {
    expect(files.length).toBeGreaterThan(3);
  });

  it.each(files.map((f) => [relative(root, f), f]))('%s: relative imports end in .js, no rxjs/internal', (_name, file) => {
    const text = readFileSync(file, 'utf8');
    const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => m[1]!);
    expect(specifiers.filter((s) => s.startsWith('.') && !s.endsWith('.js'))).toEqual([]);
    expect(specifiers.filter((s) => s.startsWith('rxjs/internal'))).toEqual([]);
  });

  /** The modules each file imports from, by the statements `keep` selects. */
  const importGraph = (keep: (clause: string) => boolean): Map<string, string[]> =>
    new Map(
      files.map((file) => {
        const text = readFileSync(file, 'utf8');
        const statements = [...text.matchAll(/(?:import|export)\s([^;]*?)from\s+'(\.[^']+)'/g)];
        return [file, statements.filter(([, clause]) => keep(clause!)).map((m) => join(dirname(file), m[2]!.replace(/\.js$/, '.ts')))];
      }),
    );

  /** The cycles of an import graph, as `a.ts → b.ts → a.ts`. */
  const cyclesOf = (imports: Map<string, string[]>): string[] => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, path: string[]): void => {
      state.set(file, 'open');
      path.push(file);
      for (const next of imports.get(file) ?? []) {
        if (state.get(next) === 'open') cycles.push([...path.slice(path.indexOf(next)), next].map((f) => relative(root, f)).join(' → '));
        else if (!state.has(next)) visit(next, path);
      }
      path.pop();
      state.set(file, 'done');
    };
    for (const file of files) if (!state.has(file)) visit(file, []);
    return cycles;
  };

  it('no import cycles between modules (what is imported for its value)', () => {
    // `import type { A }`, `export type { A }` and `import { type A, type B }` bring no value.
    const valueOnly = (clause: string) => !/^type\s/.test(clause) && !/^\{\s*(type\s+\w+\s*,?\s*)+\}\s*$/.test(clause.trim());
    expect(cyclesOf(importGraph(valueOnly))).toEqual([]);
  });

  it('no import cycles either when type-only imports count (a maintainer reads them as dependencies too)', () => {
    expect(cyclesOf(importGraph(() => true))).toEqual([]);
  });

  it('every export of a module is imported by another module (an index re-exporting it counts)', () => {
    /** Every name in the braces of an import or re-export (`{ a, type B, c as d }` gives a, B, c). */
    const importedNames = new Map<string, Set<string>>(
      files.map((file) => {
        const text = readFileSync(file, 'utf8');
        const names = [...text.matchAll(/(?:import|export)\s+(?:type\s+)?\{([^}]*)\}\s*from\s+'\.[^']+'/g)].flatMap((m) =>
          m[1]!
            .split(',')
            .map((part) => part.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0]!)
            .filter(Boolean),
        );
        return [file, new Set(names)];
      }),
    );
    const unused: string[] = [];
    for (const file of files) {
      if (/(^|\/)index\.ts$/.test(file)) continue;
      const text = readFileSync(file, 'utf8');
      for (const [, name] of text.matchAll(/^export\s+(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?(?:function\*?|class|const|let|interface|type|enum)\s+(\w+)/gm)) {
        const elsewhere = files.some((other) => other !== file && importedNames.get(other)!.has(name!));
        if (!elsewhere) unused.push(`${relative(root, file)}: ${name}`);
      }
    }
    expect(unused).toEqual([]);
  });
});
