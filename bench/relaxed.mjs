// The relaxed-SIMD build (fused multiply-add) against the SIMD build, in one process, interleaved:
//   - GEMM in the three orientations as a share of the fused peak (peak_madd_f32 of
//     build/bench-relaxed.wasm) and of the separate multiply–add peak, both measured in this run,
//     and the GEMM micro-kernel alone with its data in L1 (the ceiling of a whole GEMM);
//   - training samples/s, in this thread, of the MLP (784-256-256-10, batch 512, Adam) and of the
//     MNIST CNN (bench/cnn.mjs's network, batch 64), relaxed ÷ simd.
// Each figure is the best of its interleaved rounds: on a shared machine other work only slows a
// run down, so the fastest round is the closest to what the code can do (medians are reported too).
// Node 20 needs --experimental-wasm-relaxed-simd:
//
//   node --experimental-wasm-relaxed-simd bench/relaxed.mjs [--rounds N]
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { createTrainer, loadKernels, relaxedSimdSupported } from 'descent-wasm';
import { loadRoofline, PEAK_MULADD_FLOPS } from 'descent-wasm/bench';
import { CNN_SPEC } from './cnn-spec.mjs';
import { mnistRows } from './mlp.mjs';

if (!relaxedSimdSupported()) {
  console.error('this engine has no relaxed SIMD: run Node 20 with --experimental-wasm-relaxed-simd');
  process.exit(1);
}
const at = process.argv.indexOf('--rounds');
const ROUNDS = at >= 0 ? Number(process.argv[at + 1]) : 7;
const BUILDS = ['relaxed', 'simd'];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// ---- GEMM against the peaks ------------------------------------------------------------------
const SHAPES = [[128, 784, 256], [512, 256, 256], [64, 1152, 128]];
const gemmCases = [];
for (const build of BUILDS) {
  const k = await loadKernels({ build });
  for (const [M, K, N] of SHAPES) {
    for (const o of ['nn', 'nt', 'tn']) {
      const A = k.alloc(M * K), B = k.alloc(K * N), C = k.alloc(M * N), S = k.alloc(k.raw.gemm_scratch_floats(K, N));
      A.array.forEach((_, i) => { A.array[i] = Math.sin(i); });
      B.array.forEach((_, i) => { B.array[i] = Math.cos(i); });
      const f = k.raw[`gemm_${o}_f32`];
      const reps = Math.max(1, Math.round(4e7 / (2 * M * K * N)));
      gemmCases.push({ build, name: `${o} [${M},${K}]·[${K},${N}]`, flops: 2 * M * K * N * reps, run: () => { for (let r = 0; r < reps; r++) f(A.ptr, B.ptr, C.ptr, M, K, N, 0, false, S.ptr); } });
    }
  }
}
const fused = await loadRoofline({ relaxed: true });
const separate = await loadRoofline({ relaxed: false });
const PEAK_ITERATIONS = 4e5;
const peaks = [
  { name: 'fused', flops: PEAK_ITERATIONS * PEAK_MULADD_FLOPS, run: () => fused.peakMadd(PEAK_ITERATIONS) },
  { name: 'separate', flops: PEAK_ITERATIONS * PEAK_MULADD_FLOPS, run: () => separate.peakMadd(PEAK_ITERATIONS) },
];
// The GEMM micro-kernel alone, its data in L1: the ceiling of a whole GEMM on this engine.
const MICRO_ITERATIONS = 2000;
const micro = [
  { name: 'relaxed', flops: MICRO_ITERATIONS * fused.microKernelFlops, run: () => fused.microKernel(MICRO_ITERATIONS) },
  { name: 'simd', flops: MICRO_ITERATIONS * separate.microKernelFlops, run: () => separate.microKernel(MICRO_ITERATIONS) },
];
const gflops = new Map();
const time = (c) => {
  const t0 = performance.now();
  c.run();
  const g = c.flops / (performance.now() - t0) / 1e6;
  gflops.set(c, [...(gflops.get(c) ?? []), g]);
};
for (let round = 0; round < 20 * ROUNDS; round++) {
  for (const c of gemmCases) time(c);
  for (const p of [...peaks, ...micro]) time(p);
}
const best = (c) => Math.max(...gflops.get(c));

