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

export type BenchmarkCase = LossCase | GemmCase | MlpCase;

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

/** Seeded case data: logits or predictions in [−4, 4); targets as the loss takes them; GEMM operands. */
export function caseData(c: BenchmarkCase, seed = 7): { x: Float32Array; y: Float32Array | Int32Array } {
  const random = new Random(seed, [...c.name].reduce((h, ch) => hash32(h ^ ch.charCodeAt(0)), 0));
  const uniform = (n: number) => Float32Array.from({ length: n }, () => (random.next() * 2 - 1) * 4);
  if (c.kind === 'gemm') return { x: uniform(c.m * c.k), y: uniform(c.k * c.n) };
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
