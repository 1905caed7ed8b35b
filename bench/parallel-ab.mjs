// Two checkouts of descent side by side in one process: `workers: 2` training with each one's
// dist/ (built), interleaved round by round, and one worker for scale. For comparing a change to
// data-parallel training on a machine whose speed drifts (each round runs every configuration).
//
//   node bench/parallel-ab.mjs <checkout A> <checkout B> [--cnn] [--rounds N]
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadMnist } from '../data/datasets.mjs';
import { CNN_SPEC } from './cnn-spec.mjs';

const [dirA, dirB] = process.argv.slice(2).filter((a) => !a.startsWith('--') && !/^\d+$/.test(a));
if (!dirA || !dirB) {
  console.error('usage: node bench/parallel-ab.mjs <checkout A> <checkout B> [--cnn] [--rounds N]');
  process.exit(1);
}
const cnn = process.argv.includes('--cnn');
const roundsAt = process.argv.indexOf('--rounds');
const ROUNDS = roundsAt >= 0 ? Number(process.argv[roundsAt + 1]) : 12;
const load = (dir) => import(pathToFileURL(resolve(dir, 'dist/index.js')).href);
const [libA, libB] = await Promise.all([load(dirA), load(dirB)]);
const mnist = loadMnist();
const rows = cnn ? 2048 : mnist.rows;
const x = mnist.x.subarray(0, rows * 784);
const y = mnist.y.subarray(0, rows);
const spec = cnn ? CNN_SPEC : {
  inputSize: 784, layers: [{ units: 256, activation: 'relu' }, { units: 256, activation: 'relu' }, { units: 10 }],
  loss: 'softmax_cross_entropy', optimizer: { name: 'adam', learningRate: 1e-3 }, seed: 1,
};
const batchSize = cnn ? 256 : 512;
const runs = [];
for (const [name, lib, workers] of [['A, 2 workers', libA, 2], ['B, 2 workers', libB, 2], ['B, 1 worker', libB, 1]]) {
  const trainer = await lib.createTrainer(spec, { workers });
  const set = await trainer.dataset(x, y);
  await trainer.fit(set, { epochs: 1, batchSize }); // warm-up
  runs.push({ name, trainer, set, rates: [], loss: 0 });
}
for (let round = 0; round < ROUNDS; round++) {
  for (const run of round % 2 ? [...runs].reverse() : runs) {
    const started = performance.now();
    const history = await run.trainer.fit(run.set, { epochs: 1, batchSize });
    run.rates.push((rows * 1000) / (performance.now() - started));
    run.loss = history.epochs[0].loss;
  }
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const base = median(runs[0].rates);
console.log(`${cnn ? 'MNIST CNN, batch 256' : 'MLP 784-256-256-10, batch 512'}, ${rows} rows, median of ${ROUNDS} interleaved rounds; A = ${dirA}, B = ${dirB}`);
for (const run of runs) {
  console.log(`${run.name.padEnd(14)} ${median(run.rates).toFixed(0).padStart(6)} samples/s (best ${Math.max(...run.rates).toFixed(0)}), ÷ A ${(median(run.rates) / base).toFixed(3)}, last loss ${run.loss.toFixed(6)}`);
  await run.trainer.dispose();
}
