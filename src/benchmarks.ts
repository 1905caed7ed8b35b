// The kernel benchmark suite that runs in any thread (a browser worker, Node, Deno): descent's loss
// kernels and GEMM against fused plain-JS loops on the same data, in the same thread. No Node modules
// and no TensorFlow.js here; bench/ adds those peers (and training, stalls, the JSON report) in Node.

import { hash32, Random } from './model/random.js';
import { loadKernels, type Kernels } from './wasm/load.js';
import type { TrainerSpec } from './model/spec.js';
import { PlainMlp } from './plain-mlp.js';
import { Trainer } from './train/trainer.js';
import { booleanOption, describe, knownKeys, plainObject } from './validate.js';

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

// ---------------------------------------------------------------------------------------------
// Timing

export interface MeasureOptions {
  /** Time spent sampling after warm-up, in seconds. */
  seconds?: number;
  /** Warm-up calls (at least; warm-up also lasts a fifth of `seconds`); 0: the caller warmed up, one call a sample. */
  warmup?: number;
  minSamples?: number;
  maxSamples?: number;
}

export interface Timing {
  medianMs: number;
  minMs: number;
  maxMs: number;
  /** Milliseconds per call of each sample (a sample averages `repetitions` back-to-back calls). */
  samplesMs: number[];
  repetitions: number;
  /** The slowest quarter of the samples is far from the median: something else ran. */
  spread: boolean;
}

const now = () => performance.now();

/** Times `run` (synchronous or async): warm-up, then samples for about `seconds`; short calls are repeated within a sample. */
export async function measure(run: () => unknown, options: MeasureOptions = {}): Promise<Timing> {
  const { seconds = 1, warmup = 3, minSamples = 5, maxSamples = 100 } = options;
  const warmupEnd = now() + seconds * 200;
  let single = Infinity;
  for (let i = 0; i < warmup || (warmup > 0 && now() < warmupEnd); i++) {
    const t = now();
    await run();
    single = Math.min(single, now() - t);
  }
  // a sample lasts about seconds / maxSamples, so that microsecond calls are not lost in timer noise
  const repetitions = Math.max(1, Math.min(10_000, Math.round((seconds * 1000) / maxSamples / Math.max(single, 1e-4))));
  const samplesMs: number[] = [];
  const started = now();
  while (samplesMs.length < minSamples || (now() - started < seconds * 1000 && samplesMs.length < maxSamples)) {
    const t = now();
    for (let r = 0; r < repetitions; r++) await run();
    samplesMs.push((now() - t) / repetitions);
  }
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const medianMs = sorted[sorted.length >> 1]!;
  return {
    medianMs, minMs: sorted[0]!, maxMs: sorted[sorted.length - 1]!, samplesMs, repetitions,
    spread: sorted[Math.floor(sorted.length * 0.75)]! > 1.5 * medianMs,
  };
}

// ---------------------------------------------------------------------------------------------
// Data and the plain-JS baselines

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

// Fused loops written as a competent JS developer would: one pass computing the value (summed in
// float64, so it is also the reference value every implementation is checked against) and the gradient.

function mse(x: Float32Array, y: Float32Array, grad: Float32Array): number {
  const n = x.length;
  const scale = 2 / n;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i]! - y[i]!;
    sum += d * d;
    grad[i] = d * scale;
  }
  return sum / n;
}

function mae(x: Float32Array, y: Float32Array, grad: Float32Array): number {
  const n = x.length;
  const scale = 1 / n;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i]! - y[i]!;
    sum += Math.abs(d);
    grad[i] = Math.sign(d) * scale; // branch-free: a sign test mispredicts half the time on noisy data
  }
  return sum / n;
}

function huber(x: Float32Array, y: Float32Array, grad: Float32Array, delta = 1): number {
  const n = x.length;
  const scale = 1 / n;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i]! - y[i]!;
    const a = Math.abs(d);
    // branch-free: m(|d| − m/2) with m = min(|d|, δ) is ½d² inside δ and δ(|d| − δ/2) outside
    const m = Math.min(a, delta);
    sum += m * (a - 0.5 * m);
    grad[i] = Math.max(-delta, Math.min(delta, d)) * scale;
  }
  return sum / n;
}