// ---- training ---------------------------------------------------------------------------------
const mnist = mnistRows(4096);
const MLP_SPEC = {
  inputSize: 784, layers: [{ units: 256, activation: 'relu' }, { units: 256, activation: 'relu' }, { units: 10 }],
  loss: 'softmax_cross_entropy', optimizer: { name: 'adam', learningRate: 1e-3 }, seed: 1,
};
const trainings = [
  { name: 'MLP 784-256-256-10, batch 512', spec: MLP_SPEC, rows: 4096, batchSize: 512 },
  { name: 'MNIST CNN, batch 64', spec: CNN_SPEC, rows: 1024, batchSize: 64 },
];
const rates = new Map();
// A fresh trainer (and WASM memory) every round: on this virtual machine one instance can run ~1.5×
// slower than the next for its whole life (where its memory lands, it seems), so reusing one
// instance per build would compare instances rather than builds.
for (let round = 0; round < ROUNDS; round++) {
  for (const t of trainings) {
    for (const build of round % 2 ? [...BUILDS].reverse() : BUILDS) {
      const trainer = await createTrainer(t.spec, { worker: false, build });
      const ds = await trainer.dataset(mnist.x.subarray(0, t.rows * 784), mnist.y.subarray(0, t.rows));
      await trainer.fit(ds, { epochs: 1, batchSize: t.batchSize }); // warm-up
      const t0 = performance.now();
      await trainer.fit(ds, { epochs: 1, batchSize: t.batchSize });
      const key = `${t.name}/${build}`;
      rates.set(key, [...(rates.get(key) ?? []), (t.rows / (performance.now() - t0)) * 1000]);
      await trainer.dispose();
    }
  }
}

// ---- report -----------------------------------------------------------------------------------
const [peakFused, peakSeparate] = peaks.map(best);
const lines = [
  '# Relaxed-SIMD build (fused multiply-add) vs SIMD build',
  '',
  `${new Date().toISOString()} · ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length} · load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} · Node ${process.version} · best of interleaved rounds (${20 * ROUNDS} GEMM, ${ROUNDS} training)`,
  '',
  `Peaks (12 independent f32x4 chains): fused ${peakFused.toFixed(1)} GFLOP/s, separate multiply and add ${peakSeparate.toFixed(1)} GFLOP/s (ratio ${(peakFused / peakSeparate).toFixed(2)}).`,
  '',
  '| GEMM | relaxed GFLOP/s | of fused peak | simd GFLOP/s | of separate peak | relaxed ÷ simd |',
  '|---|---|---|---|---|---|',
  `| micro-kernel alone (relaxed 3×12, simd 4×8 blocks; 256 k-steps, data in L1) | ${best(micro[0]).toFixed(1)} | ${((100 * best(micro[0])) / peakFused).toFixed(0)} % | ${best(micro[1]).toFixed(1)} | ${((100 * best(micro[1])) / peakSeparate).toFixed(0)} % | ${(best(micro[0]) / best(micro[1])).toFixed(2)} |`,
  ...gemmCases.filter((c) => c.build === 'relaxed').map((c) => {
    const s = gemmCases.find((d) => d.build === 'simd' && d.name === c.name);
    return `| ${c.name} | ${best(c).toFixed(1)} | ${((100 * best(c)) / peakFused).toFixed(0)} % | ${best(s).toFixed(1)} | ${((100 * best(s)) / peakSeparate).toFixed(0)} % | ${(best(c) / best(s)).toFixed(2)} |`;
  }),
  '',
  '| training, in-thread | relaxed samples/s (best, median) | simd samples/s (best, median) | relaxed ÷ simd (best) |',
  '|---|---|---|---|',
  ...trainings.map((t) => {
    const r = rates.get(`${t.name}/relaxed`), s = rates.get(`${t.name}/simd`);
    return `| ${t.name} | ${Math.max(...r).toFixed(0)}, ${median(r).toFixed(0)} | ${Math.max(...s).toFixed(0)}, ${median(s).toFixed(0)} | ${(Math.max(...r) / Math.max(...s)).toFixed(2)} |`;
  }),
];
console.log(lines.join('\n'));
// the day's file: this run's tables, and the hand-written "## Notes" of an earlier run kept below them
const file = new URL(`./results/${new Date().toISOString().slice(0, 10)}-relaxed.md`, import.meta.url);
const earlier = existsSync(file) ? readFileSync(file, 'utf8') : '';
const notes = earlier.includes('\n## Notes') ? `\n${earlier.slice(earlier.indexOf('\n## Notes') + 1)}` : '';
writeFileSync(file, `${lines.join('\n')}\n${notes}`);
