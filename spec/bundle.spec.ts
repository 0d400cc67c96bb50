/**
 * What an app bundle pays for: bundles one-line apps with esbuild (as Angular's and Vite's builds
 * do) and reads the inputs from esbuild's metafile. Running flows must not pull in the `yaml`
 * package; only `rxjs-concurrency/flow/yaml` may. An app that uses only `boundedMap` gets at most
 * 10,000 bytes of library code (examples/angular's size check measures the same in a real Angular
 * production build; this one catches a regression in `npm test`). (.ci/check-package.js repeats
 * these against the packed package.)
 */
import { join } from 'node:path';
import { bundleBytes, bundleInputs } from '../.ci/bundle-inputs';

const root = join(__dirname, '..');
const bundled = (app: string) =>
  bundleInputs(app, {
    resolveDir: root,
    alias: {
      'rxjs-concurrency/flow/yaml': join(root, 'lib/flow/yaml/index.ts'),
      'rxjs-concurrency/flow': join(root, 'lib/flow/index.ts'),
    },
  });

/** The bytes of library code (files under lib/) in a minified bundle of `app`, and those files. */
const libraryBytes = (app: string) => {
  const bytes = bundleBytes(app, { resolveDir: root, alias: { 'rxjs-concurrency': join(root, 'lib/index.ts') } });
  const files = Object.keys(bytes).filter((f) => f.startsWith('lib/'));
  return { total: files.reduce((sum, f) => sum + bytes[f]!, 0), files };
};

const boundedMapApp = `
  import { from, of } from 'rxjs';
  import { boundedMap } from 'rxjs-concurrency';
  from([1, 2, 3]).pipe(boundedMap((x) => of(x * 2), 2)).subscribe(console.log);
`;

const isYaml = (file: string) => /(^|\/)node_modules\/yaml\//.test(file);

describe('bundles', () => {
  it('an app that only runs flows contains no yaml code', () => {
    const files = bundled(`import { runFlowResult } from 'rxjs-concurrency/flow'; console.log(runFlowResult);`);
    expect(files.some((f) => f.startsWith('lib/flow/'))).toBe(true);
    expect(files.filter(isYaml)).toEqual([]);
    expect(files.filter((f) => f.startsWith('lib/flow/yaml'))).toEqual([]);
  }, 30_000);

  it('an app that parses YAML flows does bundle yaml (the check above can see it)', () => {
    const files = bundled(`import { parseFlow } from 'rxjs-concurrency/flow/yaml'; console.log(parseFlow);`);
    expect(files.filter(isYaml).length).toBeGreaterThan(0);
  }, 30_000);

  it('an app that imports only boundedMap gets at most 10,000 bytes of library code, and none of the other primitives', () => {
    const { total, files } = libraryBytes(boundedMapApp);
    expect(files.filter((f) => !f.startsWith('lib/internal/') && !['lib/index.ts', 'lib/errors.ts', 'lib/fanout/boundedMap.ts'].includes(f))).toEqual([]);
    expect(total).toBeLessThanOrEqual(10_000);
  }, 30_000);

  it('the byte count sees what an app uses: pull() and a CapacityLimiter limit add their code', () => {
    const { total } = libraryBytes(boundedMapApp);
    const more = libraryBytes(`
      import { of } from 'rxjs';
      import { CapacityLimiter, boundedMap, pull } from 'rxjs-concurrency';
      pull([1, 2, 3]).pipe(boundedMap((x) => of(x * 2), new CapacityLimiter(2))).subscribe(console.log);
    `);
    expect(more.files).toEqual(expect.arrayContaining(['lib/fanout/pull.ts', 'lib/resilience/capacityLimiter.ts']));
    expect(more.total).toBeGreaterThan(total + 2_000);
  }, 30_000);
});
