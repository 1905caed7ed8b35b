// What the PyTorch golden-file tests share: the error metrics (the same as the generators'
// distance()) and the tolerance rule — K times how far torch's float32 run lands from its float64
// run on the same case, at least FLOOR (a handful of float32 roundings, 2⁻²⁴ ≈ 6e-8 each).

import type { TrainerSpec } from '../../src/index.js';

export const K = 8;
export const FLOOR = 1e-6;

/** max |a − r| / max |r| over one array (Infinity when a is missing or of another length). */
export function relArray(a: ArrayLike<number> | undefined, r: ArrayLike<number>): number {
  if (!a || a.length !== r.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < r.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - r[i]!));
    scale = Math.max(scale, Math.abs(r[i]!));
  }
  return diff / Math.max(scale, 1e-30);
}

/** max over i of |a_i − r_i| / |r_i| (Infinity for another length). */
export function relEach(a: readonly number[], r: readonly number[]): number {
  if (a.length !== r.length) return Infinity;
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - r[i]!) / Math.max(Math.abs(r[i]!), 1e-30)), 0);
}

/** A short training run as the layer generators record it, in float64 and float32. */
export interface TrainingResult {
  weights: Record<string, number[]>;
  losses: number[];
  evaluate: number;
  predict: number[];
}

/** A short training run: the spec, the data, the initial weights and fit's options, and torch's results. */
export interface TrainingCase {
  name: string;
  spec: TrainerSpec;
  rows: number;
  targets: 'index' | 'float';
  x: number[];
  y: number[];
  initialWeights: Record<string, number[]>;
  fit: { epochs: number; batchSize: number };
  float64: TrainingResult;
  float32: TrainingResult;
}

/** Errors of a training run against torch's, per quantity: each weight tensor (not integer counters), the epoch losses, evaluate, predict. */
export function trainingErrors(a: TrainingResult, r: TrainingResult): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, values] of Object.entries(r.weights)) if (!name.endsWith('num_batches_tracked')) out[`weight ${name}`] = relArray(a.weights[name], values);
  out['epoch losses'] = relEach(a.losses, r.losses);
  out['evaluate loss'] = relEach([a.evaluate], [r.evaluate]);
  out.predict = relArray(a.predict, r.predict);
  return out;
}
