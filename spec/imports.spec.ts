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

  it('no import cycles between modules (what is imported for its value; type-only imports are erased)', () => {
    const imports = new Map(
      files.map((file) => {
        const text = readFileSync(file, 'utf8');
        const statements = [...text.matchAll(/(?:import|export)\s([^;]*?)from\s+'(\.[^']+)'/g)];
        // `import type { A }`, `export type { A }` and `import { type A, type B }` bring no value.
        const valueImports = statements.filter(([, clause]) => !/^type\s/.test(clause!) && !/^\{\s*(type\s+\w+\s*,?\s*)+\}\s*$/.test(clause!.trim()));
        return [file, valueImports.map((m) => join(dirname(file), m[2]!.replace(/\.js$/, '.ts')))];
      }),
    );
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
    expect(cycles).toEqual([]);
  });
});
