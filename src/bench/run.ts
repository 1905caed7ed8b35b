// runBenchmarks: the kernel benchmark suite that runs in any thread (a browser worker, Node, Deno):
// descent's loss kernels, GEMM and an MLP epoch against plain-JS code on the same data, in the same
// thread. No Node modules and no TensorFlow.js here; bench/ adds those peers (and training, stalls,
// the JSON report) in Node.

import { ConvLayer } from '../model/layers/conv.js';
import { Random } from '../model/random.js';
import type { TrainerSpec } from '../model/spec.js';
import { Trainer } from '../train/trainer.js';
import { booleanOption, describe, knownKeys, plainObject } from '../validate.js';
import { loadKernels, type Kernels } from '../wasm/load.js';
import { requestedBuild, simdSupported, type Build } from '../wasm/builds.js';
import { caseData, caseFlops, selectCases, type ConvCase, type GemmCase, type LossCase, type MlpCase } from './cases.js';
import { relativeMaxError, VALUE_RTOL } from './compare.js';
import { measure, type MeasureOptions, type Timing } from './measure.js';
import { type ConvGeometry, plainConvPass, type PlainConvBuffers } from './plain-conv.js';
import { PLAIN_GEMM } from './plain-gemm.js';
import { plainLoss } from './plain-loss.js';
import { PlainMlp } from './plain-mlp.js';
import { loadRoofline, PEAK_MULADD_FLOPS, type Roofline } from './roofline.js';

export interface BenchmarkOptions {
  /** The WASM build: 'relaxed', 'simd' or 'scalar'; default: the fastest the engine runs. */
  build?: Build;
  /** The older switch: true means build 'simd', false 'scalar'. */
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
  /** 'plain JS', 'descent relaxed', 'descent simd' or 'descent scalar'. */
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
  /** Giga floating-point operations per second (GEMM and conv cases). */
  gflops?: number;
  /**
   * gflops as a share of the f32x4 multiply–add peak measured right after the case, in the same
   * thread (the roofline kernels: the fused peak for the relaxed build, multiply then add for the
   * others; absent where the engine has no WebAssembly SIMD).
   */
  peakFraction?: number;
}

/**
 * Runs descent (zero-copy: inputs and `out` in WASM memory) against the plain-JS loop on each case, in
 * this thread; returns two rows per case. Throws when a kernel's result disagrees with plain JS.
 */
export async function runBenchmarks(options: BenchmarkOptions = {}): Promise<BenchmarkRow[]> {
  const o = plainObject('options', options);
  knownKeys('runBenchmarks options', o, ['build', 'simd', 'quick', 'cases', 'onResult']);
  booleanOption('quick', o.quick, false);
  if (o.onResult !== undefined && typeof o.onResult !== 'function') throw new TypeError(`onResult must be a function, got ${describe(o.onResult)}`);
  const cases = selectCases(options.cases);
  const k = await loadKernels({ build: requestedBuild(o, 'runBenchmarks'), simd: options.simd });
  const quickTiming: MeasureOptions = { seconds: 0.15, warmup: 1, minSamples: 3, maxSamples: 30 };
  const rows: BenchmarkRow[] = [];
  const push = (row: BenchmarkRow) => {
    rows.push(row);
    options.onResult?.(row);
  };
  let roofline: Roofline | null | undefined;
  for (const c of cases) {
    const { x, y } = caseData(c);
    const run = c.kind === 'loss' ? lossRunners(k, c, x, y)
      : c.kind === 'gemm' ? gemmRunners(k, c, x, y as Float32Array)
        : c.kind === 'conv' ? convRunners(k, c, x, y as Float32Array)
          : await mlpRunners(k.build, c, x, y as Int32Array);
    try {
      // an MLP epoch or a conv pass lasts long enough to need no repetition: a few samples suffice
      const timing: MeasureOptions = c.kind === 'mlp' || c.kind === 'conv' ? { seconds: options.quick ? 0.3 : 1.5, warmup: 1, minSamples: 3, maxSamples: 20 }
        : options.quick ? quickTiming : { seconds: 1 };
      const plain = await measure(run.plain, timing);
      const descent = await measure(run.descent, timing);
      const flops = caseFlops(c);
      if (flops && roofline === undefined) roofline = simdSupported() ? await loadRoofline({ relaxed: k.build === 'relaxed' }) : null;
      const peak = flops && roofline ? await peakGflops(roofline, options.quick ? quickTiming : { seconds: 1 }) : 0;
      const row = (impl: string, t: Timing, value: number | undefined): BenchmarkRow => ({
        case: c.name, impl, medianMs: t.medianMs, minMs: t.minMs, maxMs: t.maxMs, samples: t.samplesMs.length, busy: t.spread,
        ratio: plain.medianMs / t.medianMs, ...(value === undefined ? {} : { value }), ...(flops ? { gflops: flops / t.medianMs / 1e6 } : {}),
        ...(peak ? { peakFraction: flops / t.medianMs / 1e6 / peak } : {}),
      });
      push(row('plain JS', plain, run.plainValue));
      push(row(`descent ${k.build}`, descent, run.descentValue));
    } finally {
      run.free();
    }
  }
  return rows;
}

