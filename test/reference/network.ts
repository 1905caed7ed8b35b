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

/**
 * torch's Conv2d / Conv1d on one channels-last row (conv1d as a conv2d of height 1):
 * out[oy, ox, f] = b[f] + Σ_c,ky,kx W[f, c, ky, kx] · x[oy·sh − pt + ky·dh, ox·sw − pl + kx·dw, c], zero outside x.
 * Padding 'same' is torch's: d·(k − 1) in all per axis, the smaller half before; n pads both sides.
 */
function convolve(layer: LayerSpec, h: number[], w: Record<string, number[]>, i: number, shape: number[]): [number[], number[]] {
  const conv = layer as { type: 'conv2d' | 'conv1d'; filters: number; kernelSize: number | number[]; stride?: number | number[]; dilation?: number | number[]; padding?: 'valid' | 'same' | number | number[]; activation?: Activation };
  const two = conv.type === 'conv2d';
  // [height, width]; conv1d's height axis is 1 long: one tap, no padding
  const axes = (v: number | number[] | undefined, fallback: number, unit: number) => {
    const list = v === undefined ? [fallback] : Array.isArray(v) ? v : [v];
    return two ? [list[0]!, list.at(-1)!] : [unit, list[0]!];
  };
  const [H, W, C] = two ? shape as [number, number, number] : [1, shape[0]!, shape[1]!];
  const [kh, kw] = axes(conv.kernelSize, 1, 1);
  const [sh, sw] = axes(conv.stride, 1, 1);
  const [dh, dw] = axes(conv.dilation, 1, 1);
  const padding = conv.padding ?? 'valid';
  const [pt, pl] = padding === 'same' ? [Math.floor((dh * (kh - 1)) / 2), Math.floor((dw * (kw - 1)) / 2)] : padding === 'valid' ? [0, 0] : axes(padding, 0, 0);
  const [Ho, Wo] = padding === 'same' ? [H, W] : [Math.floor((H + 2 * pt - dh * (kh - 1) - 1) / sh) + 1, Math.floor((W + 2 * pl - dw * (kw - 1) - 1) / sw) + 1];
  const F = conv.filters;
  const weight = w[`${i}.weight`]!;
  const bias = w[`${i}.bias`];
  const z: number[] = [];
  for (let oy = 0; oy < Ho; oy++) {
    for (let ox = 0; ox < Wo; ox++) {
      for (let f = 0; f < F; f++) {
        let sum = bias ? bias[f]! : 0;
        for (let c = 0; c < C; c++) {
          for (let ky = 0; ky < kh; ky++) {
            for (let kx = 0; kx < kw; kx++) {
              const iy = oy * sh - pt + ky * dh;
              const ix = ox * sw - pl + kx * dw;
              if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
              sum += weight[((f * C + c) * kh + ky) * kw + kx]! * h[(iy * W + ix) * C + c]!;
            }
          }
        }
        z.push(sum);
      }
    }
  }
  return [activateLastAxis(conv.activation ?? 'linear', z, [F]), two ? [Ho, Wo, F] : [Wo, F]];
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
  // channelsFirst: torch's nn.Flatten of (N, C, ...): out[c·P + p] = h[p·C + c]
  flatten: (layer, h, _w, _i, shape) => {
    if ((layer as { dataFormat?: string }).dataFormat !== 'channelsFirst' || shape.length < 2) return [h, [h.length]];
    const C = shape.at(-1)!;
    const positions = h.length / C;
    return [Array.from({ length: h.length }, (_, j) => h[(j % positions) * C + Math.floor(j / positions)]!), [h.length]];
  },
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
  // torch nn.Embedding: row t of the output is weight[id_t]
  embedding: (layer, ids, w, i) => {
    const { units } = layer as { units: number };
    const W = w[`${i}.weight`]!;
    return [ids.flatMap((id) => W.slice(id * units, (id + 1) * units)), [ids.length, units]];
  },
  // torch nn.LayerNorm(C): each position over its C channels, biased variance
  layernorm: (layer, h, w, i, shape) => {
    const eps = (layer as { eps?: number }).eps ?? 1e-5;
    const C = shape.at(-1)!;
    const out: number[] = [];
    for (let at = 0; at < h.length; at += C) {
      const v = h.slice(at, at + C);
      const mean = v.reduce((a, b) => a + b, 0) / C;
      const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / C;
      v.forEach((value, c) => out.push(((value - mean) / Math.sqrt(variance + eps)) * w[`${i}.weight`]![c]! + w[`${i}.bias`]![c]!));
    }
    return [out, shape];
  },
  // torch BatchNorm1d/2d in eval mode: the running statistics, per channel (the last axis)
  batchnorm: (layer, h, w, i, shape) => {
    const eps = (layer as { eps?: number }).eps ?? 1e-5;
    const C = shape.at(-1)!;
    const [mean, variance, weight, bias] = ['running_mean', 'running_var', 'weight', 'bias'].map((name) => w[`${i}.${name}`]!);
    return [h.map((v, at) => ((v - mean![at % C]!) / Math.sqrt(variance![at % C]! + eps)) * weight![at % C]! + bias![at % C]!), shape];
  },
  conv2d: convolve,
  conv1d: convolve,
};

