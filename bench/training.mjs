// Training benchmarks (issue targets: GEMM ≥ 20 GFLOP/s in every orientation; MLP 784-128-10,
// ReLU, softmax CE, Adam, batch 128, in-thread ≥ 36 000 samples/s), each printed beside the f32x4
// multiply–add peak measured in the same run.
//   node bench/training.mjs            (after npm run build)
import os from 'node:os';
import { createTrainer, loadKernels } from '../dist/index.js';

/** Median, min and max of `samples` timings (ms) of `run`, after `warmup` calls. */
function measure(run, { warmup = 3, samples = 15 } = {}) {
  for (let i = 0; i < warmup; i++) run();
  const times = [];
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    run();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { median: times[times.length >> 1], min: times[0], max: times[times.length - 1] };
}

const k = await loadKernels();
const peakIterations = 2e7;
const peak = measure(() => k.raw.peak_muladd_f32(peakIterations), { warmup: 1, samples: 5 });
const peakGflops = (peakIterations * 96) / peak.median / 1e6;

console.log(`# descent training benchmarks — ${new Date().toISOString().slice(0, 10)}, ${os.cpus()[0]?.model ?? 'cpu'} ×${os.cpus().length}, node ${process.version}`);
console.log(`f32x4 multiply–add peak (12 chains): ${peakGflops.toFixed(1)} GFLOP/s\n`);
console.log('| case | median | min–max | GFLOP/s | % of peak | target |');
console.log('|---|---|---|---|---|---|');
const [M, K, N] = [128, 784, 128];
const flops = 2 * M * K * N;
for (const kind of ['nn', 'nt', 'tn']) {
  const A = k.alloc(M * K), B = k.alloc(K * N), C = k.alloc(M * N), S = k.alloc(k.raw.gemm_scratch_floats(K, N));
  A.array.forEach((_, i, a) => { a[i] = Math.sin(i); });
  B.array.forEach((_, i, a) => { a[i] = Math.cos(i); });
  const t = measure(() => k.raw[`gemm_${kind}_f32`](A.ptr, B.ptr, C.ptr, M, K, N, 0, false, S.ptr), { warmup: 10, samples: 51 });
  const gflops = flops / t.median / 1e6;
  const label = { nn: 'A·B', nt: 'A·Bᵀ', tn: 'Aᵀ·B' }[kind];
  console.log(`| GEMM ${label} [128,784]·[784,128] | ${t.median.toFixed(3)} ms | ${t.min.toFixed(3)}–${t.max.toFixed(3)} | ${gflops.toFixed(1)} | ${(100 * gflops / peakGflops).toFixed(0)} % | ≥ 20 ${gflops >= 20 ? '✓' : '✗'} |`);
  for (const a of [A, B, C, S]) a.free();
}

// MLP 784-128-10 on synthetic MNIST-shaped data (the time per step does not depend on the values).
const rows = 8192;
const x = new Float32Array(rows * 784).map((_, i) => (Math.sin(i * 0.37) + 1) / 2);
const y = Int32Array.from({ length: rows }, (_, i) => i % 10);
const spec = {
  inputSize: 784, layers: [{ units: 128, activation: 'relu' }, { units: 10 }], loss: 'softmax_cross_entropy',
  optimizer: { name: 'adam', learningRate: 1e-3 }, seed: 1,
};
for (const [label, options] of [['in-thread', { worker: false }], ['in a worker', {}]]) {
  const trainer = await createTrainer(spec, options);
  await trainer.fit(x, y, { epochs: 1, batchSize: 128 });
  const times = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    await trainer.fit(x, y, { epochs: 1, batchSize: 128 });
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const samplesPerSecond = (rows / times[2]) * 1000;
  console.log(`| MLP 784-128-10 Adam batch 128, ${label} | ${times[2].toFixed(1)} ms/epoch of ${rows} | ${times[0].toFixed(1)}–${times[4].toFixed(1)} | — | — | ${Math.round(samplesPerSecond)} samples/s${label === 'in-thread' ? ` (≥ 36 000 ${samplesPerSecond >= 36000 ? '✓' : '✗'})` : ''} |`);
  await trainer.dispose();
}
