// The benchmark cases: what each one computes, its seeded data, and selection by name.

import { hash32, Random } from '../model/random.js';
import { describe } from '../validate.js';

/** A loss + gradient case: input shape rows × cols (class-index targets for softmax CE). */
export interface LossCase {
  kind: 'loss';
  name: string;
  loss: 'mse' | 'mae' | 'huber' | 'softmax_cross_entropy' | 'bce_with_logits';
  rows: number;
  cols: number;
}

/** C[M,N] = op(A)·op(B): 'nn' A·B, 'nt' A·Bᵀ (B stored [N,K]), 'tn' Aᵀ·B (A stored [K,M]). */
export interface GemmCase {
  kind: 'gemm';
  name: string;
  orientation: 'nn' | 'nt' | 'tn';
  m: number;
  k: number;
  n: number;
}

/** One training epoch of a ReLU MLP with softmax cross-entropy and Adam (lr 1e-3), no shuffle. */
export interface MlpCase {
  kind: 'mlp';
  name: string;
  rows: number;
  inputs: number;
  hidden: number;
  classes: number;
  batchSize: number;
}

/**
 * One forward and backward pass (input gradient included) of a conv2d layer, 'same' padding,
 * stride 1, bias, no activation, over a batch of channels-last images [rows, height, width, channels].
 */
export interface ConvCase {
  kind: 'conv';
  name: string;
  rows: number;
  height: number;
  width: number;
  channels: number;
  filters: number;
  /** Square kernel side (odd: 'same' pads it evenly). */
  kernel: number;
}

export type BenchmarkCase = LossCase | GemmCase | MlpCase | ConvCase;

/** Useful floating-point operations of a GEMM or conv case (multiply and add counted apart); 0 for the others. */
export function caseFlops(c: BenchmarkCase): number {
  if (c.kind === 'gemm') return 2 * c.m * c.k * c.n;
  // forward, weight gradient and input gradient: three products of positions × (taps · channels) × filters
  if (c.kind === 'conv') return 3 * 2 * c.rows * c.height * c.width * c.kernel * c.kernel * c.channels * c.filters;
  return 0;
}

const regression = (['mse', 'mae', 'huber'] as const).flatMap((loss) => [1e4, 1e5, 1e6].map((n): LossCase => (
  { kind: 'loss', name: `${loss} N=1e${Math.log10(n)}`, loss, rows: n, cols: 1 })));
const softmax = ([[1024, 10], [256, 1000], [64, 32000]] as const).map(([rows, cols]): LossCase => (
  { kind: 'loss', name: `softmax CE [${rows},${cols}]`, loss: 'softmax_cross_entropy', rows, cols }));
const gemm = (['nn', 'nt', 'tn'] as const).map((orientation): GemmCase => (
  { kind: 'gemm', name: `GEMM ${{ nn: 'A·B', nt: 'A·Bᵀ', tn: 'Aᵀ·B' }[orientation]} [128,784]·[784,128]`, orientation, m: 128, k: 784, n: 128 }));

/** Every case of the suite, by name. */
export const BENCHMARK_CASES: readonly BenchmarkCase[] = [
  ...regression, ...softmax,
  { kind: 'loss', name: 'BCE-with-logits N=1e6', loss: 'bce_with_logits', rows: 1e6, cols: 1 },
  ...gemm,
  { kind: 'mlp', name: 'MLP 784-128-10, Adam, batch 128: epoch of 512 rows', rows: 512, inputs: 784, hidden: 128, classes: 10, batchSize: 128 },
  { kind: 'conv', name: 'conv2d [128,28,28,16] → 32 filters 3×3 same: forward + backward', rows: 128, height: 28, width: 28, channels: 16, filters: 32, kernel: 3 },
];

/** Picks cases by name; an unknown name is a RangeError that lists the known ones. */
export function selectCases(names?: readonly string[]): BenchmarkCase[] {
  if (names === undefined) return [...BENCHMARK_CASES];
  if (!Array.isArray(names)) throw new TypeError(`cases must be an array of case names, got ${describe(names)}`);
  return names.map((name) => {
    const found = BENCHMARK_CASES.find((c) => c.name === name);
    if (!found) throw new RangeError(`cases: unknown case ${JSON.stringify(name)}; cases are ${BENCHMARK_CASES.map((c) => c.name).join(', ')}`);
    return found;
  });
}

/** Seeded case data: logits or predictions in [−4, 4); targets as the loss takes them; GEMM operands; a conv's input and upstream gradient. */
export function caseData(c: BenchmarkCase, seed = 7): { x: Float32Array; y: Float32Array | Int32Array } {
  const random = new Random(seed, [...c.name].reduce((h, ch) => hash32(h ^ ch.charCodeAt(0)), 0));
  const uniform = (n: number) => Float32Array.from({ length: n }, () => (random.next() * 2 - 1) * 4);
  if (c.kind === 'gemm') return { x: uniform(c.m * c.k), y: uniform(c.k * c.n) };
  if (c.kind === 'conv') return { x: uniform(c.rows * c.height * c.width * c.channels), y: uniform(c.rows * c.height * c.width * c.filters) };
  if (c.kind === 'mlp') {
    return {
      x: Float32Array.from({ length: c.rows * c.inputs }, () => random.next()),
      y: Int32Array.from({ length: c.rows }, () => Math.floor(random.next() * c.classes)),
    };
  }
  const n = c.rows * c.cols;
  if (c.loss === 'softmax_cross_entropy') return { x: uniform(n), y: Int32Array.from({ length: c.rows }, () => Math.floor(random.next() * c.cols)) };
  if (c.loss === 'bce_with_logits') return { x: uniform(n), y: Float32Array.from({ length: n }, () => (random.next() < 0.5 ? 0 : 1)) };
  return { x: uniform(n), y: uniform(n) };
}
