// A float64 reference network, written from each layer type's definition (torch's nn.Linear,
// activations, identity dropout at inference) — not from the kernels — for gradient and forward checks.
import type { Activation, LayerSpec, LossName, TrainerSpec } from '../../src/index.js';
import { referenceLoss } from './losses.js';

export function erf(x: number): number {
  const a = Math.abs(x);
  let term = a, sum = a;
  for (let n = 1; n < 100; n++) {
    term *= (-a * a) / n;
    sum += term / (2 * n + 1);
  }
  return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
}

export function activate(name: Activation, row: number[]): number[] {
  switch (name) {
    case 'linear': return row;
    case 'relu': return row.map((v) => Math.max(v, 0));
    case 'leaky_relu': return row.map((v) => (v > 0 ? v : 0.01 * v));
    case 'sigmoid': return row.map((v) => 1 / (1 + Math.exp(-v)));
    case 'tanh': return row.map(Math.tanh);
    case 'gelu': return row.map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2)));
    case 'softmax':
    case 'log_softmax': {
      const mx = Math.max(...row);
      const lse = mx + Math.log(row.reduce((s, v) => s + Math.exp(v - mx), 0));
      return row.map((v) => (name === 'softmax' ? Math.exp(v - lse) : v - lse));
    }
  }
}

/**
 * One layer's float64 forward on one row (inference mode) given as a flat channels-last array of
 * `shape`; returns the output row and its shape.
 */
type LayerReference = (layer: LayerSpec, row: number[], w: Record<string, number[]>, index: number, shape: number[]) => [number[], number[]];

/** Softmax-like activations act over the last axis (channels), one position at a time. */
function activateLastAxis(name: Activation, row: number[], shape: number[]): number[] {
  const channels = shape.at(-1)!;
  const out: number[] = [];
  for (let at = 0; at < row.length; at += channels) out.push(...activate(name, row.slice(at, at + channels)));
  return out;
}

/** One float64 forward (one row, inference mode) per layer type. */
export const LAYER_REFERENCES: Record<string, LayerReference> = {
  dense: (layer, h, w, i) => {
    const dense = layer as { units: number; activation?: Activation };
    const W = w[`${i}.weight`]!;
    const b = w[`${i}.bias`];
    const z = Array.from({ length: dense.units }, (_, o) => h.reduce((s, v, j) => s + v * W[o * h.length + j]!, b ? b[o]! : 0));
    return [activate(dense.activation ?? 'linear', z), [dense.units]];
  },
  dropout: (_layer, h, _w, _i, shape) => [h, shape],
  activation: (layer, h, _w, _i, shape) => [activateLastAxis((layer as { activation: Activation }).activation, h, shape), shape],
  flatten: (_layer, h) => [h, [h.length]],
};

/** The input row shape of a spec (inputShape, or [inputSize]). */
export function inputShapeOf(spec: TrainerSpec): number[] {
  return spec.inputShape ? [...spec.inputShape] : [spec.inputSize!];
}

/** Outputs (rows × outputs) of the spec's network with parameters `w` (by checkpoint name), in float64. */
export function referenceForward(spec: TrainerSpec, w: Record<string, number[]>, x: ArrayLike<number>): number[][] {
  const inputShape = inputShapeOf(spec);
  const size = inputShape.reduce((a, b) => a * b, 1);
  const rows = x.length / size;
  return Array.from({ length: rows }, (_, r) => {
    let h = Array.from({ length: size }, (_, j) => x[r * size + j]!);
    let shape = inputShape;
    spec.layers.forEach((layer, i) => {
      [h, shape] = LAYER_REFERENCES[('type' in layer && layer.type) || 'dense']!(layer, h, w, i, shape);
    });
    return h;
  });
}

/** Mean loss + L1/L2 penalties of the spec's network with parameters `w` (by name), in float64. */
export function referenceObjective(spec: TrainerSpec, w: Record<string, number[]>, x: ArrayLike<number>, y: Float32Array | Int32Array): number {
  const outputs = referenceForward(spec, w, x);
  let penalty = 0;
  spec.layers.forEach((layer, i) => {
    const { l1 = 0, l2 = 0 } = layer as { l1?: number; l2?: number };
    for (const v of w[`${i}.weight`] ?? []) penalty += l1 * Math.abs(v) + l2 * v * v;
  });
  const cols = outputs[0]!.length;
  const name = (typeof spec.loss === 'string' ? spec.loss : spec.loss.name) as LossName;
  const r = referenceLoss(name, outputs.flat(), y, { rows: outputs.length, cols });
  return r.items.reduce((a, b) => a + b, 0) / r.divisor + penalty;
}
