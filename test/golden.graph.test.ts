// Graph models and frozen layers against PyTorch, from golden files (test/fixtures/torch/graph.py
// writes test/fixtures/torch/graph.json; no torch at test time), on every WASM build: a short
// training run through the Trainer from torch's initial weights, shuffle off — residual (add) and
// concat models, a frozen base with a frozen batchnorm (running statistics) under AdamW's weight
// decay, a frozen layer inside a residual block. Compared: final weights and running statistics,
// epoch losses, evaluate() and predict(), relative to torch's float64 run, within K times torch's own
// float32 distance (at least FLOOR), as test/golden.layers.conv.test.ts; and the frozen layers'
// tensors bit-identical to where they started (torch with requires_grad=False does not touch them).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createTrainer } from '../src/index.js';
import { FLOOR, K, trainingErrors, type TrainingCase, type TrainingResult } from './reference/golden.js';
import { BUILDS, type Build } from './reference/builds.js';

const golden = JSON.parse(readFileSync(new URL('./fixtures/torch/graph.json', import.meta.url), 'utf8')) as { training: TrainingCase[] };

/** The checkpoint names of the spec's frozen layers' tensors. */
function frozenTensors(c: TrainingCase): string[] {
  const frozen = new Set(c.spec.layers.flatMap((layer, i) => ((layer as { trainable?: boolean }).trainable === false ? [i] : [])));
  return Object.keys(c.initialWeights).filter((name) => frozen.has(Number(name.split('.')[0])));
}

async function runTraining(c: TrainingCase, build: Build): Promise<TrainingResult & { frozen: Record<string, Float32Array> }> {
  const trainer = await createTrainer(c.spec, { worker: false, build });
  try {
    trainer.setWeights(c.initialWeights);
    const x = Float32Array.from(c.x);
    const y = c.targets === 'index' ? Int32Array.from(c.y) : Float32Array.from(c.y);
    const history = await trainer.fit(x, y, { ...c.fit, shuffle: false });
    expect(history.epochs).toHaveLength(c.fit.epochs);
    const weights = trainer.getWeights();
    return {
      weights: Object.fromEntries(Object.entries(weights).map(([name, v]) => [name, Array.from(v)])),
      frozen: Object.fromEntries(frozenTensors(c).map((name) => [name, weights[name]!])),
      losses: history.epochs.map((e) => e.loss),
      evaluate: (await trainer.evaluate(x, y)).loss,
      predict: Array.from(await trainer.predict(x)),
    };
  } finally {
    await trainer.dispose();
  }
}

describe.each(BUILDS)('graph models vs torch (%s build)', (build) => {
  it.each(golden.training.map((c) => [c.name, c] as const))('training: %s', async (name, c) => {
    const result = await runTraining(c, build);
    const errors = trainingErrors(result, c.float64);
    const tol = Math.max(K * Math.max(...Object.values(trainingErrors(c.float32, c.float64))), FLOOR);
    const over = Object.entries(errors).filter(([, e]) => !(e <= tol));
    expect(over.map(([what, e]) => `${what}: ${e.toExponential(2)}`), `${name}: tolerance ${tol.toExponential(2)}`).toEqual([]);
    for (const [tensor, values] of Object.entries(result.frozen)) {
      expect(values, `${tensor} is frozen`).toEqual(Float32Array.from(c.initialWeights[tensor]!));
    }
  });

  it('the golden file has frozen layers to check', () => {
    expect(golden.training.flatMap(frozenTensors).length).toBeGreaterThan(3);
  });
});
