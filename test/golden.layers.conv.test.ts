// descent's conv2d and conv1d against PyTorch, from golden files (test/fixtures/torch/layers_conv.py
// writes test/fixtures/torch/layers_conv.json; no torch at test time), on both WASM builds:
//   layers    one layer's forward kernels and backward kernels called directly on a small batch:
//             the output, the input gradient and the weight and bias gradients of Σ g·output
//   training  a small CNN (conv layers, flatten, dense head) trained a few epochs through the
//             Trainer from torch's initial weights, shuffle off: final weights, epoch losses,
//             evaluate() and predict()
//
// Errors are relative, as in test/golden.torch.test.ts: per tensor max |a − r| / max |r| against
// torch's float64 run; per epoch loss and for evaluate |a − r| / |r|. Tolerance per case:
// max(K · d32, FLOOR), d32 being the same error of torch's own float32 run of the case. descent
// sums in another order (im2col tiles, the blocked GEMM, SIMD lanes), a different draw of float32
// rounding of the same size, hence K = 8; a wrong index, a missing tap or a padding off by one
// moves results by 1e-2 or more. FLOOR = 1e-6: a few float32 roundings where torch's float32 run
// happens to land almost exactly on float64.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createTrainer, type LayerSpec, loadKernels, type TrainerSpec } from '../src/index.js';
import { layerFromSpec } from '../src/model/layers/index.js';
import type { WasmArray } from '../src/wasm/heap.js';
import { FLOOR, K, relArray, relEach, trainingErrors, type TrainingCase, type TrainingResult } from './reference/golden.js';
import { BUILDS, type Build } from './reference/builds.js';


interface LayerCase {
  name: string;
  layer: LayerSpec;
  inputShape: number[];
  rows: number;
  weights: Record<string, number[]>;
  x: number[];
  g: number[];
  float64: Record<string, number[]>;
  float32: Record<string, number[]>;
}

const golden = JSON.parse(readFileSync(new URL('./fixtures/torch/layers_conv.json', import.meta.url), 'utf8')) as {
  layers: LayerCase[];
  training: TrainingCase[];
};

function expectWithin(errors: Record<string, number>, d32: Record<string, number>, what: string): void {
  const tol = Math.max(K * Math.max(...Object.values(d32)), FLOOR);
  const over = Object.entries(errors).filter(([, e]) => !(e <= tol));
  expect(over.map(([name, e]) => `${name}: ${e.toExponential(2)}`), `${what}: tolerance ${tol.toExponential(2)}`).toEqual([]);
}

/** One layer's output and gradients in descent: its forward and backward kernels on WASM memory. */
async function runLayer(c: LayerCase, build: Build): Promise<Record<string, number[]>> {
  const k = await loadKernels({ build });
  const layer = layerFromSpec(c.layer as unknown as Record<string, unknown>, 'layers[0]', 0, c.inputShape);
  const arrays: WasmArray[] = [];
  const take = (values: number[] | number) => {
    const array = k.alloc(Math.max(1, typeof values === 'number' ? values : values.length));
    arrays.push(array);
    if (typeof values !== 'number') array.array.set(values);
    return array;
  };
  const x = take(c.x);
  const params = layer.tensors.map((t) => take(c.weights[`0.${t.name}`]!));
  const grads = layer.tensors.map((t) => take(t.shape.reduce((a, b) => a * b, 1)));
  const out = take(c.rows * layer.outputSize);
  const dOut = take(c.g);
  const dx = take(c.rows * layer.inputSize);
  const buffers = Object.fromEntries(Object.entries(layer.buffers).map(([name, perRow]) => [name, take(c.rows * perRow).ptr]));
  const scratch = take(layer.gemmScratchFloats(k.raw, c.rows));
  const args = {
    x: x.ptr, rows: c.rows, out: out.ptr, buffers, params: params.map((p) => p.ptr), states: [], gemmScratch: scratch.ptr, training: null,
    dOut: dOut.ptr, dx: dx.ptr, grads: grads.map((g) => g.ptr), inputs: [x.ptr], dxs: [dx.ptr], trainable: true,
  };
  layer.forward(k.raw, args);
  const output = Array.from(out.array);
  layer.backward(k.raw, args);
  const result: Record<string, number[]> = { output, dx: Array.from(dx.array) };
  layer.tensors.forEach((t, i) => { result[`d${t.name}`] = Array.from(grads[i]!.array); });
  for (const array of arrays) array.free();
  return result;
}

async function runTraining(c: TrainingCase, build: Build): Promise<TrainingResult> {
  const trainer = await createTrainer(c.spec, { worker: false, build });
  try {
    trainer.setWeights(c.initialWeights);
    const x = Float32Array.from(c.x);
    const y = c.targets === 'index' ? Int32Array.from(c.y) : Float32Array.from(c.y);
    const history = await trainer.fit(x, y, { ...c.fit, shuffle: false });
    expect(history.epochs).toHaveLength(c.fit.epochs);
    return {
      weights: Object.fromEntries(Object.entries(trainer.getWeights()).map(([name, v]) => [name, Array.from(v)])),
      losses: history.epochs.map((e) => e.loss),
      evaluate: (await trainer.evaluate(x, y)).loss,
      predict: Array.from(await trainer.predict(x)),
    };
  } finally {
    await trainer.dispose();
  }
}

const layerErrors = (a: Record<string, number[]>, r: Record<string, number[]>) =>
  Object.fromEntries(Object.keys(r).map((name) => [name, relArray(a[name] ?? [], r[name]!)]));

describe.each(BUILDS)('conv layers vs torch (%s build)', (build) => {
  it.each(golden.layers.map((c) => [c.name, c] as const))('layer: %s', async (name, c) => {
    expectWithin(layerErrors(await runLayer(c, build), c.float64), layerErrors(c.float32, c.float64), name);
  });

  it.each(golden.training.map((c) => [c.name, c] as const))('training: %s', async (name, c) => {
    expectWithin(trainingErrors(await runTraining(c, build), c.float64), trainingErrors(c.float32, c.float64), name);
  });
});
