/**
 * What an app bundle pays for: bundles a one-line app with esbuild (as Angular's and Vite's
 * builds do) and reads the inputs from esbuild's metafile. Running flows must not pull in the
 * `yaml` package; only `rxjs-concurrency/flow/yaml` may.
 */
import { join } from 'node:path';
import { build } from 'esbuild';

const root = join(__dirname, '..');

/** The files (relative to the repository) that end up in a minified ESM bundle of `app`. */
async function bundledInputs(app: string): Promise<{ files: string[]; bytes: number }> {
  const result = await build({
    stdin: { contents: app, resolveDir: root, loader: 'ts' },
    bundle: true,
    format: 'esm',
    minify: true,
    write: false,
    metafile: true,
    logLevel: 'silent',
    alias: {
      'rxjs-concurrency/flow/yaml': join(root, 'lib/flow/yaml/index.ts'),
      'rxjs-concurrency/flow': join(root, 'lib/flow/index.ts'),
    },
  });
  const output = Object.values(result.metafile.outputs)[0]!;
  return { files: Object.keys(output.inputs), bytes: output.bytes };
}

const isYaml = (file: string) => /(^|\/)node_modules\/yaml\//.test(file);

describe('bundles', () => {
  it('an app that only runs flows contains no yaml code', async () => {
    const { files } = await bundledInputs(`import { runFlowResult } from 'rxjs-concurrency/flow'; console.log(runFlowResult);`);
    expect(files.some((f) => f.startsWith('lib/flow/'))).toBe(true);
    expect(files.filter(isYaml)).toEqual([]);
    expect(files.filter((f) => f.startsWith('lib/flow/yaml'))).toEqual([]);
  }, 30_000);

  it('an app that parses YAML flows does bundle yaml (the check above can see it)', async () => {
    const { files } = await bundledInputs(`import { parseFlow } from 'rxjs-concurrency/flow/yaml'; console.log(parseFlow);`);
    expect(files.filter(isYaml).length).toBeGreaterThan(0);
  }, 30_000);
});
