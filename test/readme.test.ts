// Every fenced block of README.md is covered by exactly one rule below; a block that no rule covers
// fails the test, so none is skipped silently. The rules, by the fence's info string:
//
//   ```js          a complete program: written to a file at the package root (so 'descent-wasm'
//                  resolves through package.json's self-reference to dist/), run with node as a user
//                  would, and it must exit by itself (trainers disposed); on Node 20 a second time with
//                  relaxed SIMD on, so the default build of newer engines is checked too. A `console.log(…)` line whose
//                  comment is `// → text` must print exactly `text`; those lines must appear in the
//                  output in the order of the block. Other output is free (losses differ per build).
//   ```js browser  needs a browser (IndexedDB, a page): not run here (test/browser/ runs the storage
//                  API in Chromium), only type-checked like every js block (next rule).
//   every js block is type-checked by TypeScript (checkJs against dist/*.d.ts, DOM and Node types):
//                  an undefined name, an import or a method the package does not have, or a wrong
//                  number of arguments fails (NAME_ERRORS; inferred-type complaints do not).
//   ```python      the PyTorch loader: exactly one block, calling descent_torch.load, run on real
//                  checkpoints by test/readme.python.test.ts.
//   ```python ddp  the DistributedDataParallel script: exactly one block, run by test/torch.ddp.test.ts
//                  under the README's torchrun line (next rule) on two CPU processes.
//   ```sh          each line is a command. `npx descent …` runs as `node bin/descent.mjs …` in a
//                  scratch directory and must exit 0; `npm install descent-wasm` must name this
//                  package; `npm install && npm start` and `npm test` must be package.json's scripts
//                  as the README describes them (npm test cannot run inside npm test); `torchrun …`
//                  and `pip install ./node_modules/descent-wasm/python` are run by test/torch.ddp.test.ts
//                  (the package's python/ folder is checked by test/package.test.ts).
//   ```text        the printed output of the sh block just before it: every line (numbers read as
//                  '#', '…' skipping any lines) must appear in the real output, in order.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');

interface Block {
  /** The fence's info string: 'js', 'js browser', 'sh', … */
  info: string;
  code: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The nearest heading above it, to name the block in messages. */
  heading: string;
}

