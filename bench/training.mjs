// Training benchmarks (targets: GEMM ≥ 20 GFLOP/s in every orientation; MLP 784-128-10, ReLU,
// softmax CE, Adam, batch 128, in-thread ≥ 36 000 samples/s), each beside the f32x4 multiply–add
// peak measured in the same run.
import { createTrainer, loadKernels } from '../dist/index.js';
import { formatMs, measure } from './harness.mjs';

export async function runTrainingBenchmarks({ quick = false } = {}) {
  const k = await loadKernels();
  const peakIterations = 2e7;
  const peak = await measure(() => k.raw.peak_muladd_f32(peakIterations), { seconds: quick ? 0.3 : 1, warmup: 1, minSamples: 5 });
  const peakGflops = (peakIterations * 96) / peak.median / 1e6;
  const gemm = [];
  const [M, K, N] = [128, 784, 128];
  for (const kind of ['nn', 'nt', 'tn']) {
    const A = k.alloc(M * K), B = k.alloc(K * N), C = k.alloc(M * N), S = k.alloc(k.raw.gemm_scratch_floats(K, N));
    A.array.forEach((_, i, a) => { a[i] = Math.sin(i); });
    B.array.forEach((_, i, a) => { a[i] = Math.cos(i); });
    const time = await measure(() => k.raw[`gemm_${kind}_f32`](A.ptr, B.ptr, C.ptr, M, K, N, 0, false, S.ptr), { seconds: quick ? 0.3 : 1 });
    gemm.push({ kind, label: { nn: 'A·B', nt: 'A·Bᵀ', tn: 'Aᵀ·B' }[kind], time, gflops: (2 * M * K * N) / time.median / 1e6 });
    for (const a of [A, B, C, S]) a.free();
  }
  // MLP 784-128-10 on synthetic MNIST-shaped data (the time per step does not depend on the values)
  const rows = quick ? 2048 : 8192;
  const x = new Float32Array(rows * 784).map((_, i) => (Math.sin(i * 0.37) + 1) / 2);
  const y = Int32Array.from({ length: rows }, (_, i) => i % 10);
  const spec = {
    inputSize: 784, layers: [{ units: 128, activation: 'relu' }, { units: 10 }], loss: 'softmax_cross_entropy',
    optimizer: { name: 'adam', learningRate: 1e-3 }, seed: 1,
  };
  const mlp = [];
  for (const [label, options] of [['in-thread', { worker: false }], ['in a worker', {}]]) {
    const trainer = await createTrainer(spec, options);
    const time = await measure(() => trainer.fit(x, y, { epochs: 1, batchSize: 128 }), { seconds: quick ? 1 : 3, warmup: 1, minSamples: 3 });
    mlp.push({ label, time, samplesPerSecond: (rows / time.median) * 1000 });
    await trainer.dispose();
  }
  return { peakGflops, peak, gemm, mlp, rows };
}

export function trainingTable({ peakGflops, gemm, mlp, rows }) {
  const lines = [
    `f32x4 multiply–add peak (12 chains) in this run: ${peakGflops.toFixed(1)} GFLOP/s`,
    '',
    '| case | median (min–max) | result | % of f32x4 peak | target |',
    '|---|---|---|---|---|',
  ];
  for (const g of gemm) {
    lines.push(`| GEMM ${g.label} [128,784]·[784,128] | ${formatMs(g.time.median)} (${formatMs(g.time.min)}–${formatMs(g.time.max)})${g.time.busy ? ' ⚠' : ''} | ` +
      `${g.gflops.toFixed(1)} GFLOP/s | ${((100 * g.gflops) / peakGflops).toFixed(0)} % | ≥ 20 GFLOP/s ${g.gflops >= 20 ? '✓' : '✗'} |`);
  }
  for (const m of mlp) {
    const target = m.label === 'in-thread' ? `≥ 36 000 ${m.samplesPerSecond >= 36000 ? '✓' : '✗'}` : '—';
    lines.push(`| MLP 784-128-10 ReLU, softmax CE, Adam, batch 128, ${m.label} (epoch of ${rows}) | ${formatMs(m.time.median)} (${formatMs(m.time.min)}–${formatMs(m.time.max)})${m.time.busy ? ' ⚠' : ''} | ` +
      `${Math.round(m.samplesPerSecond)} samples/s | — | ${target} |`);
  }
  return lines.join('\n');
}
