// The package as npm publishes it: `npm pack` (scripts skipped: `npm test` has just built dist/ and
// the WASM files), then what the tarball holds, publint and attw (arethetypeswrong) on it, and a
// consumer project type-checked against it under the module resolutions people use.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
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
  // its one runtime dependency a consumer's install would bring, and Node's types for descent-wasm/node
  symlinkSync(join(root, 'node_modules', 'comlink'), join(consumer, 'node_modules', 'comlink'));
  mkdirSync(join(consumer, 'node_modules', '@types'));
  symlinkSync(join(root, 'node_modules', '@types', 'node'), join(consumer, 'node_modules', '@types', 'node'));
}, 120_000);
afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe('the packed package', () => {
  it('holds the built library, the three WASM builds, the benchmarks\' modules, the CLI and its data, and nothing of the tests or sources', () => {
    for (const needed of ['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts', 'dist/node.js', 'dist/node.d.ts',
      'dist/bench/index.js', 'dist/bench/index.d.ts', 'dist/worker/entry.node.js', 'dist/worker/entry.web.js',
      'build/relaxed.wasm', 'build/simd.wasm', 'build/scalar.wasm', 'build/bench-simd.wasm', 'build/bench-relaxed.wasm', 'bin/descent.mjs', 'data/digits.csv.gz', 'data/random.mjs',
      'python/descent_torch.py', 'python/pyproject.toml', 'python/README.md']) {
      expect(files, needed).toContain(needed);
    }
    // bench/ at the top is the repository's Node benchmarks; dist/bench/ is the descent-wasm/bench entry
    expect(files.filter((path) => /(^|\/)(__tests__|test|src|assembly|demo)\/|^bench\//.test(path))).toEqual([]);
    expect(files.filter((path) => /\.(wat|spec\.ts)$/.test(path) || path.startsWith('build/') && !path.endsWith('.wasm'))).toEqual([]);
  });

  it('ships python/ as the repository has it (pip install ./node_modules/descent-wasm/python), and its version is the package\'s', () => {
    for (const file of ['descent_torch.py', 'pyproject.toml', 'README.md']) {
      expect(readFileSync(join(installed, 'python', file), 'utf8'), file).toBe(readFileSync(join(root, 'python', file), 'utf8'));
    }
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    expect(readFileSync(join(root, 'python', 'pyproject.toml'), 'utf8')).toContain(`version = "${version}"`);
  });

  it('source maps carry their sources (src/ is not shipped)', () => {
    const maps = files.filter((path) => path.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(10);
    for (const path of maps) {
      const map = JSON.parse(readFileSync(join(installed, path), 'utf8')) as { sources: string[]; sourcesContent?: (string | null)[] };
      expect(map.sourcesContent?.length, path).toBe(map.sources.length);
      expect(map.sourcesContent!.every((source) => typeof source === 'string' && source.length > 0), path).toBe(true);
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

  // A consumer's program using every entry point; it must type-check with the library's .d.ts files
  // read in full (skipLibCheck off). TypeScript's ES5 default target cannot read private class
  // fields (#x) in any .d.ts: consumers target ES2015 or later, as `tsc --init` does.
  const resolutions: [string, Record<string, string>][] = [
    ['nodenext', { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022' }],
    ['bundler', { module: 'esnext', moduleResolution: 'bundler', target: 'es2022' }],
    ['node10', { module: 'commonjs', moduleResolution: 'node10', target: 'es2020' }],
  ];
  it.each(resolutions)('type-checks a consumer project under %s resolution', (name, options) => {
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
      '  await t.dispose();',
      "  const rows: BenchmarkRow[] = await runBenchmarks({ quick: true, cases: ['mse N=1e4'] });",
      "  return history.epochs.length + rows.length + (k.loss('mse', [1], [2]).value as number);",
      '}',
      '',
    ].join('\n'));
    const config = join(consumer, `tsconfig.${name}.json`);
    writeFileSync(config, JSON.stringify({ compilerOptions: { strict: true, noEmit: true, skipLibCheck: false, ...options }, files: ['consumer.ts'] }));
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    let output = '';
    try {
      execFileSync(process.execPath, [tsc, '-p', config], { cwd: consumer, encoding: 'utf8' });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error);
    }
    expect(output).toBe('');
  });
});
