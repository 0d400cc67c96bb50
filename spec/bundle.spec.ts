/**
 * What an app bundle pays for: bundles one-line apps with esbuild (as Angular's and Vite's builds
 * do) and reads the inputs from esbuild's metafile. Running flows must not pull in the `yaml`
 * package; only `rxjs-concurrency/flow/yaml` may. (.ci/check-package.js repeats this against
 * the packed package.)
 */
import { join } from 'node:path';
import { bundleInputs } from '../.ci/bundle-inputs';

const root = join(__dirname, '..');
const bundled = (app: string) =>
  bundleInputs(app, {
    resolveDir: root,
    alias: {
      'rxjs-concurrency/flow/yaml': join(root, 'lib/flow/yaml/index.ts'),
      'rxjs-concurrency/flow': join(root, 'lib/flow/index.ts'),
    },
  });

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
});
