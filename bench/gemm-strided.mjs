// gemm_strided_f32 on the strided operands sequence layers use, against the same products on
// contiguous operands (gemm_nt/nn_f32, copied into place first as a layer without strides would), in
// one process, interleaved: GFLOP/s and the ratio (issue 29's target: strided ≥ 80 % of contiguous).
//
//   node bench/gemm-strided.mjs [--rounds N]
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { loadKernels } from 'descent-wasm';

const roundsAt = process.argv.indexOf('--rounds');
const rounds = roundsAt >= 0 ? Number(process.argv[roundsAt + 1]) : 7;
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer, got ${process.argv[roundsAt + 1]}`);

// Each case: the strided call's operands inside bigger buffers, and the contiguous equivalent.
const CASES = [
  // attention scores of one sample: 4 heads of Q·Kᵀ, Q and K as 32-column slices of a [64, 384] qkv buffer
  { name: 'attention Q·Kᵀ, 4 heads, T 64, head 32 (rows of a [T, 3C] buffer)', batch: 4, M: 64, K: 32, N: 64, aRow: 384, aCol: 1, aBatch: 32, bK: 1, bJ: 384, bBatch: 32, ldc: 64, cBatch: 64 * 64, transposedB: true },
  // attention output: P·V per head into a 32-column slice of a [64, 128] output
  { name: 'attention P·V, 4 heads, T 64, head 32 (into [T, C] slices)', batch: 4, M: 64, K: 64, N: 32, aRow: 64, aCol: 1, aBatch: 64 * 64, bK: 384, bJ: 1, bBatch: 32, ldc: 128, cBatch: 32, transposedB: false },
  // an LSTM's input projection at one time step: rows t of [64, 32, 16] sequences · W_ihᵀ [512, 16]
  { name: 'LSTM x_t·W_ihᵀ, batch 64, C 16, 4·128 gates (row stride T·C)', batch: 1, M: 64, K: 16, N: 512, aRow: 32 * 16, aCol: 1, aBatch: 0, bK: 1, bJ: 16, bBatch: 0, ldc: 512, cBatch: 0, transposedB: true },
  // the recurrent product h_{t−1}·W_hhᵀ, h a [64, 128] slice of the [64, T, 128] sequence output
  { name: 'LSTM h·W_hhᵀ, batch 64, 128 units (row stride T·units)', batch: 1, M: 64, K: 128, N: 512, aRow: 32 * 128, aCol: 1, aBatch: 0, bK: 1, bJ: 128, bBatch: 0, ldc: 512, cBatch: 0, transposedB: true },
];

const k = await loadKernels();
const span = (batch, batchStride, rows, rowStride, cols, colStride) => (batch - 1) * batchStride + (rows - 1) * rowStride + (cols - 1) * colStride + 1;

function prepare(c) {
  const A = k.alloc(span(c.batch, c.aBatch, c.M, c.aRow, c.K, c.aCol));
  const B = k.alloc(span(c.batch, c.bBatch, c.K, c.bK, c.N, c.bJ));
  const C = k.alloc(span(c.batch, c.cBatch, c.M, c.ldc, c.N, 1));
  const scratch = k.alloc(k.raw.gemm_scratch_floats(c.K, c.N));
  A.array.forEach((_, i, a) => { a[i] = Math.sin(i); });
  B.array.forEach((_, i, a) => { a[i] = Math.cos(i); });
  // the contiguous equivalent: each item's operands copied into dense [M,K], [K,N] or [N,K], [M,N]
  const dA = k.alloc(c.M * c.K), dB = k.alloc(c.K * c.N), dC = k.alloc(c.M * c.N);
  const strided = () => k.raw.gemm_strided_f32(A.ptr, c.aRow, c.aCol, c.aBatch, B.ptr, c.bK, c.bJ, c.bBatch, C.ptr, c.ldc, c.cBatch, c.batch, c.M, c.K, c.N, 0, false, scratch.ptr);
  const contiguous = () => {
    const gemm = c.transposedB ? k.raw.gemm_nt_f32 : k.raw.gemm_nn_f32;
    for (let b = 0; b < c.batch; b++) gemm(dA.ptr, dB.ptr, dC.ptr, c.M, c.K, c.N, 0, false, scratch.ptr);
  };
  return { strided, contiguous, free: () => [A, B, C, scratch, dA, dB, dC].forEach((w) => w.free()) };
}

/** Best GFLOP/s of `rounds` rounds of ~50 ms. */
function gflops(run, flops) {
  let reps = 1;
  for (;;) {
    const t = performance.now();
    for (let i = 0; i < reps; i++) run();
    if (performance.now() - t > 50) break;
    reps *= 2;
  }
  const t = performance.now();
  for (let i = 0; i < reps; i++) run();
  return (flops * reps) / ((performance.now() - t) * 1e6);
}

const rows = [];
for (const c of CASES) {
  const p = prepare(c);
  const flops = 2 * c.batch * c.M * c.K * c.N;
  const s = [], d = [];
  for (let r = 0; r < rounds; r++) {
    s.push(gflops(p.strided, flops));
    d.push(gflops(p.contiguous, flops));
  }
  p.free();
  const best = (values) => Math.max(...values);
  rows.push(`| ${c.name} | ${best(s).toFixed(1)} | ${best(d).toFixed(1)} | ${(best(s) / best(d)).toFixed(2)} |`);
}
const lines = [
  '# Strided GEMM vs contiguous (gemm_strided_f32)',
  '',
  `${new Date().toISOString()} · ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length} · Node ${process.version} · build ${k.build} · load average ${os.loadavg().map((v) => v.toFixed(2)).join(' ')} · best of ${rounds} interleaved rounds`,
  '',
  '| product | strided GFLOP/s | contiguous GFLOP/s | ratio (target ≥ 0.80) |',
  '|---|---|---|---|',
  ...rows,
];
console.log(lines.join('\n'));
writeFileSync(new URL(`./results/${new Date().toISOString().slice(0, 10)}-gemm-strided.md`, import.meta.url), `${lines.join('\n')}\n`);