/** Softmax cross-entropy over logits [rows, cols] with class-index labels, log-sum-exp stable. */
function softmaxCrossEntropy(x: Float32Array, labels: Int32Array, grad: Float32Array, rows: number, cols: number): number {
  let total = 0;
  const scale = 1 / rows;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let max = -Infinity;
    for (let j = 0; j < cols; j++) if (x[o + j]! > max) max = x[o + j]!;
    let sum = 0;
    for (let j = 0; j < cols; j++) {
      const e = Math.exp(x[o + j]! - max);
      grad[o + j] = e;
      sum += e;
    }
    const t = labels[r]!;
    total += max + Math.log(sum) - x[o + t]!;
    const inv = scale / sum;
    for (let j = 0; j < cols; j++) grad[o + j]! *= inv;
    grad[o + t]! -= scale;
  }
  return total / rows;
}

/** Binary cross-entropy on logits, stable for large |x|. */
function bceWithLogits(x: Float32Array, y: Float32Array, grad: Float32Array): number {
  const n = x.length;
  const scale = 1 / n;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    const t = y[i]!;
    const e = Math.exp(-Math.abs(v));
    sum += Math.max(v, 0) - v * t + Math.log1p(e);
    const sigmoid = v >= 0 ? 1 / (1 + e) : e / (1 + e);
    grad[i] = (sigmoid - t) * scale;
  }
  return sum / n;
}

/** The plain-JS loss + gradient of a case (mean reduction, Huber δ = 1); returns the loss value. */
export function plainLoss(c: LossCase, x: Float32Array, y: Float32Array | Int32Array, grad: Float32Array): number {
  switch (c.loss) {
    case 'mse': return mse(x, y as Float32Array, grad);
    case 'mae': return mae(x, y as Float32Array, grad);
    case 'huber': return huber(x, y as Float32Array, grad);
    case 'softmax_cross_entropy': return softmaxCrossEntropy(x, y as Int32Array, grad, c.rows, c.cols);
    case 'bce_with_logits': return bceWithLogits(x, y as Float32Array, grad);
  }
}

/** C[M,N] = A·B with A [M,K], B [K,N] (row-major), in plain JS (i-k-j order: rows of B stream). */
export function gemmNN(A: Float32Array, B: Float32Array, C: Float32Array, M: number, K: number, N: number): void {
  C.fill(0, 0, M * N);
  for (let i = 0; i < M; i++) {
    const c = i * N;
    for (let q = 0; q < K; q++) {
      const a = A[i * K + q]!;
      const b = q * N;
      for (let j = 0; j < N; j++) C[c + j]! += a * B[b + j]!;
    }
  }
}

/** C[M,N] = A·Bᵀ with A [M,K], B [N,K], in plain JS (row-by-row dot products). */
export function gemmNT(A: Float32Array, B: Float32Array, C: Float32Array, M: number, K: number, N: number): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let q = 0; q < K; q++) s += A[i * K + q]! * B[j * K + q]!;
      C[i * N + j] = s;
    }
  }
}

/** C[M,N] = Aᵀ·B with A [K,M], B [K,N], in plain JS (rank-1 updates, rows of B stream). */
export function gemmTN(A: Float32Array, B: Float32Array, C: Float32Array, M: number, K: number, N: number): void {
  C.fill(0, 0, M * N);
  for (let q = 0; q < K; q++) {
    const b = q * N;
    for (let i = 0; i < M; i++) {
      const a = A[q * M + i]!;
      const c = i * N;
      for (let j = 0; j < N; j++) C[c + j]! += a * B[b + j]!;
    }
  }
}

const PLAIN_GEMM = { nn: gemmNN, nt: gemmNT, tn: gemmTN };

/** Largest |a − b| over the largest |b|: the error of a result relative to its scale. */
export function relativeMaxError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let error = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    error = Math.max(error, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return error / (scale || 1);
}

