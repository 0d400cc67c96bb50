/**
 * The README's benchmark regions are what `npm run bench` wrote from bench/results/: a table or a
 * verdict edited by hand, or results committed without rerendering, fail here. Run
 * `npm run bench` (or, to rerender the results already there, `npx tsx bench/readme.ts`) to rewrite them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readResults, renderReadme } from '../bench/readme';

const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
const results = readResults();

describe('README benchmark regions', () => {
  it('equal the rendering of bench/results/', () => {
    const expected = renderReadme(readme, results);
    const a = readme.split('\n');
    const b = expected.split('\n');
    const line = a.findIndex((text, i) => text !== b[i]);
    expect(line === -1 ? 'same' : `README.md:${line + 1}: ${a[line]}\n expected: ${b[line]}`).toBe('same');
  });

  it('exist for every results file', () => {
    const regions = [...readme.matchAll(/<!-- bench:([\w-]+) -->/g)].map((m) => m[1]);
    expect([...results.keys()].filter((area) => !regions.includes(area))).toEqual([]);
  });
});
