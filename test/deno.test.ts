// Deno imports the package by name and runs every build: relaxed, simd, scalar (deno comes from npm as a devDependency).
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Runs `code` as a module at the package root under Deno with `flags` (the README's minimum,
 * `--allow-read`, by default) and returns its output lines.
 */
function runDeno(code: string, flags = ['--allow-read']): string[] {
  const file = `${root}.deno-check.mjs`;
  writeFileSync(file, code);
  try {
    return execFileSync(`${root}node_modules/.bin/deno`, ['run', ...flags, file], {
      cwd: root,
      encoding: 'utf8',
      timeout: 50_000, // a process that never exits fails the test instead of blocking it
      env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' },
    }).trim().split('\n');
  } finally {
    rmSync(file, { force: true });
  }
}

describe('Deno', () => {
  // Deno runs the trainer in node:worker_threads (its Node compatibility): its web Worker has no
  // unref(), so an idle trainer there would keep the process alive for ever.
  it('trains in a Deno worker thread: callbacks, rebuilt errors, dispose', () => {
    const [result, error] = runDeno(`import { createTrainer } from 'descent-wasm';
const x = new Float32Array([0, 0, 0, 1, 1, 0, 1, 1]);
const y = new Int32Array([0, 1, 1, 0]);
const t = await createTrainer({ inputSize: 2, layers: [{ units: 8, activation: 'tanh' }, { units: 2 }],
  loss: 'softmax_cross_entropy', optimizer: { name: 'adam', learningRate: 0.05 }, seed: 7 });
let epochs = 0;
const h = await t.fit(x, y, { epochs: 300, batchSize: 4, onEpochEnd: () => { epochs++; } });
console.log(JSON.stringify({ worker: t.info.worker, runtime: t.info.runtime, stopReason: h.stopReason, accuracy: h.epochs.at(-1).accuracy, epochs }));
const e = await t.fit(x, new Int32Array(1)).catch((e) => e);
console.log(JSON.stringify({ name: e.name, isRangeError: e instanceof RangeError }));
await t.dispose();
`);
    expect(JSON.parse(result!)).toEqual({ worker: 'worker_threads', runtime: 'deno', stopReason: 'completed', accuracy: 1, epochs: 300 });
    expect(JSON.parse(error!)).toEqual({ name: 'RangeError', isRangeError: true });
  });

  it('trains iris in a Deno Worker, alone and data-parallel with two workers (nested Workers, shared memory)', () => {
    const [line] = runDeno(`import { createTrainer } from 'descent-wasm';
import { loadIris } from './data/datasets.mjs';
const iris = loadIris();
const spec = { inputSize: 4, layers: [{ units: 16, activation: 'relu' }, { units: 3 }], loss: 'softmax_cross_entropy',
  optimizer: { name: 'adam', learningRate: 0.02 }, seed: 3, normalize: true };
const results = [];
for (const workers of [1, 2]) {
  const t = await createTrainer(spec, { workers });
  const h = await t.fit(iris.x, iris.y, { epochs: 40, batchSize: 16 });
  results.push({ workers: t.info.workers, accuracy: h.epochs.at(-1).accuracy, weights: Array.from((await t.getWeights())['0.weight']) });
  await t.dispose();
}
console.log(JSON.stringify(results));
`);
    const [one, two] = JSON.parse(line!) as { workers: number; accuracy: number; weights: number[] }[];
    expect([one!.workers, two!.workers]).toEqual([1, 2]);
    expect(one!.accuracy).toBeGreaterThan(0.9);
    expect(Math.abs(two!.accuracy - one!.accuracy)).toBeLessThanOrEqual(1 / 150);
    const scale = Math.max(...one!.weights.map(Math.abs));
    one!.weights.forEach((w, i) => expect(Math.abs(w - two!.weights[i]!)).toBeLessThan(1e-4 * scale));
  });

  it('without --allow-read, createTrainer and loadKernels reject in the caller naming the flag (no worker dies)', () => {
    const lines = runDeno(`import { createTrainer, loadKernels } from 'descent-wasm';
const spec = { inputSize: 2, layers: [{ units: 2 }], loss: 'mse' };
for (const make of [() => createTrainer(spec), () => createTrainer(spec, { worker: false }), () => loadKernels()]) {
  const error = await make().then(() => null, (e) => e);
  console.log(JSON.stringify({ name: error?.name, message: error?.message }));
}
`, []);
    expect(lines).toHaveLength(3);
    const [worker, inThread, kernels] = lines.map((line) => JSON.parse(line) as { name: string; message: string });
    for (const [error, call] of [[worker, 'createTrainer'], [inThread, 'createTrainer'], [kernels, 'loadKernels']] as const) {
      expect(error!.name).toBe('Error');
      expect(error!.message).toMatch(new RegExp(`^${call}: Deno needs read access to descent-wasm's worker and \\.wasm files in .+: run deno with --allow-read \\(or --allow-read=.+\\)$`));
    }
  });

  it('a Deno script that never disposes its trainer exits', () => {
    const [line] = runDeno(`import { createTrainer } from 'descent-wasm';
const t = await createTrainer({ inputSize: 2, layers: [{ units: 2 }], loss: 'mse' });
const h = await t.fit(new Float32Array([1, 2, 3, 4]), new Float32Array([1, 0, 0, 1]), { epochs: 2 });
console.log(JSON.stringify({ epochs: h.epochs.length }));
`);
    // runDeno waits for the process to end (execFileSync): returning at all is the check
    expect(JSON.parse(line!)).toEqual({ epochs: 2 });
  });

  it('imports descent by package name and computes the worked examples on every build (Deno has relaxed SIMD on)', () => {
    const file = `${root}.deno-check.mjs`;
    writeFileSync(
      file,
      `import { loadKernels } from 'descent-wasm';
for (const build of ['relaxed', 'simd', 'scalar']) {
  const k = await loadKernels({ build });
  const mse = k.loss('mse', [0.8, 1.9, 2.8, 3.7, 4.6], [1, 2, 3, 4, 5]).value;
  const ce = k.loss('cross_entropy', [[0.8, 0.2], [0.5, 0.5], [0.2, 0.8]], [[1, 0], [1, 1], [0, 1]]).value;
  console.log(JSON.stringify({ build: k.build, mse, ce }));
}
`,
    );
    try {
      const output = execFileSync(`${root}node_modules/.bin/deno`, ['run', '--allow-read', file], {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' },
      });
      const runs = output.trim().split('\n').map((line) => JSON.parse(line));
      expect(runs.map((r) => r.build)).toEqual(['relaxed', 'simd', 'scalar']);
      for (const run of runs) {
        expect(run.mse).toBeCloseTo(0.068, 6);
        // −(log .8 + 2 log .5 + log .8) / 3
        expect(run.ce).toBeCloseTo(-(2 * Math.log(0.8) + 2 * Math.log(0.5)) / 3, 6);
      }
    } finally {
      rmSync(file, { force: true });
    }
  });
});
