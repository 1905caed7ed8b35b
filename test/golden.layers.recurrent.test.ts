// descent's lstm and gru against PyTorch's nn.LSTM / nn.GRU (batch_first, one layer, zero state),
// from golden files (test/fixtures/torch/layers_recurrent.py writes layers_recurrent.json; no torch
// at test time), on every WASM build:
//   layers    one layer's forward and backward called directly on a small batch: the output, the
//             input gradient and the four tensors' gradients of Σ g·output
//   training  recurrent layers and a dense head trained a few Adam steps through the Trainer from
//             the recorded initial weights, shuffle off, the last batch ragged: final weights, epoch
//             losses, evaluate() and predict()
//
// Errors and tolerance as the other golden suites (test/reference/golden.ts): per tensor
// max |a − r| / max |r| against torch's float64 run, at most K times the same error of torch's own
// float32 run of the case, and at least FLOOR. A gate in the wrong block, a missing bias or a step
// off by one moves results by 1e-2 or more.
import { readFileSync } from 'node:fs';
import { describe, it } from 'vitest';
import { BUILDS } from './reference/builds.js';
import { trainingErrors, type TrainingCase } from './reference/golden.js';
import { expectWithin, type LayerCase, layerErrors, runLayerCase, runTrainingCase } from './reference/golden-run.js';

const golden = JSON.parse(readFileSync(new URL('./fixtures/torch/layers_recurrent.json', import.meta.url), 'utf8')) as {
  layers: LayerCase[];
  training: TrainingCase[];
};

describe.each(BUILDS)('lstm and gru vs torch (%s build)', (build) => {
  it.each(golden.layers.map((c) => [c.name, c] as const))('layer: %s', async (name, c) => {
    expectWithin(layerErrors(await runLayerCase(c, build), c.float64), layerErrors(c.float32, c.float64), name);
  });

  it.each(golden.training.map((c) => [c.name, c] as const))('training: %s', async (name, c) => {
    expectWithin(trainingErrors(await runTrainingCase(c, build), c.float64), trainingErrors(c.float32, c.float64), name);
  });
});
