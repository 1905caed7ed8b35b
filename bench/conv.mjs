// conv2d forward + backward (the layer's kernels: im2col + the blocked GEMM) on the SIMD and the scalar
// build against plain-JS loops, through runBenchmarks: GFLOP/s of useful work (forward, weight
// gradient and input gradient: 3 × 2 · positions · taps · channels · filters) and the share of the
// f32x4 multiply–add peak, measured in the same thread right after each case.
import { BENCHMARK_CASES, runBenchmarks } from 'descent-wasm/bench';
import { formatMs, markdownTable, progress } from './harness.mjs';

/** Share of the f32x4 multiply–add peak the SIMD build's conv pass must reach. */
const PEAK_GOAL = 0.5;

/** Every conv case on both builds (results checked against plain JS first). */
export async function runConvBenchmarks({ quick = false } = {}) {
  const names = BENCHMARK_CASES.filter((c) => c.kind === 'conv').map((c) => c.name);
  const rows = [];
  for (const simd of [true, false]) {
    progress(`conv: ${names.join(', ')} (${simd ? 'SIMD' : 'scalar'} build and plain JS)`);
    rows.push(...(await runBenchmarks({ simd, quick, cases: names })));
  }
  const targets = names.map((name) => ({
    target: `${name}: descent SIMD ≥ ${100 * PEAK_GOAL} % of the f32x4 multiply–add peak`,
    measured: 100 * (rows.find((r) => r.case === name && r.impl === 'descent simd')?.peakFraction ?? 0), goal: 100 * PEAK_GOAL, unit: '%',
  }));
  return { rows, targets };
}

/** The markdown table of the conv cases: time, GFLOP/s, share of the peak, ratio to the plain JS of the same call. */
export function convTable({ rows }) {
  return markdownTable(['case', 'implementation', 'median (min–max)', 'GFLOP/s', '% of f32x4 peak', '× plain JS'], rows.map((r) => [
    r.case, r.impl, `${formatMs(r.medianMs)} (${formatMs(r.minMs)}–${formatMs(r.maxMs)})${r.busy ? ' ⚠' : ''}`, r.gflops.toFixed(r.gflops >= 10 ? 1 : 2),
    r.peakFraction === undefined ? '—' : `${(100 * r.peakFraction).toFixed(0)} %`, r.impl === 'plain JS' ? '—' : `${r.ratio.toFixed(1)}×`,
  ]));
}
