// The three WASM builds: which one loads, how it is chosen and refused, and that the relaxed build
// really is the fused one. Results of the builds are compared with float64 references in every kernel
// and training test (test/reference/builds.ts lists the builds they run on).
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { createTrainer, loadKernels, relaxedSimdSupported, supportedBuilds } from '../src/index.js';
import { requestedBuild } from '../src/wasm/builds.js';
// @ts-expect-error: plain JavaScript module without declarations
import { loadDigits } from '../data/datasets.mjs';

const spec = { inputSize: 3, layers: [{ units: 2 }], loss: 'mse' as const, optimizer: 'sgd' as const, seed: 1 };

describe('builds', () => {
  it('the test run has relaxed SIMD on, so no build is skipped', () => {
    expect(relaxedSimdSupported()).toBe(true);
    expect(supportedBuilds()).toEqual(['relaxed', 'simd', 'scalar']);
  });

  it('loads each build on request and the fastest by default', async () => {
    for (const build of ['relaxed', 'simd', 'scalar'] as const) {
      const k = await loadKernels({ build });
      expect(k.build).toBe(build);
      expect(k.simd).toBe(build !== 'scalar');
    }
    expect((await loadKernels()).build).toBe('relaxed');
    expect((await loadKernels({ simd: true })).build).toBe('simd');
    expect((await loadKernels({ simd: false })).build).toBe('scalar');
  });

  it('a trainer reports its build, in a worker and in this thread', async () => {
    for (const worker of [false, true]) {
      for (const build of ['relaxed', 'simd', 'scalar'] as const) {
        const t = await createTrainer(spec, { worker, build });
        try {
          expect(t.info.build).toBe(build);
        } finally {
          await t.dispose();
        }
      }
      const t = await createTrainer(spec, { worker });
      expect(t.info.build).toBe('relaxed');
      await t.dispose();
    }
  });

  it('refuses unknown and contradictory builds with the accepted forms', async () => {
    await expect(loadKernels({ build: 'fast' as never })).rejects.toThrow(new RangeError('loadKernels: build must be one of \'relaxed\', \'simd\', \'scalar\'; got "fast"'));
    await expect(loadKernels({ build: 'relaxed', simd: false })).rejects.toThrow("loadKernels: build 'relaxed' contradicts simd: false; give one of them");
    await expect(createTrainer(spec, { build: 'SIMD' as never })).rejects.toThrow(new RangeError('createTrainer: build must be one of \'relaxed\', \'simd\', \'scalar\'; got "SIMD"; did you mean \'simd\'?'));
    await expect(createTrainer(spec, { build: 'scalar', simd: true })).rejects.toThrow(/contradicts simd: true/);
    expect(requestedBuild({ build: 'relaxed', simd: true }, 'x')).toBe('relaxed'); // both SIMD
  });

  it('Node 20 without the flag falls back to the SIMD build and refuses relaxed with the reason', () => {
    if (Number(process.versions.node.split('.')[0]) >= 22) return; // relaxed SIMD cannot be turned off there
    const script = `
      import { loadKernels } from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)};
      const k = await loadKernels();
      const refused = await loadKernels({ build: 'relaxed' }).then(() => 'loaded', (e) => e.message);
      console.log(JSON.stringify({ build: k.build, refused }));`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({
      build: 'simd',
      refused: "the relaxed build was requested but this engine does not support WebAssembly relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd; WebKit has it off); use build 'simd'",
    });
  });

  it('the relaxed build fuses its multiply-adds and the SIMD build does not', async () => {
    const relaxed = await readFile(new URL('../build/relaxed.wat', import.meta.url), 'utf8');
    const simd = await readFile(new URL('../build/simd.wat', import.meta.url), 'utf8');
    expect(relaxed.match(/f32x4\.relaxed_fma/g)?.length ?? 0).toBeGreaterThan(10); // binaryen's name for relaxed_madd
    expect(simd).not.toMatch(/f32x4\.relaxed_/);
  });

  it('the three builds train the same network to within 1e-5 of each other (the tolerance README states)', async () => {
    // a fused multiply-add rounds once where the SIMD and scalar builds round twice: the weights
    // drift apart by rounding only (4e-7 of the largest weight measured after these 145 Adam steps)
    const digits = loadDigits() as { x: Float32Array; y: Int32Array };
    const mlp = {
      inputSize: 64, layers: [{ units: 32, activation: 'relu' as const }, { units: 10 }], loss: 'softmax_cross_entropy' as const,
      optimizer: { name: 'adam' as const, learningRate: 0.01 }, seed: 5, normalize: true,
    };
    const trained = [];
    for (const build of supportedBuilds()) {
      const t = await createTrainer(mlp, { worker: false, build });
      const history = await t.fit(digits.x, digits.y, { epochs: 5, batchSize: 64 });
      trained.push({ build, loss: history.epochs.at(-1)!.loss, weights: t.getWeights() });
      await t.dispose();
    }
    expect(trained.map((t) => t.build)).toEqual(['relaxed', 'simd', 'scalar']);
    const [first, ...others] = trained;
    for (const other of others) {
      let largest = 0;
      let difference = 0;
      for (const [name, w] of Object.entries(first!.weights)) {
        const v = other.weights[name]!;
        for (let i = 0; i < w.length; i++) {
          largest = Math.max(largest, Math.abs(w[i]!));
          difference = Math.max(difference, Math.abs(w[i]! - v[i]!));
        }
      }
      expect(difference / largest, `${first!.build} vs ${other.build}`).toBeLessThan(1e-5);
      expect(Math.abs(other.loss - first!.loss) / first!.loss).toBeLessThan(1e-5);
    }
  });
});
