// attention, positionEmbedding and dense over the last axis on every build: each layer's forward
// against a float64 reference written here from torch's documented formulas (not from descent's
// code), and its backward (every tensor and dx) against central differences of that reference's
// Σ g·output in float64; heads 1, 2, 4, causal or not, odd T, T = 1; frozen layers still give dx.
//
// nn.MultiheadAttention(C, H, batch_first=True) self-attention, need_weights=False, per row:
//   [q | k | v] = x·in_proj_weightᵀ + in_proj_bias          (in_proj_weight [3C, C], rows q, k, v)
//   head h (d = C/H channels h·d … h·d + d − 1):  s_ij = q_i·k_j / √d, masked to −∞ for j > i when
//   causal (attn_mask = triu(ones(T, T), 1)), p_i = softmax_j(s_i), o_i = Σ_j p_ij v_j
//   out = o·out_proj.weightᵀ + out_proj.bias
// positionEmbedding: out[t] = x[t] + weight[t]; dense on [T, C]: out[t] = act(W·x[t] + b).
import { describe, expect, it } from 'vitest';
import { BUILDS, type Build } from './reference/builds.js';
import { centralDifferences } from './reference/gradcheck.js';
import { runLayer } from './reference/layer-run.js';

/** Deterministic values in (−amplitude, amplitude). */
const values = (n: number, seed: number, amplitude: number) => Array.from({ length: n }, (_, i) => amplitude * Math.sin(seed * 7.1 + i * 1.37 + 0.3));

type Weights = Record<string, ArrayLike<number>>;

/** W·v + b for W [out, n] row-major, v at `offset` of `values`, into `y` at `at`. */
function affine(w: ArrayLike<number>, b: ArrayLike<number>, v: ArrayLike<number>, offset: number, n: number, out: number, y: Float64Array, at: number): void {
  for (let o = 0; o < out; o++) {
    let s = b[o]!;
    for (let j = 0; j < n; j++) s += w[o * n + j]! * v[offset + j]!;
    y[at + o] = s;
  }
}

interface AttentionShape {
  rows: number;
  steps: number;
  channels: number;
  heads: number;
  causal: boolean;
}

/** The attention layer's output, rows × [T, C], in float64. */
function attentionReference(s: AttentionShape, w: Weights, x: ArrayLike<number>): Float64Array {
  const { rows, steps: T, channels: C, heads: H } = s;
  const d = C / H;
  const out = new Float64Array(rows * T * C);
  const qkv = new Float64Array(T * 3 * C);
  const o = new Float64Array(T * C);
  const scores = new Float64Array(T);
  for (let r = 0; r < rows; r++) {
    for (let t = 0; t < T; t++) affine(w.in_proj_weight!, w.in_proj_bias!, x, (r * T + t) * C, C, 3 * C, qkv, t * 3 * C);
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < T; i++) {
        const last = s.causal ? i : T - 1;
        let max = -Infinity;
        for (let j = 0; j <= last; j++) {
          let dot = 0;
          for (let c = 0; c < d; c++) dot += qkv[i * 3 * C + h * d + c]! * qkv[j * 3 * C + C + h * d + c]!;
          scores[j] = dot / Math.sqrt(d);
          max = Math.max(max, scores[j]!);
        }
        let sum = 0;
        for (let j = 0; j <= last; j++) sum += (scores[j] = Math.exp(scores[j]! - max));
        for (let c = 0; c < d; c++) {
          let acc = 0;
          for (let j = 0; j <= last; j++) acc += (scores[j]! / sum) * qkv[j * 3 * C + 2 * C + h * d + c]!;
          o[i * C + h * d + c] = acc;
        }
      }
    }
    for (let t = 0; t < T; t++) affine(w['out_proj.weight']!, w['out_proj.bias']!, o, t * C, C, C, out, (r * T + t) * C);
  }
  return out;
}

interface Case {
  name: string;
  layer: Record<string, unknown>;
  inputShape: [number, number];
  rows: number;
  weights: Record<string, number[]>;
  reference: (w: Weights, x: ArrayLike<number>) => Float64Array;
}

function attentionCase(rows: number, steps: number, channels: number, heads: number, causal: boolean, seed: number): Case {
  const s = { rows, steps, channels, heads, causal };
  const C = channels;
  const limit = Math.sqrt(6 / (4 * C));
  return {
    name: `attention ${heads} head${heads > 1 ? 's' : ''}${causal ? ', causal' : ''} over ${rows} × [${steps}, ${C}]`,
    layer: { type: 'attention', heads, causal },
    inputShape: [steps, C],
    rows,
    weights: {
      in_proj_weight: values(3 * C * C, seed, 2 * limit),
      in_proj_bias: values(3 * C, seed + 1, 0.3),
      'out_proj.weight': values(C * C, seed + 2, 1.5 / Math.sqrt(C)),
      'out_proj.bias': values(C, seed + 3, 0.3),
    },
    reference: (w, x) => attentionReference(s, w, x),
  };
}

