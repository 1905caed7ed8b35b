// runBenchmarks: the kernel benchmark suite that runs in any thread (a browser worker, Node, Deno):
// descent's loss kernels, GEMM and an MLP epoch against plain-JS code on the same data, in the same
// thread. No Node modules and no TensorFlow.js here; bench/ adds those peers (and training, stalls,
// the JSON report) in Node.

import type { TrainerSpec } from '../model/spec.js';
import { Trainer } from '../train/trainer.js';
import { booleanOption, describe, knownKeys, plainObject } from '../validate.js';
import { loadKernels, type Kernels } from '../wasm/load.js';
import { caseData, selectCases, type GemmCase, type LossCase, type MlpCase } from './cases.js';
import { relativeMaxError, VALUE_RTOL } from './compare.js';
import { measure, type MeasureOptions, type Timing } from './measure.js';
import { PLAIN_GEMM } from './plain-gemm.js';
import { plainLoss } from './plain-loss.js';
import { PlainMlp } from './plain-mlp.js';

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
