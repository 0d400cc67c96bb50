/**
 * The README's code blocks, as the README spec checks them.
 *
 * Fences the checker knows (the info string after the three backticks):
 * - `ts`: a runnable example. It is type-checked as a module of its own, with the project's
 *   strict compiler options, `rxjs-concurrency` and its subpaths resolved to `lib/`.
 * - `ts file=PATH`: a copy of a file of this repository (e.g. an Angular component of
 *   `examples/angular`, which that example's own build compiles with Angular's compiler); the
 *   block must equal the file.
 * - `ts no-check REASON`: shown but not checked; the reason is required and visible in the
 *   README source.
 * - anything else (`text`, `sh`, `yaml`, …): not TypeScript, not checked. Signatures and
 *   pseudo-code go in `text`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

export interface Block {
  /** 1-based README line of the block's first code line (the line after the fence). */
  line: number;
  /** The fence's language, e.g. `ts`. */
  lang: string;
  /** What follows the language on the fence line. */
  attrs: string;
  code: string;
}

/** Every fenced code block of a Markdown text, in order. */
export function readBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    // A fence may be indented (inside a list item); its code lines lose that indentation.
    const open = /^( *)```(\S*)\s*(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!.length;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^ *```\s*$/.test(lines[end]!)) end++;
    if (end === lines.length) throw new Error(`README.md:${i + 1}: the code block opened here is never closed`);
    const code = lines.slice(start, end).map((line) => line.slice(Math.min(indent, line.length - line.trimStart().length)));
    blocks.push({ line: start + 1, lang: open[2]!, attrs: open[3]!.trim(), code: code.join('\n') + '\n' });
    i = end;
  }
  return blocks;
}

export type Check =
  | { kind: 'typecheck' }
  | { kind: 'file'; path: string }
  | { kind: 'skip'; reason: string }
  | { kind: 'not-ts' }
  | { kind: 'bad-fence'; problem: string };

/** What the checker does with a block, from its fence. */
export function checkOf(block: Block): Check {
  if (block.lang !== 'ts' && block.lang !== 'typescript') return { kind: 'not-ts' };
  if (block.attrs === '') return { kind: 'typecheck' };
  const file = /^file=(\S+)$/.exec(block.attrs);
  if (file) return { kind: 'file', path: file[1]! };
  const skip = /^no-check\s+(.+)$/.exec(block.attrs);
  if (skip) return { kind: 'skip', reason: skip[1]! };
  return { kind: 'bad-fence', problem: `unknown fence \`\`\`${block.lang} ${block.attrs} (use \`ts\`, \`ts file=PATH\` or \`ts no-check REASON\`)` };
}

/**
 * Type-checks the blocks together in one program, each as its own module. Returns the problems
 * per block, as `README.md:LINE: TSxxxx: message` with the README line of the offending code.
 */
export function typecheckBlocks(root: string, blocks: Block[]): Map<Block, string[]> {
  const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  });
  if (!config) throw new Error('cannot read tsconfig.json');
  const options: ts.CompilerOptions = {
    ...config.options,
    noEmit: true,
    moduleDetection: ts.ModuleDetectionKind.Force,
    paths: {
      'rxjs-concurrency': [join(root, 'lib/index.ts')],
      'rxjs-concurrency/*': [join(root, 'lib/*/index.ts')],
    },
  };
  const virtual = new Map<string, Block>();
  for (const block of blocks) virtual.set(join(root, '.readme', `README-line-${block.line}.ts`), block);
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (f) => virtual.has(f) || fileExists.call(host, f);
  host.readFile = (f) => virtual.get(f)?.code ?? readFile.call(host, f);
  host.getSourceFile = (f, language, ...rest) => {
    const block = virtual.get(f);
    return block ? ts.createSourceFile(f, block.code, language, true) : getSourceFile.call(host, f, language, ...rest);
  };
  const program = ts.createProgram([...virtual.keys()], options, host);
  const problems = new Map<Block, string[]>(blocks.map((b) => [b, []]));
  for (const [file, block] of virtual) {
    const source = program.getSourceFile(file)!;
    for (const d of [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]) {
      const at = d.start === undefined ? 0 : source.getLineAndCharacterOfPosition(d.start).line;
      problems.get(block)!.push(`README.md:${block.line + at}: TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    }
  }
  // An error in a library file would mean the paths mapping is wrong; report it on every block.
  const global = program.getGlobalDiagnostics().map((d) => `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
  if (global.length > 0) for (const list of problems.values()) list.push(...global);
  return problems;
}

/** The problem with a `ts file=PATH` block, or `undefined` when it equals the file. */
export function compareWithFile(root: string, block: Block, path: string): string | undefined {
  const full = join(root, path);
  if (!existsSync(full)) return `README.md:${block.line}: the block copies ${path}, which does not exist`;
  const text = readFileSync(full, 'utf8');
  if (text === block.code) return undefined;
  const a = block.code.split('\n');
  const b = text.split('\n');
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `README.md:${block.line + i}: the block differs from ${path}:${i + 1}\n  README: ${a[i] ?? '(end)'}\n  file:   ${b[i] ?? '(end)'}`;
}