/** descent's Trainer in this thread against the plain-JS MLP, from the same initial weights and batch order. */
async function mlpRunners(build: Build, c: MlpCase, x: Float32Array, y: Int32Array): Promise<Runners> {
  const spec: TrainerSpec = {
    inputSize: c.inputs,
    layers: [{ units: c.hidden, activation: 'relu' }, { units: c.classes }],
    loss: 'softmax_cross_entropy',
    optimizer: { name: 'adam', learningRate: 1e-3 },
    seed: 1,
  };
  const trainer = await Trainer.create(spec, { build });
  const check = await Trainer.create(spec, { build });
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

export interface Runners {
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

/** The f32x4 multiply–add peak in GFLOP/s, measured now (the median of samples of a million rounds). */
async function peakGflops(roofline: Roofline, timing: MeasureOptions): Promise<number> {
  const iterations = 1e6; // about 3 ms a call at 35 GFLOP/s
  const t = await measure(() => roofline.peakMadd(iterations), timing);
  return (iterations * PEAK_MULADD_FLOPS) / t.medianMs / 1e6;
}

/** A conv2d layer's forward and backward kernels against plain-JS loops, on the same input, weights and upstream gradient. */
export function convRunners(k: Kernels, c: ConvCase, x: Float32Array, dOut: Float32Array): Runners {
  const pad = (c.kernel - 1) / 2;
  const g: ConvGeometry = {
    rows: c.rows, H: c.height, W: c.width, C: c.channels, Ho: c.height, Wo: c.width, F: c.filters,
    kh: c.kernel, kw: c.kernel, sh: 1, sw: 1, dh: 1, dw: 1, pt: pad, pl: pad,
  };
  const taps = c.kernel * c.kernel * c.channels;
  const random = new Random(11, taps);
  const limit = Math.sqrt(6 / (taps + c.kernel * c.kernel * c.filters));
  const plain: PlainConvBuffers = {
    x, dOut,
    weight: Float32Array.from({ length: taps * c.filters }, () => (2 * random.next() - 1) * limit),
    bias: Float32Array.from({ length: c.filters }, () => random.next() - 0.5),
    out: new Float32Array(dOut.length), dx: new Float32Array(x.length),
    dWeight: new Float32Array(taps * c.filters), dBias: new Float32Array(c.filters),
  };
  const layer = ConvLayer.fromSpec({ type: 'conv2d', filters: c.filters, kernelSize: c.kernel, padding: 'same' }, c.name, 0, [c.height, c.width, c.channels]);
  const arrays = [plain.x, plain.weight, plain.bias, plain.dOut, plain.out, plain.dx, plain.dWeight, plain.dBias].map((values) => {
    const array = k.alloc(values.length);
    array.array.set(values);
    return array;
  });
  const [input, weight, bias, gradient, out, dx, dWeight, dBias, scratch] = [...arrays, k.alloc(layer.gemmScratchFloats(k.raw))];
  const free = () => [...arrays, scratch!].forEach((a) => a.free());
  const args = {
    x: input!.ptr, rows: c.rows, out: out!.ptr, buffers: {}, params: [weight!.ptr, bias!.ptr], states: [], gemmScratch: scratch!.ptr,
    training: null, dOut: gradient!.ptr, dx: dx!.ptr, grads: [dWeight!.ptr, dBias!.ptr], inputs: [input!.ptr], dxs: [dx!.ptr], trainable: true,
  };
  const descent = () => {
    layer.forward(k.raw, args);
    layer.backward(k.raw, args);
  };
  descent();
  plainConvPass(g, plain);
  const pairs = { output: [out!, plain.out], 'input gradient': [dx!, plain.dx], 'weight gradient': [dWeight!, plain.dWeight], 'bias gradient': [dBias!, plain.dBias] } as const;
  for (const [what, [wasm, js]] of Object.entries(pairs)) {
    const error = relativeMaxError(wasm.array, js);
    if (!(error <= 1e-4)) {
      free();
      throw new Error(`${c.name}: descent's ${what} differs from plain JS by ${error} of the largest element (tolerance 1e-4)`);
    }
  }
  return { plain: () => plainConvPass(g, plain), descent, free };
}
