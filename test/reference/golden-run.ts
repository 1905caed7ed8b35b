// What the golden-file tests of layers run and how they judge it: a recorded training case replayed
// through the Trainer, one layer's case through its own passes, and the tolerance rule of
// test/reference/golden.ts applied to every quantity at once (the failure lists each one over it).
import { expect } from 'vitest';
import { createTrainer, type LayerSpec } from '../../src/index.js';
import type { Build } from './builds.js';
import { FLOOR, K, relArray, type TrainingCase, type TrainingResult } from './golden.js';
import { runLayer } from './layer-run.js';

/** One layer on a small batch as a generator records it: inputs, `{0}.{tensor}` weights, torch's results. */
export interface LayerCase {
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

/** Every error at most K times torch's own float32 error of the case (its largest), and at least FLOOR. */
export function expectWithin(errors: Record<string, number>, d32: Record<string, number>, what: string): void {
  const tol = Math.max(K * Math.max(...Object.values(d32)), FLOOR);
  const over = Object.entries(errors).filter(([, e]) => !(e <= tol));
  expect(over.map(([name, e]) => `${name}: ${e.toExponential(2)}`), `${what}: tolerance ${tol.toExponential(2)}`).toEqual([]);
}

/** Per recorded quantity (output, dx, d{tensor}): max |a − r| / max |r|. */
export const layerErrors = (a: Record<string, number[]>, r: Record<string, number[]>) =>
  Object.fromEntries(Object.keys(r).map((name) => [name, relArray(a[name], r[name]!)]));

/** The case's layer through its own forward and backward (test/reference/layer-run.ts). */
export function runLayerCase(c: LayerCase, build: Build): Promise<Record<string, number[]>> {
  const weights = Object.fromEntries(Object.entries(c.weights).map(([tensor, v]) => [tensor.slice(tensor.indexOf('.') + 1), v]));
  return runLayer({ layer: c.layer as unknown as Record<string, unknown>, inputShape: c.inputShape, rows: c.rows, weights, x: c.x, g: c.g }, build);
}

/** The case's fit from its initial weights, shuffle off, then evaluate() and predict() on its rows (token ids as Int32 for an embedding first layer). */
export async function runTrainingCase(c: TrainingCase, build: Build): Promise<TrainingResult> {
  const trainer = await createTrainer(c.spec, { worker: false, build });
  try {
    trainer.setWeights(c.initialWeights);
    const ids = (c.spec.layers[0] as { type?: string }).type === 'embedding';
    const x = ids ? Int32Array.from(c.x) : Float32Array.from(c.x);
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