// ---------------------------------------------------------------------------------------------
// The in-thread suite

export interface BenchmarkOptions {
  /** true: SIMD build, false: scalar build; default: SIMD when supported. */
  simd?: boolean;
  /** Shorter samples (about 0.15 s per figure instead of 1 s). */
  quick?: boolean;
  /** Case names from BENCHMARK_CASES (default: all). */
  cases?: readonly string[];
  /** Called with each row as soon as it is measured (for progress display). */
  onResult?: (row: BenchmarkRow) => void;
}

export interface BenchmarkRow {
  case: string;
  /** 'plain JS', 'descent simd' or 'descent scalar'. */
  impl: string;
  medianMs: number;
  minMs: number;
  maxMs: number;
  samples: number;
  /** Samples spread widely: the thread shared the machine with other work. */
  busy: boolean;
  /** Speed-up over the plain-JS loop of the same run (plain-JS median ÷ this median). */
  ratio: number;
  /** Loss value (loss cases). */
  value?: number;
  /** Giga floating-point operations per second (GEMM cases). */
  gflops?: number;
}

/** Relative tolerance between a float32 kernel's loss and the float64 plain-JS value. */
export const VALUE_RTOL = 1e-3;

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

/**
 * Runs descent (zero-copy: inputs and `out` in WASM memory) against the plain-JS loop on each case, in
 * this thread; returns two rows per case. Throws when a kernel's result disagrees with plain JS.
 */
export async function runBenchmarks(options: BenchmarkOptions = {}): Promise<BenchmarkRow[]> {
  const o = plainObject('options', options);
  knownKeys('runBenchmarks options', o, ['simd', 'quick', 'cases', 'onResult']);
  booleanOption('quick', o.quick, false);
  if (o.onResult !== undefined && typeof o.onResult !== 'function') throw new TypeError(`onResult must be a function, got ${describe(o.onResult)}`);
  const cases = selectCases(options.cases);
  const k = await loadKernels(options.simd === undefined ? {} : { simd: options.simd });
  const quickTiming: MeasureOptions = { seconds: 0.15, warmup: 1, minSamples: 3, maxSamples: 30 };
  const rows: BenchmarkRow[] = [];
  const push = (row: BenchmarkRow) => {
    rows.push(row);
    options.onResult?.(row);
  };
  for (const c of cases) {
    const { x, y } = caseData(c);
    const run = c.kind === 'loss' ? lossRunners(k, c, x, y)
      : c.kind === 'gemm' ? gemmRunners(k, c, x, y as Float32Array)
        : await mlpRunners(k.simd, c, x, y as Int32Array);
    try {
      // an MLP epoch lasts long enough to need no repetition: a few samples suffice
      const timing: MeasureOptions = c.kind === 'mlp' ? { seconds: options.quick ? 0.3 : 1.5, warmup: 1, minSamples: 3, maxSamples: 20 }
        : options.quick ? quickTiming : { seconds: 1 };
      const plain = await measure(run.plain, timing);
      const descent = await measure(run.descent, timing);
      const flops = c.kind === 'gemm' ? 2 * c.m * c.k * c.n : 0;
      const row = (impl: string, t: Timing, value: number | undefined): BenchmarkRow => ({
        case: c.name, impl, medianMs: t.medianMs, minMs: t.minMs, maxMs: t.maxMs, samples: t.samplesMs.length, busy: t.spread,
        ratio: plain.medianMs / t.medianMs, ...(value === undefined ? {} : { value }), ...(flops ? { gflops: flops / t.medianMs / 1e6 } : {}),
      });
      push(row('plain JS', plain, run.plainValue));
      push(row(`descent ${k.simd ? 'simd' : 'scalar'}`, descent, run.descentValue));
    } finally {
      run.free();
    }
  }
  return rows;
}