/** A batchnorm training pass over whole batches (rows of `shape`): torch's batch statistics, and the running ones it leaves. */
export function batchNormTraining(
  layer: LayerSpec, rows: number[][], w: Record<string, number[]>, i: number, shape: number[],
): { out: number[][]; runningMean: number[]; runningVar: number[] } {
  const { eps = 1e-5, momentum = 0.1 } = layer as { eps?: number; momentum?: number };
  const C = shape.at(-1)!;
  const values = (c: number) => rows.flatMap((h) => h.filter((_, at) => at % C === c));
  const count = values(0).length;
  const mean = Array.from({ length: C }, (_, c) => values(c).reduce((a, b) => a + b, 0) / count);
  const variance = mean.map((m, c) => values(c).reduce((a, b) => a + (b - m) ** 2, 0) / count);
  const [weight, bias, runningMean, runningVar] = ['weight', 'bias', 'running_mean', 'running_var'].map((name) => w[`${i}.${name}`]!);
  return {
    out: rows.map((h) => h.map((v, at) => ((v - mean[at % C]!) / Math.sqrt(variance[at % C]! + eps)) * weight![at % C]! + bias![at % C]!)),
    runningMean: runningMean!.map((r, c) => (1 - momentum) * r + momentum * mean[c]!),
    runningVar: runningVar!.map((r, c) => (1 - momentum) * r + momentum * variance[c]! * count / (count - 1)),
  };
}

/** Outputs of a training pass (dropout rate 0 only; batchnorm with batch statistics), in float64. */
export function referenceTrainingForward(spec: TrainerSpec, w: Record<string, number[]>, x: ArrayLike<number>): number[][] {
  const inputShape = inputShapeOf(spec);
  const size = inputShape.reduce((a, b) => a * b, 1);
  let rows = Array.from({ length: x.length / size }, (_, r) => Array.from({ length: size }, (_, j) => x[r * size + j]!));
  let shape = inputShape;
  spec.layers.forEach((layer, i) => {
    if ('type' in layer && layer.type === 'batchnorm') {
      rows = batchNormTraining(layer, rows, w, i, shape).out;
      return;
    }
    const results = rows.map((h) => LAYER_REFERENCES[('type' in layer && layer.type) || 'dense']!(layer, h, w, i, shape));
    rows = results.map(([h]) => h);
    shape = results[0]![1];
  });
  return rows;
}

/** The training objective (mean loss + penalties) with batchnorm's batch statistics, in float64. */
export function referenceTrainingObjective(spec: TrainerSpec, w: Record<string, number[]>, x: ArrayLike<number>, y: Float32Array | Int32Array): number {
  return objectiveOf(spec, w, referenceTrainingForward(spec, w, x), y);
}

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
  return objectiveOf(spec, w, referenceForward(spec, w, x), y);
}

/** Mean loss of `outputs` (rows × outputs) + the L1/L2 penalties of `w`. */
function objectiveOf(spec: TrainerSpec, w: Record<string, number[]>, outputs: number[][], y: Float32Array | Int32Array): number {
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
