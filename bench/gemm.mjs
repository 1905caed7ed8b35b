// GEMM [128,784]·[784,128] in three orientations (descent raw kernels, tf.matMul with transposeA/B on
// tfjs-wasm and tfjs-cpu, plain-JS loops) beside the physical-limit proxies measured in the same run:
// the f32x4 multiply–add peak and the f32x4 stream read (WASM), and a plain-JS read.
import { loadKernels } from 'descent-wasm';
import { BENCHMARK_CASES, caseData, loadRoofline, PEAK_MULADD_FLOPS, PLAIN_GEMM, relativeMaxError } from 'descent-wasm/bench';
import { formatRatio, formatTiming, markdownTable, progress, timeCase, timingOptions } from './harness.mjs';
import { checkNoLeak, tf, tfjsBackends, useBackend } from './tfjs.mjs';

const TOLERANCE = 1e-4; // of the largest element: float32 sums of 784 products in different orders

function checkResult(c, impl, result, reference) {
  const error = relativeMaxError(result, reference);
  if (!(error <= TOLERANCE)) throw new Error(`${c.name}, ${impl}: result differs from plain JS by ${error.toExponential(2)} of the largest element (tolerance ${TOLERANCE})`);
}

async function timeTfjs(c, a, b, backend, reference, timing) {
  await useBackend(backend);
  // the same arrays as every other implementation: A stored [K,M] for Aᵀ·B, B stored [N,K] for A·Bᵀ
  const A = c.orientation === 'tn' ? tf.tensor2d(a, [c.k, c.m]) : tf.tensor2d(a, [c.m, c.k]);
  const B = c.orientation === 'nt' ? tf.tensor2d(b, [c.n, c.k]) : tf.tensor2d(b, [c.k, c.n]);
  try {
    const tensors = tf.memory().numTensors;
    const product = () => tf.matMul(A, B, c.orientation === 'tn', c.orientation === 'nt');
    const first = product();
    checkResult(c, `tfjs (${backend})`, first.dataSync(), reference);
    first.dispose();
    // both backends compute synchronously, so the time of the call is the time of the product
    const time = await timeCase(() => product().dispose(), timing);
    checkNoLeak(tensors, `${c.name} on tfjs ${backend}`);
    return time;
  } finally {
    tf.dispose([A, B]);
  }
}

async function timeDescent(c, a, b, k, reference, timing) {
  const A = k.alloc(a.length), B = k.alloc(b.length), C = k.alloc(c.m * c.n), S = k.alloc(k.raw.gemm_scratch_floats(c.k, c.n));
  try {
    A.array.set(a);
    B.array.set(b);
    const kernel = k.raw[`gemm_${c.orientation}_f32`];
    const run = () => kernel(A.ptr, B.ptr, C.ptr, c.m, c.k, c.n, 0, false, S.ptr);
    run();
    checkResult(c, `descent ${k.simd ? 'SIMD' : 'scalar'}`, C.array, reference);
    return await timeCase(run, timing);
  } finally {
    for (const w of [A, B, C, S]) w.free();
  }
}

/** Physical-limit proxies: f32x4 multiply–add peak (12 chains), f32x4 and plain-JS stream reads of 12 MB. */
async function limits(quick) {
  const timing = timingOptions(quick, { warmup: 1 });
  const roofline = await loadRoofline();
  const iterations = quick ? 5e6 : 2e7;
  const peak = await timeCase(() => roofline.peakMuladd(iterations), timing);
  const n = 3e6;
  const ones = new Float32Array(n).fill(1);
  const reader = roofline.streamReader([ones]);
  const stream = await timeCase(() => reader.read(), timing);
  reader.free();
  const plainRead = await timeCase(() => {
    let s = 0;
    for (let i = 0; i < n; i++) s += ones[i];
    return s;
  }, timing);
  return {
    peak: { time: peak, gflops: (iterations * PEAK_MULADD_FLOPS) / peak.medianMs / 1e6 },
    stream: { time: stream, gbs: (n * 4) / stream.medianMs / 1e6 },
    plainRead: { time: plainRead, gbs: (n * 4) / plainRead.medianMs / 1e6 },
  };
}

/** Runs the physical-limit proxies and every GEMM case on every implementation (results checked against plain JS first). */
export async function runGemmBenchmarks({ quick = false } = {}) {
  const timing = timingOptions(quick);
  const builds = [await loadKernels({ simd: true }), await loadKernels({ simd: false })];
  progress('limits: f32x4 peak, stream reads');
  const limit = await limits(quick);
  const rows = [];
  for (const c of BENCHMARK_CASES.filter((b) => b.kind === 'gemm')) {
    progress(`gemm: ${c.name}`);
    const { x: a, y: b } = caseData(c);
    const reference = new Float32Array(c.m * c.n);
    PLAIN_GEMM[c.orientation](a, b, reference, c.m, c.k, c.n);
    const scratch = new Float32Array(c.m * c.n);
    const timings = { 'plain JS': await timeCase(() => PLAIN_GEMM[c.orientation](a, b, scratch, c.m, c.k, c.n), timing) };
    for (const [label, backend] of Object.entries(tfjsBackends({ quick, cheap: true }))) timings[label] = await timeTfjs(c, a, b, backend, reference, timing);
    for (const k of builds) timings[`descent ${k.simd ? 'SIMD' : 'scalar'}`] = await timeDescent(c, a, b, k, reference, timing);
    rows.push({ case: c.name, orientation: c.orientation, flops: 2 * c.m * c.k * c.n, timings });
  }
  const targets = rows.map((r) => ({
    target: `${r.case}: descent SIMD ≥ 20 GFLOP/s`, measured: r.flops / r.timings['descent SIMD'].medianMs / 1e6, goal: 20, unit: 'GFLOP/s',
  }));
  return { limits: limit, rows, targets };
}

/** The markdown table of the physical-limit proxies. */
export function limitsTable({ limits: l }) {
  return markdownTable(['physical-limit proxy', 'median (min–max)', 'result'], [
    ['WASM f32x4 multiply–add peak (12 independent chains, no FMA)', formatTiming(l.peak.time), `${l.peak.gflops.toFixed(1)} GFLOP/s`],
    ['WASM f32x4 stream read, 12 MB', formatTiming(l.stream.time), `${l.stream.gbs.toFixed(1)} GB/s`],
    ['plain-JS read (sum of a Float32Array), 12 MB', formatTiming(l.plainRead.time), `${l.plainRead.gbs.toFixed(1)} GB/s`],
  ]);
}

/** The markdown table of the GEMM cases: time, GFLOP/s, share of the f32x4 peak, ratios. */
export function gemmTable({ rows, limits: l }) {
  const lines = [];
  for (const r of rows) {
    const t = r.timings;
    for (const [impl, time] of Object.entries(t)) {
      const gflops = r.flops / time.medianMs / 1e6;
      lines.push([r.case, impl, formatTiming(time), `${gflops.toFixed(gflops >= 10 ? 1 : 2)}`, `${((100 * gflops) / l.peak.gflops).toFixed(0)} %`,
        ...['plain JS', 'tfjs-cpu', 'tfjs-wasm'].map((b) => formatRatio(time, t[b]))]);
    }
  }
  return markdownTable(['case', 'implementation', 'median (min–max)', 'GFLOP/s', '% of f32x4 peak', '× plain JS', '× tfjs-cpu', '× tfjs-wasm'], lines);
}
