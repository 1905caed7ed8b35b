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
import { describe, expect, it } from 'vitest';
import { createTrainer, type LayerSpec } from '../src/index.js';
import { BUILDS, type Build } from './reference/builds.js';
import { FLOOR, K, relArray, trainingErrors, type TrainingCase, type TrainingResult } from './reference/golden.js';
import { runLayer } from './reference/layer-run.js';

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

const golden = JSON.parse(readFileSync(new URL('./fixtures/torch/layers_recurrent.json', import.meta.url), 'utf8')) as {
  layers: LayerCase[];
  training: TrainingCase[];
};

function expectWithin(errors: Record<string, number>, d32: Record<string, number>, what: string): void {
  const tol = Math.max(K * Math.max(...Object.values(d32)), FLOOR);
  const over = Object.entries(errors).filter(([, e]) => !(e <= tol));
  expect(over.map(([name, e]) => `${name}: ${e.toExponential(2)}`), `${what}: tolerance ${tol.toExponential(2)}`).toEqual([]);
}

const layerErrors = (a: Record<string, number[]>, r: Record<string, number[]>) =>
  Object.fromEntries(Object.keys(r).map((name) => [name, relArray(a[name], r[name]!)]));

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

describe.each(BUILDS)('lstm and gru vs torch (%s build)', (build) => {
  it.each(golden.layers.map((c) => [c.name, c] as const))('layer: %s', async (name, c) => {
    const weights = Object.fromEntries(Object.entries(c.weights).map(([tensor, v]) => [tensor.slice(tensor.indexOf('.') + 1), v]));
    const got = await runLayer({ layer: c.layer as unknown as Record<string, unknown>, inputShape: c.inputShape, rows: c.rows, weights, x: c.x, g: c.g }, build);
    expectWithin(layerErrors(got, c.float64), layerErrors(c.float32, c.float64), name);
  });

  it.each(golden.training.map((c) => [c.name, c] as const))('training: %s', async (name, c) => {
    expectWithin(trainingErrors(await runTraining(c, build), c.float64), trainingErrors(c.float32, c.float64), name);
  });
});
