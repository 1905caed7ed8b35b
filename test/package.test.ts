// The package as npm publishes it: `npm pack` (scripts skipped: `npm test` has just built dist/ and
// the WASM files), then what the tarball holds, publint and attw (arethetypeswrong) on it, and a
// consumer project type-checked against it under the module resolutions people use.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { publint } from 'publint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const temp = mkdtempSync(join(tmpdir(), 'descent-package-'));
const consumer = join(temp, 'consumer');
const installed = join(consumer, 'node_modules', 'descent-wasm');
let tarball = '';
let files: string[] = [];

beforeAll(() => {
  // The npm running this (node_modules/.bin/npm is an old npm 6 that as-pect's dependencies bring).
  const npm = process.env.npm_execpath ?? join(dirname(process.execPath), 'npm');
  const packed = execFileSync(process.execPath, [npm, 'pack', '--ignore-scripts', '--json', '--pack-destination', temp], { cwd: root, encoding: 'utf8' });
  files = (JSON.parse(packed) as [{ files: { path: string }[] }])[0].files.map((file) => file.path);
  tarball = join(temp, readdirSync(temp).find((name) => name.endsWith('.tgz'))!);
  mkdirSync(installed, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1']);
  // its one runtime dependency, which a consumer's install would bring
  symlinkSync(join(root, 'node_modules', 'comlink'), join(consumer, 'node_modules', 'comlink'));
}, 120_000);
afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe('the packed package', () => {
  it('holds the built library and its TypeScript sources, the three WASM builds, the benchmarks\' modules, the CLI and its data, and nothing of the tests', () => {
    for (const needed of ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts', 'dist/node.js', 'dist/node.d.ts',
      'dist/bench/index.js', 'dist/bench/index.d.ts', 'dist/worker/entry.node.js', 'dist/worker/entry.web.js', 'src/index.ts',
      'build/relaxed.wasm', 'build/simd.wasm', 'build/scalar.wasm', 'build/bench-simd.wasm', 'build/bench-relaxed.wasm', 'bin/descent.mjs', 'data/digits.csv.gz', 'data/random.mjs',
      'python/descent_torch.py', 'python/pyproject.toml', 'python/README.md']) {
      expect(files, needed).toContain(needed);
    }
    // bench/ at the top is the repository's Node benchmarks; dist/bench/ is the descent-wasm/bench entry
    expect(files.filter((path) => /(^|\/)(__tests__|test|assembly|demo)\/|^bench\//.test(path))).toEqual([]);
    expect(files.filter((path) => /\.(wat|spec\.ts)$/.test(path) || path.startsWith('build/') && !path.endsWith('.wasm'))).toEqual([]);
    expect(files.filter((path) => path.startsWith('src/') && !path.endsWith('.ts'))).toEqual([]);
  });

  it('ships python/ as the repository has it (pip install ./node_modules/descent-wasm/python), and its version is the package\'s', () => {
    for (const file of ['descent_torch.py', 'pyproject.toml', 'README.md']) {
      expect(readFileSync(join(installed, 'python', file), 'utf8'), file).toBe(readFileSync(join(root, 'python', file), 'utf8'));
    }
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    expect(readFileSync(join(root, 'python', 'pyproject.toml'), 'utf8')).toContain(`version = "${version}"`);
  });

  it('every source map and declaration map points at a file the package ships (src/ ships with them)', () => {
    const maps = files.filter((path) => path.endsWith('.js.map') || path.endsWith('.d.ts.map'));
    expect(maps.filter((path) => path.endsWith('.d.ts.map')).length).toBeGreaterThan(10);
    const shipped = new Set(files);
    for (const path of maps) {
      const map = JSON.parse(readFileSync(join(installed, path), 'utf8')) as { sources: string[]; sourceRoot?: string };
      expect(map.sources.length, path).toBeGreaterThan(0);
      for (const source of map.sources) {
        const target = posix.normalize(posix.join(posix.dirname(path), map.sourceRoot ?? '', source));
        expect(shipped.has(target), `${path} → ${source}`).toBe(true);
      }
    }
  });

  it('passes publint with no error, warning or suggestion', async () => {
    const { messages } = await publint({ pkgDir: installed, level: 'suggestion', pack: false });
    expect(messages).toEqual([]);
  });

  it('passes attw (arethetypeswrong) for every entry point; ESM-only by design (require() is not offered)', () => {
    const attw = join(root, 'node_modules', '.bin', 'attw');
    // exits non-zero (execFileSync throws, with attw's table in the message) on any problem not ignored
    const output = execFileSync(attw, [tarball, '--ignore-rules', 'cjs-resolves-to-esm', '--format', 'table-flipped'], { encoding: 'utf8' });
    expect(output).toContain('No problems found');
  });

  // A consumer's program using every entry point, and every TypeScript/JS block of the README, must
  // type-check with the library's .d.ts files read in full (skipLibCheck off) and without @types/node
  // (a browser app has none): the oldest TypeScript the package supports (5.0), the one this
  // repository builds with, and the current major (7, the native compiler). TypeScript's ES5 default
  // target cannot read private class fields (#x) in any .d.ts: consumers target ES2015 or later.
  const compilers = ['typescript-5.0', 'typescript', 'typescript-7.0'].map((name) => {
    const { version } = JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string };
    return { name, version, major: Number(version.split('.')[0]), tsc: join(root, 'node_modules', name, 'bin', 'tsc') };
  });
  const resolutions: [string, Record<string, string>][] = [
    ['nodenext', { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022' }],
    ['bundler', { module: 'esnext', moduleResolution: 'bundler', target: 'es2022' }],
    // the README's blocks use top-level await: an ES module output; node10 resolution is the point
    ['node10', { module: 'es2022', moduleResolution: 'node10', target: 'es2020' }],
  ];

  /** The README's fenced js/ts blocks (```js browser included), each as [file name, code]. */
  function readmeBlocks(): [string, string][] {
    const lines = readFileSync(join(root, 'README.md'), 'utf8').split('\n');
    const blocks: [string, string][] = [];
    for (let i = 0; i < lines.length; i++) {
      const open = /^```(js|ts)\b/.exec(lines[i]!);
      if (!open) continue;
      const start = i + 1;
      const body: string[] = [];
      for (i++; lines[i] !== '```'; i++) body.push(lines[i]!);
      blocks.push([`readme-line-${start}.${open[1]}`, `${body.join('\n')}\n`]);
    }
    return blocks;
  }

  /** tsc's output for `files` in the consumer project with `options` (strict, skipLibCheck off), '' when clean. */
  function typeCheck(tsc: string, name: string, files: string[], options: Record<string, unknown>): string {
    const config = join(consumer, `tsconfig.${name}.json`);
    writeFileSync(config, JSON.stringify({ compilerOptions: { strict: true, noEmit: true, skipLibCheck: false, allowJs: true, checkJs: true, ...options }, files }));
    try {
      execFileSync(process.execPath, [tsc, '-p', config], { cwd: consumer, encoding: 'utf8' });
      return '';
    } catch (error) {
      return String((error as { stdout?: string }).stdout || error);
    }
  }

  const programFiles: string[] = [];
  beforeAll(() => {
    // an ES module project, as a consumer of an ESM-only package is; no node_modules/@types at all
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    writeFileSync(join(consumer, 'consumer.ts'), [
      "import { createTrainer, loadKernels, type History, type TrainerSpec } from 'descent-wasm';",
      "import { readCheckpoint, writeCheckpoint } from 'descent-wasm/node';",
      "import { runBenchmarks, type BenchmarkRow } from 'descent-wasm/bench';",
      "const spec: TrainerSpec = { inputSize: 2, layers: [{ units: 4, activation: 'relu' }, { units: 1 }], loss: 'mse', optimizer: 'adam' };",
      'export async function main(): Promise<number> {',
      '  const k = await loadKernels();',
      '  const t = await createTrainer(spec);',
      '  const history: History = await t.fit(new Float32Array(8), new Float32Array(4), { epochs: 2 });',
      "  await writeCheckpoint('model.safetensors', await t.save());",
      "  await t.load(await readCheckpoint('model.safetensors'));",
      '  for await (const event of t.fitStream(new Float32Array(8), new Float32Array(4))) if (event.type === \'epoch\') break;',
      '  await t.dispose();',
      "  const rows: BenchmarkRow[] = await runBenchmarks({ quick: true, cases: ['mse N=1e4'] });",
      "  return history.epochs.length + rows.length + (k.loss('mse', [1], [2]).value as number);",
      '}',
      '',
    ].join('\n'));
    // loss()'s result type follows its options: a number and a gradient unless they say otherwise
    writeFileSync(join(consumer, 'loss-types.ts'), [
      "import { loadKernels, type LossOptions } from 'descent-wasm';",
      'const k = await loadKernels();',
      "export const plain: number = k.loss('mse', [1], [0]).value;",
      "export const smoothed: number = k.loss('softmax_cross_entropy', [1, 0], [0], { labelSmoothing: 0.1 }).value;",
      "export const items: Float32Array = k.loss('mse', [1], [0], { reduction: 'none' }).value;",
      "export const summed: Float32Array = k.loss('mse', [1], [0], { reduction: 'sum' }).grad;",
      "export const skipped: null = k.loss('mse', [1], [0], { grad: false }).grad;",
      'const chosen: LossOptions = {};',
      "// @ts-expect-error options known only as LossOptions may ask for reduction 'none'",
      "export const unsure: number = k.loss('mse', [1], [0], chosen).value;",
      '// @ts-expect-error … or grad: false',
      "export const unsureGrad: Float32Array = k.loss('mse', [1], [0], chosen).grad;",
      '',
    ].join('\n'));
    programFiles.push('consumer.ts', 'loss-types.ts');
    for (const [file, code] of readmeBlocks()) {
      writeFileSync(join(consumer, file), code);
      programFiles.push(file);
    }
  });

  const cases = compilers.flatMap((compiler) => resolutions
    // TypeScript 7 removed moduleResolution node10 (TS5108): no consumer on it can use that resolution
    .filter(([resolution]) => !(compiler.major >= 7 && resolution === 'node10'))
    .map(([resolution, options]) => [compiler.version, resolution, compiler.tsc, options] as const));
  it.each(cases)('TypeScript %s type-checks a consumer of every entry point and every README block under %s resolution, without @types/node', (version, resolution, tsc, options) => {
    expect(programFiles.filter((file) => file.startsWith('readme-')).length).toBeGreaterThan(5);
    expect(typeCheck(tsc, `${resolution}-${version}`, programFiles, options)).toBe('');
  });

  // `await using` for consumers whose lib has esnext.disposable (TypeScript ≥ 5.2), alone or with
  // @types/node: the package's own declaration of Symbol.asyncDispose must merge with theirs.
  it.each(compilers.filter((compiler) => compiler.major >= 6 || compiler.name === 'typescript').map((c) => [c.version, c.tsc] as const))(
    'TypeScript %s type-checks `await using` on both trainers with lib esnext.disposable, with and without @types/node',
    (version, tsc) => {
      writeFileSync(join(consumer, 'using.ts'), [
        "import { createTrainer } from 'descent-wasm';",
        'export async function scoped(): Promise<number> {',
        "  await using inWorker = await createTrainer({ inputSize: 2, layers: [{ units: 1 }], loss: 'mse' });",
        "  await using inThread = await createTrainer({ inputSize: 2, layers: [{ units: 1 }], loss: 'mse' }, { worker: false });",
        '  return inWorker.model.inputSize + inThread.model.inputSize;',
        '}',
        '',
      ].join('\n'));
      const options = { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2022', 'esnext.disposable', 'dom'] };
      expect(typeCheck(tsc, `using-${version}`, ['using.ts'], options)).toBe('');
      const withNode = { ...options, typeRoots: [join(root, 'node_modules', '@types')], types: ['node'] };
      expect(typeCheck(tsc, `using-node-${version}`, ['using.ts'], withNode)).toBe('');
    },
  );
});
