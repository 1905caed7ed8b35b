// descent's pooling layers against PyTorch itself, from golden files (no torch at test time).
//
// test/fixtures/torch/layers_pool.py runs each layer in torch (nn.MaxPool2d, nn.AvgPool2d with
// count_include_pad, nn.MaxPool1d, nn.AvgPool1d, AdaptiveAvgPool + Flatten for globalavgpool) between
// permutes to and from channels-first, in float64 and in float32, and records:
// - layer cases: the output and the input gradient of Σ out ⊙ dy, on distinct inputs and on inputs
//   with repeated values (max pooling ties go to the first maximum, as torch's CPU kernels);
// - training cases: a small model (pooling + flatten or globalavgpool + dense) trained a few epochs
//   with SGD + momentum on mse, in a fixed order: final weights, each epoch's loss, predict().
// Each runs here on every build (relaxed, simd, scalar). Error: max |a − r| / max |r| per array (per weight tensor), and
// |a − r| / |r| per epoch loss; tolerance max(K · d32, FLOOR) with d32 the same error between torch's
// float32 and float64 runs, as test/golden.torch.test.ts explains (K = 8, FLOOR = 1e-6: max pooling
// is exact in float32, so only the few float32 roundings of sums remain).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createTrainer, loadKernels, type TrainerSpec } from '../src/index.js';
import { layerFromSpec } from '../src/model/layers/index.js';
import { FLOOR, K, relArray, relEach } from './reference/golden.js';
import { BUILDS, type Build } from './reference/builds.js';


interface LayerGolden {
  name: string;
  layer: Record<string, unknown>;
  inputShape: number[];
  outputShape: number[];
  rows: number;
  x: number[];
  dy: number[];
  float64: { out: number[]; dx: number[] };
  float32: { out: number[]; dx: number[] };
}

interface TrainResult {
  weights: Record<string, number[]>;
  losses: number[];
  predict: number[];
}

interface TrainingGolden {
  name: string;
  spec: TrainerSpec;
  rows: number;
  x: number[];
  y: number[];
  initialWeights: Record<string, number[]>;
  fit: { epochs: number; batchSize: number };
  float64: TrainResult;
  float32: TrainResult;
}

const golden = JSON.parse(readFileSync(new URL('./fixtures/torch/layers_pool.json', import.meta.url), 'utf8')) as {
  torch: string; layers: LayerGolden[]; training: TrainingGolden[];
};

function trainErrors(a: TrainResult, r: TrainResult): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of Object.keys(r.weights)) out[`weight ${name}`] = relArray(a.weights[name] ?? [], r.weights[name]!);
  out['epoch losses'] = relEach(a.losses, r.losses);
  out.predict = relArray(a.predict, r.predict);
  return out;
}

/** Runs one layer's forward and backward on the golden rows, straight through the layer module. */
async function runLayer(c: LayerGolden, build: Build): Promise<{ out: Float32Array; dx: Float32Array }> {
  const k = await loadKernels({ build });
  const layer = layerFromSpec(c.layer, 'layers[0]', 0, c.inputShape);
  expect(layer.outputShape).toEqual(c.outputShape);
  const x = k.alloc(c.rows * layer.inputSize);
  const out = k.alloc(c.rows * layer.outputSize);
  const dOut = k.alloc(c.rows * layer.outputSize);
  const dx = k.alloc(c.rows * layer.inputSize);
  const buffers = Object.fromEntries(Object.entries(layer.buffers).map(([name, perRow]) => [name, k.alloc(c.rows * perRow).ptr]));
  x.array.set(c.x);
  dx.array.fill(NaN); // backward must write every input position
  const args = {
    x: x.ptr, rows: c.rows, out: out.ptr, buffers, params: [], states: [], gemmScratch: 0,
    training: { seed: 0, step: 0, firstRow: 0 }, dOut: dOut.ptr, dx: dx.ptr, grads: [], inputs: [x.ptr], dxs: [dx.ptr], trainable: true,
  };
  layer.forward(k.raw, args);
  dOut.array.set(c.dy);
  layer.backward(k.raw, args);
  return { out: Float32Array.from(out.array), dx: Float32Array.from(dx.array) };
}

describe.each(BUILDS)(`pooling layers vs torch ${golden.torch} (%s build)`, (build) => {
  it.each(golden.layers.map((c) => [c.name, c] as const))('layer: %s', async (_name, c) => {
    const d32 = Math.max(relArray(c.float32.out, c.float64.out), relArray(c.float32.dx, c.float64.dx));
    const tol = Math.max(K * d32, FLOOR);
    const got = await runLayer(c, build);
    expect(relArray(got.out, c.float64.out), 'output').toBeLessThanOrEqual(tol);
    expect(relArray(got.dx, c.float64.dx), 'input gradient').toBeLessThanOrEqual(tol);
  });

  it.each(golden.training.map((c) => [c.name, c] as const))('training: %s', async (_name, c) => {
    const d32 = Math.max(...Object.values(trainErrors(c.float32, c.float64)));
    const tol = Math.max(K * d32, FLOOR);
    const trainer = await createTrainer(c.spec, { worker: false, build });
    try {
      trainer.setWeights(c.initialWeights);
      const x = Float32Array.from(c.x);
      const history = await trainer.fit(x, Float32Array.from(c.y), { epochs: c.fit.epochs, batchSize: c.fit.batchSize, shuffle: false });
      const got: TrainResult = {
        weights: Object.fromEntries(Object.entries(trainer.getWeights()).map(([name, v]) => [name, Array.from(v)])),
        losses: history.epochs.map((e) => e.loss),
        predict: Array.from(await trainer.predict(x)),
      };
      const over = Object.entries(trainErrors(got, c.float64)).filter(([, e]) => !(e <= tol));
      expect(over, `tolerance ${tol.toExponential(2)} (d32 ${d32.toExponential(2)})`).toEqual([]);
    } finally {
      await trainer.dispose();
    }
  });
});
