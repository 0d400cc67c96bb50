/**
 * The README's TypeScript examples compile: every ```ts block is type-checked (strict, with the
 * project's compiler options) against lib/ as a user's file importing 'rxjs-concurrency' would
 * be; ```ts file=PATH blocks equal the repository file they copy. A failure names the README line.
 * The fence kinds are described in spec/support/readme-blocks.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkOf, compareWithFile, readBlocks, typecheckBlocks, type Block } from './support/readme-blocks';

const root = join(__dirname, '..');
const blocks = readBlocks(readFileSync(join(root, 'README.md'), 'utf8'));
const checked = blocks.filter((b) => checkOf(b).kind === 'typecheck');
const name = (b: Block) => `README.md:${b.line} (\`\`\`${[b.lang, b.attrs].filter(Boolean).join(' ')})`;

describe('README code blocks', () => {
  let problems: Map<Block, string[]>;
  beforeAll(() => {
    problems = typecheckBlocks(root, checked);
  }, 60_000);

  it('has TypeScript examples to check', () => {
    expect(checked.length).toBeGreaterThan(10);
  });

  it.each(checked.map((b) => [name(b), b] as const))('%s type-checks', (_name, block) => {
    expect(problems.get(block)!.join('\n')).toBe('');
  });

  const copies = blocks.flatMap((b) => {
    const check = checkOf(b);
    return check.kind === 'file' ? [[name(b), b, check.path] as const] : [];
  });
  if (copies.length > 0) {
    it.each(copies)('%s equals the file it copies', (_name, block, path) => {
      expect(compareWithFile(root, block, path) ?? '').toBe('');
    });
  }

  it('uses only fences the checker knows, and every unchecked ts block says why', () => {
    const bad = blocks.flatMap((b) => {
      const check = checkOf(b);
      return check.kind === 'bad-fence' ? [`README.md:${b.line - 1}: ${check.problem}`] : [];
    });
    expect(bad).toEqual([]);
  });
});

describe('the README block reader', () => {
  it('finds blocks with their README lines and fences', () => {
    const found = readBlocks('# t\n\n```ts\nconst a = 1;\n```\ntext\n```ts no-check needs Angular\nx\n```\n');
    expect(found.map((b) => [b.line, b.lang, b.attrs, b.code])).toEqual([
      [4, 'ts', '', 'const a = 1;\n'],
      [8, 'ts', 'no-check needs Angular', 'x\n'],
    ]);
    expect(checkOf(found[1]!)).toEqual({ kind: 'skip', reason: 'needs Angular' });
  });

  it('reads fences indented in list items, without their indentation', () => {
    const found = readBlocks('- item\n\n  ```ts\n  const a = 1;\n    const b = 2;\n  ```\n');
    expect(found.map((b) => [b.line, b.lang, b.code])).toEqual([[4, 'ts', 'const a = 1;\n  const b = 2;\n']]);
  });

  it('reports a type error at the README line of the offending code', () => {
    const [block] = readBlocks('intro\n\n```ts\nimport { boundedMap } from "rxjs-concurrency";\nconst n: number = boundedMap;\n```\n');
    expect(typecheckBlocks(root, [block!]).get(block!)).toEqual([
      expect.stringMatching(/^README\.md:5: TS2322: Type '.*' is not assignable to type 'number'/),
    ]);
  }, 60_000);
});
