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
import { describe, it } from 'vitest';
import { BUILDS } from './reference/builds.js';
import { trainingErrors, type TrainingCase } from './reference/golden.js';
import { expectWithin, type LayerCase, layerErrors, runLayerCase, runTrainingCase } from './reference/golden-run.js';

const golden = JSON.parse(readFileSync(new URL('./fixtures/torch/layers_conv.json', import.meta.url), 'utf8')) as {
  layers: LayerCase[];
  training: TrainingCase[];
};

describe.each(BUILDS)('conv layers vs torch (%s build)', (build) => {
  it.each(golden.layers.map((c) => [c.name, c] as const))('layer: %s', async (name, c) => {
    expectWithin(layerErrors(await runLayerCase(c, build), c.float64), layerErrors(c.float32, c.float64), name);
  });

  it.each(golden.training.map((c) => [c.name, c] as const))('training: %s', async (name, c) => {
    expectWithin(trainingErrors(await runTrainingCase(c, build), c.float64), trainingErrors(c.float32, c.float64), name);
  });
});
