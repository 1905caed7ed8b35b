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

/** The numbers of a pooling option (n, or one per axis) over `dims` axes; `fallback` when absent. */
function perAxis(value: unknown, dims: number, fallback: number[]): number[] {
  if (value === undefined || value === 'valid') return fallback;
  return typeof value === 'number' ? Array<number>(dims).fill(value) : [...(value as number[])];
}

/**
 * torch's MaxPool2d / AvgPool2d (and the 1-d ones as height 1) on one channels-last row, float64:
 * out[o, c] = max (or sum / (kh·kw), padding counted as zeros) over input positions
 * i = o·stride − padding + k for k < poolSize inside the input; out = floor((n + 2p − k) / s) + 1.
 */
function pool(layer: LayerSpec, h: number[], shape: number[]): [number[], number[]] {
  const { type, poolSize, stride, padding } = layer as { type: string; poolSize: number | number[]; stride?: number | number[]; padding?: number | number[] | 'valid' };
  const dims = shape.length - 1;
  const k = perAxis(poolSize, dims, []);
  const s = perAxis(stride, dims, k);
  const p = perAxis(padding, dims, Array<number>(dims).fill(0));
  const [H, W, kh, kw, sh, sw, ph, pw] = dims === 2
    ? [shape[0]!, shape[1]!, k[0]!, k[1]!, s[0]!, s[1]!, p[0]!, p[1]!]
    : [1, shape[0]!, 1, k[0]!, 1, s[0]!, 0, p[0]!];
  const C = shape.at(-1)!;
  const OH = Math.floor((H + 2 * ph - kh) / sh) + 1;
  const OW = Math.floor((W + 2 * pw - kw) / sw) + 1;
  const out: number[] = [];
  for (let oh = 0; oh < OH; oh++) {
    for (let ow = 0; ow < OW; ow++) {
      for (let c = 0; c < C; c++) {
        const window: number[] = [];
        for (let i = oh * sh - ph; i < oh * sh - ph + kh; i++) {
          for (let j = ow * sw - pw; j < ow * sw - pw + kw; j++) {
            if (i >= 0 && i < H && j >= 0 && j < W) window.push(h[(i * W + j) * C + c]!);
          }
        }
        out.push(type.startsWith('max') ? Math.max(...window) : window.reduce((a, b) => a + b, 0) / (kh * kw));
      }
    }
  }
  return [out, dims === 2 ? [OH, OW, C] : [OW, C]];
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
  maxpool2d: (layer, h, _w, _i, shape) => pool(layer, h, shape),
  avgpool2d: (layer, h, _w, _i, shape) => pool(layer, h, shape),
  maxpool1d: (layer, h, _w, _i, shape) => pool(layer, h, shape),
  avgpool1d: (layer, h, _w, _i, shape) => pool(layer, h, shape),
  // torch: x.mean(dim=(2, 3)) — AdaptiveAvgPool2d(1) + Flatten — or x.mean(dim=2) for [N, C, T]
  globalavgpool: (_layer, h, _w, _i, shape) => {
    const C = shape.at(-1)!;
    const positions = h.length / C;
    return [Array.from({ length: C }, (_, c) => Array.from({ length: positions }, (_, q) => h[q * C + c]!).reduce((a, b) => a + b, 0) / positions), [C]];
  },
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
