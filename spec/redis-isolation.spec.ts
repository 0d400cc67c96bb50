import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

// ioredis is an optional peer dependency: the core entry and the other subpaths never load it,
// and even `rxjs-concurrency/redis` only uses the client the user passes in (a type import).

it('requiring the core entry and every subpath does not load ioredis', () => {
  const root = join(__dirname, '..');
  const entries = ['lib/index.ts', 'lib/testing/index.ts', 'lib/flow/index.ts', 'lib/devtools/index.ts', 'lib/redis/index.ts'];
  const script = `
    const entries = ${JSON.stringify(entries)};
    const out = {};
    for (const entry of entries) {
      require(require('node:path').join(${JSON.stringify(root)}, entry));
      out[entry] = Object.keys(require.cache).filter((path) => /[\\\\/]node_modules[\\\\/](ioredis|@ioredis)[\\\\/]/.test(path));
    }
    console.log(JSON.stringify(out));
  `;
  const output = execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  const loaded = JSON.parse(output.trim().split('\n').pop()!) as Record<string, string[]>;
  expect(loaded).toEqual(Object.fromEntries(entries.map((e) => [e, []])));
});
