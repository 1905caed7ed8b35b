// Data-parallel scaling: MLP 784-256-256-10 (ReLU, softmax CE, Adam), batch 512, on MNIST, with
// 1, 2 and 3 workers (createTrainer(spec, { workers })), all in the same process and run. Reports
// samples/s, the speed-up over one worker, and where a parallel step's time goes: the coordinator's
// own shard, waiting for the shard workers (their compute beyond the coordinator's, plus wake-up
// latency), and combining the gradients + the optimizer update.
// Usage: node bench/parallel.mjs [--quick]
import { writeFileSync } from 'node:fs';
import { cpus, availableParallelism } from 'node:os';
import { createTrainer } from 'descent-wasm';
import { loadMnist } from '../data/datasets.mjs';

const quick = process.argv.includes('--quick');
const data = loadMnist();
const spec = {
  inputSize: 784,
  layers: [{ units: 256, activation: 'relu' }, { units: 256, activation: 'relu' }, { units: 10 }],
  loss: 'softmax_cross_entropy',
  optimizer: { name: 'adam', learningRate: 1e-3 },
  seed: 1,
};
const batchSize = 512;
const rounds = quick ? 1 : 3;
const epochs = quick ? 1 : 3;
const counts = [1, 2, 3];

const samples = Object.fromEntries(counts.map((n) => [n, []]));
// The machine's own ceiling in the same run: two independent one-worker trainers training at once.
const independent = [];
const profiles = {};
const losses = {};
for (let round = 0; round < rounds; round++) {
  // interleaved, so that a busy spell of this shared machine hits every configuration alike
  for (const workers of counts) {
    const trainer = await createTrainer(spec, { workers });
    await trainer.fit(data.x, data.y, { epochs: 1, batchSize, shuffle: true }); // warm-up epoch
    const before = await trainer.parallelProfile();
    const started = performance.now();
    const history = await trainer.fit(data.x, data.y, { epochs, batchSize, shuffle: true });
    const ms = performance.now() - started;
    const after = await trainer.parallelProfile();
    samples[workers].push((epochs * data.rows * 1000) / ms);
    losses[workers] = history.epochs.at(-1).loss;
    if (workers > 1) {
      const steps = after.steps - before.steps;
      profiles[workers] = {
        perStepMs: ms / steps,
        computeMs: (after.compute - before.compute) / steps,
        waitMs: (after.wait - before.wait) / steps,
        combineMs: (after.combine - before.combine) / steps,
      };
    }
    await trainer.dispose();
  }
  const pair = await Promise.all([createTrainer(spec), createTrainer(spec)]);
  await Promise.all(pair.map((t) => t.fit(data.x, data.y, { epochs: 1, batchSize, shuffle: true })));
  const started = performance.now();
  await Promise.all(pair.map((t) => t.fit(data.x, data.y, { epochs, batchSize, shuffle: true })));
  independent.push((2 * epochs * data.rows * 1000) / (performance.now() - started));
  await Promise.all(pair.map((t) => t.dispose()));
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const base = median(samples[1]);
const rows = counts.map((n) => ({
  workers: n,
  samplesPerSecond: Math.round(median(samples[n])),
  min: Math.round(Math.min(...samples[n])),
  max: Math.round(Math.max(...samples[n])),
  speedUp: median(samples[n]) / base,
  finalLoss: losses[n],
  profile: profiles[n] ?? null,
}));
console.log(`\nData-parallel MLP 784-256-256-10, batch ${batchSize}, MNIST ${data.rows} rows, ${epochs} epoch(s) × ${rounds} round(s)`);
console.log(`${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}\n`);
console.log('| workers | samples/s (median, min–max) | speed-up vs 1 | final loss | per step: own shard / waiting / combine+update |');
console.log('|---|---|---|---|---|');
for (const r of rows) {
  const p = r.profile;
  const split = p ? `${p.perStepMs.toFixed(1)} ms: ${p.computeMs.toFixed(1)} / ${p.waitMs.toFixed(1)} / ${p.combineMs.toFixed(1)} ms` : '—';
  console.log(`| ${r.workers} | ${r.samplesPerSecond} (${r.min}–${r.max}) | ${r.speedUp.toFixed(2)}× | ${r.finalLoss.toFixed(5)} | ${split} |`);
}
const ceiling = median(independent) / base;
console.log(`\nCeiling in the same run: two independent one-worker trainers at once reach ${Math.round(median(independent))} samples/s together ` +
  `(${Math.round(Math.min(...independent))}–${Math.round(Math.max(...independent))}), ${ceiling.toFixed(2)}× one alone.`);
const file = `bench/results/${new Date().toISOString().slice(0, 10)}-parallel${quick ? '-quick' : ''}.json`;
writeFileSync(file, JSON.stringify({
  date: new Date().toISOString(), cpu: cpus()[0]?.model, cores: availableParallelism(), node: process.version,
  batchSize, epochs, rounds, rows, samples, independent, independentSpeedUp: ceiling,
}, null, 2));
console.log(`\nwritten ${file}`);
