// Samples/s of MLP training (784-128-10 ReLU, softmax cross-entropy, Adam, batch 128, epochs of
// 10 000 MNIST rows) in this thread and in a worker, from arrays (copied in on every fit), from a
// resident data set (copied in once) and streamed from an async generator of 128-row batches, in
// interleaved rounds of one process; the main thread's event-loop delay while the worker streams.
//
//   node bench/resident.mjs [--rounds N]
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
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
/** The rows in seeded order as batches of 128, produced asynchronously (as a reader or a decoder would). */
async function* stream() {
  for (let start = 0; start < data.rows; start += MLP.batchSize) {
    const end = Math.min(start + MLP.batchSize, data.rows);
    yield { x: data.x.subarray(start * MLP.inputs, end * MLP.inputs), y: data.y.subarray(start, end) };
  }
}
const variants = {
  'in-thread, arrays': { trainer: inThread, data: null },
  'in-thread, resident set': { trainer: inThread, data: await inThread.dataset(data.x, data.y) },
  'in-thread, streamed': { trainer: inThread, data: 'stream' },
  'worker, arrays': { trainer: inWorker, data: null },
  'worker, resident set': { trainer: inWorker, data: await inWorker.dataset(data.x, data.y) },
  'worker, streamed': { trainer: inWorker, data: 'stream' },
};
const delays = monitorEventLoopDelay({ resolution: 1 });
const fit = async (v, name) => {
  if (v.data === 'stream') {
    if (name.startsWith('worker')) delays.enable();
    await v.trainer.fit(() => stream(), { epochs: 1 });
    delays.disable();
    return;
  }
  await (v.data ? v.trainer.fit(v.data, epoch) : v.trainer.fit(data.x, data.y, epoch));
};
const samples = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
for (const [name, v] of Object.entries(variants)) await fit(v, name); // warm-up
delays.reset();
for (let round = 0; round < rounds; round++) {
  for (const [name, v] of Object.entries(variants)) {
    const started = performance.now();
    await fit(v, name);
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
  `worker on a resident set / in-thread: ${(rate('worker, resident set') / rate('in-thread, arrays')).toFixed(3)} of the arrays, ${(rate('worker, resident set') / rate('in-thread, resident set')).toFixed(3)} of the resident set (target ≥ 0.95)`,
  `worker streamed / worker resident set: ${(rate('worker, streamed') / rate('worker, resident set')).toFixed(3)} (target ≥ 0.85); in-thread streamed / resident: ${(rate('in-thread, streamed') / rate('in-thread, resident set')).toFixed(3)}`,
  `main-thread event-loop delay while the worker streams: p50 ${(delays.percentile(50) / 1e6).toFixed(2)} ms, p99 ${(delays.percentile(99) / 1e6).toFixed(2)} ms, max ${(delays.max / 1e6).toFixed(2)} ms (target p99 < 10 ms)`,
];
console.log(lines.join('\n'));
writeFileSync(new URL(`./results/${new Date().toISOString().slice(0, 10)}-resident.md`, import.meta.url), `${lines.join('\n')}\n`);
