// Samples/s of MLP training (784-128-10 ReLU, softmax cross-entropy, Adam, batch 128, epochs of
// 10 000 MNIST rows) in this thread and in a worker, from arrays (copied in on every fit) and from a
// resident data set (copied in once), in interleaved rounds of one process.
//
//   node bench/resident.mjs [--rounds N]
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { createTrainer } from 'descent-wasm';
import { MLP, mnistRows, SPEC } from './mlp.mjs';

const roundsAt = process.argv.indexOf('--rounds');
const rounds = roundsAt >= 0 ? Number(process.argv[roundsAt + 1]) : 7;
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer, got ${process.argv[roundsAt + 1]}`);

const data = mnistRows(10_000);
const epoch = { epochs: 1, batchSize: MLP.batchSize };
const inThread = await createTrainer(SPEC, { worker: false });
const inWorker = await createTrainer(SPEC);
const variants = {
  'in-thread, arrays': { trainer: inThread, data: null },
  'in-thread, resident set': { trainer: inThread, data: inThread.dataset(data.x, data.y) },
  'worker, arrays': { trainer: inWorker, data: null },
  'worker, resident set': { trainer: inWorker, data: await inWorker.dataset(data.x, data.y) },
};
const fit = (v) => (v.data ? v.trainer.fit(v.data, epoch) : v.trainer.fit(data.x, data.y, epoch));
const samples = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
for (const v of Object.values(variants)) await fit(v); // warm-up
for (let round = 0; round < rounds; round++) {
  for (const [name, v] of Object.entries(variants)) {
    const started = performance.now();
    await fit(v);
    samples[name].push(performance.now() - started);
  }
}
await inThread.dispose();
await inWorker.dispose();

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const rate = (name) => (data.rows / median(samples[name])) * 1000;
const lines = [
  '# Resident data sets: MLP training samples/s',
  '',
  `${new Date().toISOString()} · ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length} · Node ${process.version} · ${rounds} interleaved rounds of one epoch (10 000 MNIST rows, batch ${MLP.batchSize}, Adam) per variant`,
  '',
  '| variant | median ms per epoch | samples/s | vs in-thread arrays | samples (ms) |',
  '|---|---|---|---|---|',
  ...Object.keys(samples).map((name) => `| ${name} | ${median(samples[name]).toFixed(1)} | ${Math.round(rate(name))} | ${(rate(name) / rate('in-thread, arrays')).toFixed(3)} | ${samples[name].map((v) => v.toFixed(0)).join(' ')} |`),
  '',
  `worker on a resident set / in-thread (arrays): ${(rate('worker, resident set') / rate('in-thread, arrays')).toFixed(3)} (target ≥ 0.95)`,
];
console.log(lines.join('\n'));
writeFileSync(new URL(`./results/${new Date().toISOString().slice(0, 10)}-resident.md`, import.meta.url), `${lines.join('\n')}\n`);
