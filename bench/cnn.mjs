// Training the MNIST CNN of the layers issue — conv 3×3×16 same relu → maxpool 2 → conv 3×3×32 same
// relu → maxpool 2 → flatten → dense 10, softmax cross-entropy, Adam 1e-3, batch 64 — in samples/s:
// descent in this thread and in a worker (a resident data set), against tfjs-cpu (tfjs-layers'
// model.fit) on the same network, in one process; tfjs-wasm is tried and reported when it cannot train.
//
//   node bench/cnn.mjs [--rows N]
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { createTrainer } from 'descent-wasm';
import { CNN_SPEC } from './cnn-spec.mjs';
import { mnistRows } from './mlp.mjs';
import { tf, tfl, useBackend } from './tfjs.mjs';

const rowsAt = process.argv.indexOf('--rows');
const rows = rowsAt >= 0 ? Number(process.argv[rowsAt + 1]) : 2048;
const BATCH = 64;
// useful FLOPs per sample (2 per multiply-add): forward, weight gradients and input gradients — the
// first layer needs no input gradient
const CONV1 = 28 * 28 * 16 * 3 * 3 * 1 * 2;
const CONV2 = 14 * 14 * 32 * 3 * 3 * 16 * 2;
const DENSE = 7 * 7 * 32 * 10 * 2;
const FLOPS_PER_SAMPLE = 2 * CONV1 + 3 * (CONV2 + DENSE);


const data = mnistRows(rows);
const results = [];

async function descent(worker) {
  const t = await createTrainer(CNN_SPEC, { worker });
  const ds = await t.dataset(data.x, data.y);
  await t.fit(ds, { epochs: 1, batchSize: BATCH }); // warm-up
  const samples = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    await t.fit(ds, { epochs: 1, batchSize: BATCH });
    samples.push(performance.now() - started);
  }
  await t.dispose();
  return Math.min(...samples);
}

function tfjsModel() {
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 10 }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: (y, p) => tf.losses.softmaxCrossEntropy(y, p) });
  return model;
}

async function tfjs(backend, sampleRows) {
  await useBackend(backend);
  const model = tfjsModel();
  const x = tf.tensor4d(data.x.subarray(0, sampleRows * 784), [sampleRows, 28, 28, 1]);
  const y = tf.oneHot(tf.tensor1d(data.y.subarray(0, sampleRows), 'int32'), 10);
  try {
    await model.fit(x, y, { epochs: 1, batchSize: BATCH, verbose: 0 }); // warm-up
    const started = performance.now();
    await model.fit(x, y, { epochs: 1, batchSize: BATCH, verbose: 0 });
    return performance.now() - started;
  } finally {
    x.dispose();
    y.dispose();
    model.dispose();
  }
}

for (const [name, worker] of [['descent, in-thread', false], ['descent, worker', true]]) {
  const ms = await descent(worker);
  results.push({ name, rate: (rows / ms) * 1000 });
}
// tfjs-cpu at a few samples/s: time fewer rows
const cpuRows = Math.min(rows, 128);
results.push({ name: 'tfjs-cpu (layers model.fit)', rate: (cpuRows / (await tfjs('cpu', cpuRows))) * 1000 });
let wasmNote = '';
try {
  results.push({ name: 'tfjs-wasm (layers model.fit)', rate: (cpuRows / (await tfjs('wasm', cpuRows))) * 1000 });
} catch (error) {
  wasmNote = `tfjs-wasm cannot train this network: ${error.message.split('\n')[0]}`;
}
const cpu = results.find((r) => r.name.startsWith('tfjs-cpu')).rate;
const lines = [
  '# MNIST CNN training: samples/s',
  '',
  `${new Date().toISOString()} · ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length} · Node ${process.version} · tfjs ${tf.version_core} · ${rows} MNIST rows (tfjs-cpu timed on ${cpuRows}), batch ${BATCH}, Adam`,
  `network: conv 3×3×16 same relu → maxpool 2 → conv 3×3×32 same relu → maxpool 2 → flatten → dense 10; ${(FLOPS_PER_SAMPLE / 1e6).toFixed(1)} MFLOP per sample (forward + backward)`,
  '',
  '| implementation | samples/s | GFLOP/s | vs tfjs-cpu |',
  '|---|---|---|---|',
  ...results.map((r) => `| ${r.name} | ${r.rate.toFixed(1)} | ${((r.rate * FLOPS_PER_SAMPLE) / 1e9).toFixed(2)} | ${(r.rate / cpu).toFixed(1)}× |`),
  '',
  wasmNote || 'tfjs-wasm trained the network.',
];
console.log(lines.join('\n'));
writeFileSync(new URL(`./results/${new Date().toISOString().slice(0, 10)}-cnn.md`, import.meta.url), `${lines.join('\n')}\n`);
