/**
 * `npm run bench [area …]`: runs every benchmark area (or the named ones) one after the other in
 * this process, prints Markdown tables with ratios, writes JSON into bench/results/ and rewrites
 * the README's bench regions from those results (bench/readme.ts).
 * Each area is a file bench/<area>.bench.ts whose default export runs it.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeReadme } from './readme';

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const areas = readdirSync(__dirname)
    .filter((f) => f.endsWith('.bench.ts'))
    .map((f) => f.slice(0, -'.bench.ts'.length))
    .filter((a) => wanted.length === 0 || wanted.includes(a))
    .sort();
  if (areas.length === 0) throw new Error(`no benchmark area matches ${wanted.join(', ')}`);
  for (const area of areas) {
    console.log(`\n## ${area}\n`);
    const mod = (await import(join(__dirname, `${area}.bench.ts`))) as { default: () => Promise<void> };
    await mod.default();
  }
  writeReadme();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