function positionCase(rows: number, steps: number, channels: number, seed: number): Case {
  return {
    name: `positionEmbedding over ${rows} × [${steps}, ${channels}]`,
    layer: { type: 'positionEmbedding' },
    inputShape: [steps, channels],
    rows,
    weights: { weight: values(steps * channels, seed, 0.5) },
    reference: (w, x) => Float64Array.from(x, (v, i) => v + w.weight![i % (steps * channels)]!),
  };
}

function denseCase(rows: number, steps: number, channels: number, units: number, activation: 'linear' | 'tanh', seed: number): Case {
  return {
    name: `dense ${units} units, ${activation}, over the last axis of ${rows} × [${steps}, ${channels}]`,
    layer: { units, activation },
    inputShape: [steps, channels],
    rows,
    weights: { weight: values(units * channels, seed, 1.2 / Math.sqrt(channels)), bias: values(units, seed + 1, 0.3) },
    reference: (w, x) => {
      const out = new Float64Array(rows * steps * units);
      for (let p = 0; p < rows * steps; p++) affine(w.weight!, w.bias!, x, p * channels, channels, units, out, p * units);
      return activation === 'tanh' ? out.map(Math.tanh) : out;
    },
  };
}

const CASES: Case[] = [
  attentionCase(2, 5, 6, 1, false, 1),
  attentionCase(2, 5, 6, 1, true, 2),
  attentionCase(2, 7, 8, 4, false, 3),
  attentionCase(2, 7, 8, 4, true, 4),
  attentionCase(3, 5, 10, 2, true, 5),
  attentionCase(2, 1, 4, 2, true, 6),
  positionCase(3, 5, 3, 7),
  positionCase(2, 7, 12, 8),
  denseCase(2, 5, 3, 4, 'linear', 9),
  denseCase(2, 3, 5, 6, 'tanh', 10),
];

function inputsOf(c: Case, seed: number) {
  const size = c.inputShape[0] * c.inputShape[1];
  const outSize = c.layer.units === undefined ? size : c.inputShape[0] * (c.layer.units as number);
  return { x: values(c.rows * size, seed + 4, 1.5), g: values(c.rows * outSize, seed + 5, 1) };
}

const run = (c: Case, x: number[], g: number[], build: Build, trainable = true) =>
  runLayer({ layer: c.layer, inputShape: c.inputShape, rows: c.rows, weights: c.weights, x, g, trainable }, build);

describe.each(BUILDS)('attention, positionEmbedding, dense on [T, C] against float64 references (%s build)', (build) => {
  it.each(CASES.map((c, n) => [c.name, c, n] as const))('%s: forward, and every gradient against central differences', async (_name, c, n) => {
    const { x, g } = inputsOf(c, 13 * n + 1);
    const got = await run(c, x, g, build);
    const want = c.reference(c.weights, x);
    expect(got.output).toHaveLength(want.length);
    want.forEach((v, i) => expect(Math.abs(got.output![i]! - v), `output[${i}]`).toBeLessThan(2e-6 + 1e-5 * Math.abs(v)));

    const w64: Record<string, number[]> = { ...structuredClone(c.weights), x: [...x] };
    const objective = () => {
      const { x: input, ...weights } = w64;
      return c.reference(weights, input!).reduce((sum, v, i) => sum + g[i]! * v, 0);
    };
    for (const tensor of Object.keys(w64)) {
      const { worst, scale } = centralDifferences(w64, (_, i) => got[`d${tensor}`]![i]!, objective, 1e-6, (other) => other !== tensor);
      expect(worst, `${tensor}: worst |analytic − central difference| against scale ${scale}`).toBeLessThan(1e-4 * scale + 2e-6);
      expect(scale, `${tensor} has real gradients`).toBeGreaterThan(1e-2);
    }
  });

  it.each(CASES.filter((c) => c.layer.type === 'attention').map((c, n) => [c.name, c, n] as const))('%s: the key bias gets no gradient (nor, at T = 1, the query and key rows)', async (_name, c, n) => {
    // softmax ignores a constant added to all of a query's scores, and q·b_k is one: exact zeros
    // in the reference, rounding-level ones in float32
    const { x, g } = inputsOf(c, 13 * n + 1);
    const got = await run(c, x, g, build);
    const C = c.inputShape[1];
    const scale = Math.max(...got.din_proj_bias!.map(Math.abs));
    expect(Math.max(...got.din_proj_bias!.slice(C, 2 * C).map(Math.abs))).toBeLessThan(1e-5 * scale);
    // one position: p = 1 whatever the scores, so no gradient reaches the query and key rows
    if (c.inputShape[0] === 1) expect(Math.max(...got.din_proj_weight!.slice(0, 2 * C * C).map(Math.abs))).toBeLessThan(1e-6);
  });

  it.each(CASES.map((c, n) => [c.name, c, n] as const))('%s frozen: no weight gradients written, dx still right', async (_name, c, n) => {
    const { x, g } = inputsOf(c, 7 * n + 3);
    const frozen = await run(c, x, g, build, false);
    const trained = await run(c, x, g, build, true);
    for (const tensor of Object.keys(c.weights)) expect(frozen[`d${tensor}`]!.every(Number.isNaN), `d${tensor} untouched`).toBe(true);
    expect(frozen.dx).toEqual(trained.dx);
  });
});