/** Every fenced block of `text`, in order. */
function fencedBlocks(text: string): Block[] {
  const blocks: Block[] = [];
  const lines = text.split('\n');
  let heading = '(top)';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^#{1,6} /.test(line)) heading = line.replace(/^#+ /, '');
    const open = /^```(.*)$/.exec(line);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i]!);
    if (i === lines.length) throw new Error(`README.md:${start + 1}: unclosed fence`);
    blocks.push({ info: open[1]!.trim(), code: `${body.join('\n')}\n`, line: start + 1, heading });
  }
  return blocks;
}

const blocks = fencedBlocks(readme);
const name = (b: Block) => `README.md:${b.line} (${b.heading}, \`\`\`${b.info})`;
const jsBlocks = blocks.filter((b) => b.info === 'js' || b.info === 'js browser');

/** The file a js block is written to: at the package root, so that 'descent-wasm' resolves to this package. */
const fileOf = (b: Block) => join(root, `.readme-block-${b.line}.mjs`);

/** The `// → text` expectations of a js block, in order. */
function expectedLines(code: string): string[] {
  return code.split('\n').filter((line) => line.includes('console.log(') && line.includes('// → '))
    .map((line) => line.slice(line.indexOf('// → ') + '// → '.length).trimEnd());
}

/** Whether `wanted` appear in `lines` in this order (other lines may come between). */
function inOrder(lines: string[], wanted: string[]): { ok: boolean; missing?: string } {
  let at = 0;
  for (const w of wanted) {
    while (at < lines.length && lines[at] !== w) at++;
    if (at === lines.length) return { ok: false, missing: w };
    at++;
  }
  return { ok: true };
}

// What the type check fails on: names, not inferred types (a JS object literal's strings widen to
// string, which TypeScript then refuses as a layer's activation, though the program is right).
const NAME_ERRORS = new Set([
  2304, 2552, // Cannot find name (… Did you mean …?)
  2305, 2614, 2724, // Module has no exported member
  2307, // Cannot find module
  2339, 2551, // Property does not exist on type (… Did you mean …?)
  2349, // This expression is not callable
  2554, 2555, // Expected n arguments
]);

// The blocks run as a user runs them: plain `node file.mjs`. Node 20 validates the relaxed build only
// with a flag, so there they run a second time with it, and the printed values must hold on both (the simd build by default, then relaxed).
const PASSES: [string, string[]][] = Number(process.versions.node.split('.')[0]) < 22
  ? [['', []], [' with relaxed SIMD on', ['--experimental-wasm-relaxed-simd']]]
  : [['', []]];

describe('README code blocks', () => {
  it('every block is covered by a rule', () => {
    const covered = new Set(['js', 'js browser', 'python', 'python ddp', 'sh', 'text']);
    const uncovered = blocks.filter((b) => !covered.has(b.info)).map(name);
    expect(uncovered, 'README blocks that no rule in test/readme.test.ts covers').toEqual([]);
    // a text block is the output of the sh block right before it
    blocks.forEach((b, i) => {
      if (b.info === 'text') expect(blocks[i - 1]?.info, `${name(b)} must follow a sh block`).toBe('sh');
    });
    expect(blocks.filter((b) => b.info === 'js').length).toBeGreaterThanOrEqual(5);
  });

  for (const block of blocks.filter((b) => b.info === 'js')) {
    for (const [pass, flags] of PASSES) {
      it(`runs ${name(block)}${pass}`, () => {
        const file = fileOf(block);
        writeFileSync(file, block.code);
        let output: string;
        try {
          output = execFileSync(process.execPath, [...flags, file], { cwd: root, encoding: 'utf8', timeout: 90_000 });
        } finally {
          rmSync(file, { force: true });
          rmSync(join(root, 'model.safetensors'), { force: true });
        }
        const result = inOrder(output.split('\n').map((line) => line.trimEnd()), expectedLines(block.code));
        expect(result.missing, `${name(block)}${pass} printed:\n${output}`).toBeUndefined();
      });
    }
  }

  it('type-checks every js block against the built package', () => {
    const files = jsBlocks.map((b) => {
      writeFileSync(fileOf(b), b.code);
      return fileOf(b);
    });
    try {
      const program = ts.createProgram(files, {
        allowJs: true, checkJs: true, noEmit: true, strict: false, skipLibCheck: true,
        target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
        lib: ['lib.es2023.d.ts', 'lib.dom.d.ts', 'lib.dom.asynciterable.d.ts'], types: ['node'],
      });
      const problems = ts.getPreEmitDiagnostics(program)
        .filter((d) => d.category === ts.DiagnosticCategory.Error && NAME_ERRORS.has(d.code))
        // a member of a union (k.loss's value: number | Float32Array) is the program's business, not a typo
        .filter((d) => !(d.code === 2339 && / on type '[^']*\|/.test(ts.flattenDiagnosticMessageText(d.messageText, '\n'))))
        .map((d) => {
          const where = d.file ? jsBlocks[files.indexOf(d.file.fileName)] : undefined;
          const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1;
          const at = where ? `README.md:${where.line + 1 + line}` : d.file?.fileName ?? '';
          return `${at}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
        });
      expect(problems).toEqual([]);
    } finally {
      for (const file of files) rmSync(file, { force: true });
    }
  });

  it('every link inside the repository points at a heading or a file that exists', () => {
    // GitHub's anchors: lower case, punctuation dropped, spaces as hyphens
    const slug = (heading: string) => heading.toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
    const outside = readme.replace(/^```[\s\S]*?^```$/gm, '');
    const anchors = new Set([...outside.matchAll(/^#{1,6} (.*)$/gm)].map((m) => slug(m[1]!)));
    const links = [...outside.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((link) => !/^[a-z]+:/.test(link));
    expect(links.length).toBeGreaterThan(10);
    const broken = links.filter((link) => (link.startsWith('#') ? !anchors.has(link.slice(1)) : !existsSync(join(root, link))));
    expect(broken).toEqual([]);
  });

  it('states no test counts (the engine table included): a count goes stale with the next test added', () => {
    const outside = readme.replace(/^```[\s\S]*?^```$/gm, '');
    expect([...outside.matchAll(/\b\d[\d ,]*\d? (?:unit )?(?:tests?|passed|failed)\b/g)].map((m) => m[0])).toEqual([]);
  });

  it('has one python block, the PyTorch loader (run by test/readme.python.test.ts), and one DDP script (test/torch.ddp.test.ts)', () => {
    const python = blocks.filter((b) => b.info === 'python');
    expect(python).toHaveLength(1);
    expect(python[0]!.code).toContain('descent_torch.load(');
    const ddp = blocks.filter((b) => b.info === 'python ddp');
    expect(ddp).toHaveLength(1);
    expect(ddp[0]!.code).toContain('DistributedDataParallel(');
  });

  describe('shell blocks', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; scripts: Record<string, string>; bin: Record<string, string> };
    const shell = blocks.map((b, i) => ({ block: b, output: blocks[i + 1]?.info === 'text' ? blocks[i + 1] : undefined })).filter(({ block }) => block.info === 'sh');

    /** The command of a shell line, without its comment. */
    const commandOf = (line: string) => line.replace(/\s+#.*$/, '').trim();

    it('every shell line is a command some rule runs or checks', () => {
      const lines = shell.flatMap(({ block }) => block.code.split('\n').map(commandOf).filter(Boolean));
      const known = (command: string) => command.startsWith('npx descent ') || command.startsWith('torchrun ')
        || ['npm install descent-wasm', 'npm install && npm start', 'npm test', 'pip install ./node_modules/descent-wasm/python'].includes(command);
      expect(lines.filter((command) => !known(command))).toEqual([]);
    });

    it('the install line and the repository commands match package.json', () => {
      const commands = shell.flatMap(({ block }) => block.code.split('\n').map(commandOf));
      expect(commands).toContain(`npm install ${pkg.name}`);
      expect(pkg.bin.descent).toBeDefined();
      if (commands.includes('npm install && npm start')) {
        // the README says npm start builds, then serves the demo; npm test builds, then runs as-pect and vitest
        expect(pkg.scripts.start).toMatch(/^npm run build && node scripts\/start\.mjs$/);
        expect(readFileSync(join(root, 'scripts/start.mjs'), 'utf8')).toContain("from 'vite'");
      }
      if (commands.includes('npm test')) expect(pkg.scripts.test).toMatch(/^npm run build && .*test:asp.* && vitest run$/);
    });

    for (const { block, output } of shell.filter(({ block }) => block.code.includes('npx descent '))) {
      it(`runs ${name(block)}${output ? ' and prints what the text block after it shows' : ''}`, () => {
        const scratch = mkdtempSync(join(tmpdir(), 'descent-readme-'));
        try {
          let printed = '';
          for (const command of block.code.split('\n').map(commandOf).filter(Boolean)) {
            const args = command.slice('npx descent '.length).split(/\s+/);
            printed = execFileSync(process.execPath, [join(root, pkg.bin.descent!), ...args], { cwd: scratch, encoding: 'utf8', timeout: 90_000 });
          }
          if (output) {
            // numbers vary run to run, and the build with the engine (Node 20 runs 'simd' without its flag)
            const shape = (line: string) => line.trimEnd().replace(/\b(relaxed|simd|scalar) WebAssembly build/, 'BUILD WebAssembly build')
              .replace(/\d+(\.\d+)?(e[+-]?\d+)?/g, '#');
            const wanted = output.code.trimEnd().split('\n');
            // '…' stands for any lines; every other line must appear in order
            const result = inOrder(printed.split('\n').map(shape), wanted.filter((line) => line !== '…').map(shape));
            expect(result.missing, `${name(output)}: the CLI printed:\n${printed}`).toBeUndefined();
          }
        } finally {
          rmSync(scratch, { recursive: true, force: true });
        }
      });
    }
  });
});