/** descent's Trainer in this thread against the plain-JS MLP, from the same initial weights and batch order. */
async function mlpRunners(simd: boolean, c: MlpCase, x: Float32Array, y: Int32Array): Promise<Runners> {
  const spec: TrainerSpec = {
    inputSize: c.inputs,
    layers: [{ units: c.hidden, activation: 'relu' }, { units: c.classes }],
    loss: 'softmax_cross_entropy',
    optimizer: { name: 'adam', learningRate: 1e-3 },
    seed: 1,
  };
  const trainer = await Trainer.create(spec, { simd });
  const check = await Trainer.create(spec, { simd });
  const free = () => { void trainer.dispose(); void check.dispose(); };
  try {
    const config = { inputs: c.inputs, hidden: c.hidden, classes: c.classes, batchSize: c.batchSize, learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };
    const plain = new PlainMlp(await trainer.getWeights(), config);
    const fit = { epochs: 1, batchSize: c.batchSize, shuffle: false };
    // one epoch each from the same weights: the two networks must agree
    await trainer.fit(x, y, fit);
    plain.epoch(x, y, c.rows);
    const descentValue = (await trainer.evaluate(x, y)).loss;
    await check.setWeights(plain.weights());
    const plainValue = (await check.evaluate(x, y)).loss;
    if (!(Math.abs(descentValue - plainValue) <= VALUE_RTOL * Math.abs(plainValue))) {
      throw new Error(`${c.name}: descent's loss after an epoch, ${descentValue}, disagrees with plain JS's ${plainValue} (relative tolerance ${VALUE_RTOL})`);
    }
    return { plain: () => plain.epoch(x, y, c.rows), descent: () => trainer.fit(x, y, fit), plainValue, descentValue, free };
  } catch (error) {
    free();
    throw error;
  }
}

interface Runners {
  plain: () => unknown;
  descent: () => unknown;
  plainValue?: number;
  descentValue?: number;
  free: () => void;
}

function lossRunners(k: Kernels, c: LossCase, x: Float32Array, y: Float32Array | Int32Array): Runners {
  const grad = new Float32Array(x.length);
  const plainValue = plainLoss(c, x, y, grad);
  const input = k.alloc(x.length);
  const target = k.alloc(y.length, y instanceof Int32Array ? 'i32' : 'f32');
  const out = k.alloc(x.length);
  input.array.set(x);
  target.array.set(y);
  const options = { shape: [c.rows, c.cols] as [number, number], out };
  const free = () => [input, target, out].forEach((a) => a.free());
  const descentValue = k.loss(c.loss, input, target, options).value as number;
  if (!(Math.abs(descentValue - plainValue) <= VALUE_RTOL * Math.abs(plainValue))) {
    free();
    throw new Error(`${c.name}: descent loss ${descentValue} disagrees with plain JS ${plainValue} (relative tolerance ${VALUE_RTOL})`);
  }
  return { plain: () => plainLoss(c, x, y, grad), descent: () => k.loss(c.loss, input, target, options), plainValue, descentValue, free };
}

function gemmRunners(k: Kernels, c: GemmCase, a: Float32Array, b: Float32Array): Runners {
  const C = new Float32Array(c.m * c.n);
  const plainGemm = PLAIN_GEMM[c.orientation];
  plainGemm(a, b, C, c.m, c.k, c.n);
  const A = k.alloc(a.length), B = k.alloc(b.length), D = k.alloc(C.length), S = k.alloc(k.raw.gemm_scratch_floats(c.k, c.n));
  A.array.set(a);
  B.array.set(b);
  const kernel = k.raw[`gemm_${c.orientation}_f32`];
  const descent = () => kernel(A.ptr, B.ptr, D.ptr, c.m, c.k, c.n, 0, false, S.ptr);
  const free = () => [A, B, D, S].forEach((w) => w.free());
  descent();
  const error = relativeMaxError(D.array, C);
  if (!(error <= 1e-4)) {
    free();
    throw new Error(`${c.name}: descent result differs from plain JS by ${error} of the largest element (tolerance 1e-4)`);
  }
  return { plain: () => plainGemm(a, b, C, c.m, c.k, c.n), descent, free };
}
