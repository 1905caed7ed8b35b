// TensorFlow.js beside descent, in this worker, on the work a visitor would hand either of them:
// one training epoch of the suite's MLP (784-128-10, Adam, batches of 128, 512 rows) and training
// steps of a small MNIST CNN (conv 3×3×16 → pool → conv 3×3×32 → pool → dense 10, Adam, batch 64).
// tfjs runs its WASM backend (SIMD, one thread, as descent's one worker) and its plain-JavaScript CPU
// backend; descent runs in this same worker (worker: false), so no side pays for messages. Each
// timing is the median of a few repetitions after a warm-up. Rows go back as they are measured.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { createTrainer } from 'descent-wasm';

setWasmPaths({ 'tfjs-backend-wasm.wasm': wasmPlain, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded });
// one thread, as descent's single worker (tfjs would otherwise start its own pthread pool)
tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);

const MLP = { rows: 512, inputs: 784, hidden: 128, classes: 10, batchSize: 128 };
const CNN = { rows: 128, batchSize: 64, cpuRows: 16 };
const CNN_LAYERS = [
  { type: 'conv2d', filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }, { type: 'maxpool2d', poolSize: 2 },
  { type: 'conv2d', filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }, { type: 'maxpool2d', poolSize: 2 },
  { type: 'flatten' }, { units: 10 },
];

/** Seeded uniform numbers in [0, 1) (mulberry32) and class labels. */
function data(rows, cols, classes, seed = 7) {
  let s = seed;
  const next = () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const x = Float32Array.from({ length: rows * cols }, next);
  const y = Int32Array.from({ length: rows }, () => Math.floor(next() * classes));
  const onehot = new Float32Array(rows * classes);
  y.forEach((c, r) => { onehot[r * classes + c] = 1; });
  return { x, y, onehot };
}

/** Median ms of `reps` runs of `run` after one warm-up. */
async function median(run, reps) {
  await run();
  const times = [];
  for (let i = 0; i < reps; i++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[Math.floor(reps / 2)];
}

async function useBackend(name) {
  await tf.setBackend(name);
  await tf.ready();
  // tfjs falls back to another backend silently: say so instead
  if (tf.getBackend() !== name) throw new Error(`tfjs backend ${name} did not start (running: ${tf.getBackend()})`);
}

/** tfjs training steps with Adam (lr 1e-3) over rows of x, in batches; `build` makes the variables and the forward pass. */
async function tfjsTrainer(backend, build, { x, onehot }, inputShape, rows, batchSize, classes) {
  await useBackend(backend);
  const { variables, forward } = build();
  const xs = tf.tensor(x.subarray(0, rows * inputShape.reduce((a, b) => a * b, 1)), [rows, ...inputShape]);
  const ys = tf.tensor2d(onehot.subarray(0, rows * classes), [rows, classes]);
  const optimizer = tf.train.adam(1e-3);
  return {
    epoch() {
      for (let start = 0; start < rows; start += batchSize) {
        const n = Math.min(batchSize, rows - start);
        tf.tidy(() => {
          const xb = tf.slice(xs, start, n);
          const yb = tf.slice(ys, start, n);
          optimizer.minimize(() => tf.losses.softmaxCrossEntropy(yb, forward(xb)), false, variables);
        });
      }
    },
    dispose() {
      optimizer.dispose();
      tf.dispose([xs, ys, ...variables]);
    },
  };
}

const glorot = (shape, fanIn, fanOut) => tf.variable(tf.randomUniform(shape, -Math.sqrt(6 / (fanIn + fanOut)), Math.sqrt(6 / (fanIn + fanOut)), 'float32', 1));

function mlpModel() {
  const variables = [glorot([MLP.inputs, MLP.hidden], MLP.inputs, MLP.hidden), tf.variable(tf.zeros([MLP.hidden])),
    glorot([MLP.hidden, MLP.classes], MLP.hidden, MLP.classes), tf.variable(tf.zeros([MLP.classes]))];
  const [w1, b1, w2, b2] = variables;
  return { variables, forward: (x) => tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, w1), b1)), w2), b2) };
}

function cnnModel() {
  const variables = [glorot([3, 3, 1, 16], 9, 144), tf.variable(tf.zeros([16])), glorot([3, 3, 16, 32], 144, 288), tf.variable(tf.zeros([32])),
    glorot([7 * 7 * 32, 10], 1568, 10), tf.variable(tf.zeros([10]))];
  const [k1, c1, k2, c2, w, b] = variables;
  const block = (x, k, c) => tf.maxPool(tf.relu(tf.add(tf.conv2d(x, k, 1, 'same'), c)), 2, 2, 'valid');
  return { variables, forward: (x) => tf.add(tf.matMul(tf.reshape(block(block(x, k1, c1), k2, c2), [-1, 7 * 7 * 32]), w), b) };
}

/** descent in this thread: ms per epoch of `rows` rows in batches of `batchSize`. */
async function descentEpoch(spec, { x, y }, rows, cols, batchSize, reps) {
  const trainer = await createTrainer({ ...spec, loss: 'softmax_cross_entropy', optimizer: { name: 'adam', learningRate: 1e-3 }, seed: 1 }, { worker: false });
  try {
    const set = await trainer.dataset(x.subarray(0, rows * cols), y.subarray(0, rows));
    return { ms: await median(() => trainer.fit(set, { epochs: 1, batchSize, shuffle: false }), reps), build: trainer.info.build };
  } finally {
    await trainer.dispose();
  }
}

async function tfjsEpoch(backend, build, rows, inputShape, batchSize, source, reps) {
  const trainer = await tfjsTrainer(backend, build, source, inputShape, rows, batchSize, 10);
  try {
    return await median(() => trainer.epoch(), reps);
  } finally {
    trainer.dispose();
  }
}

/** One comparison row: { case, impl, samplesPerSecond, ms, rows } or { case, impl, error }. */
async function measure(name, impl, rows, run, post) {
  try {
    const ms = await run();
    post({ case: name, impl, ms, rows, samplesPerSecond: (1000 * rows) / ms });
  } catch (error) {
    post({ case: name, impl, error: error.message });
  }
}

self.onmessage = async ({ data: { quick } }) => {
  const post = (row) => self.postMessage({ row });
  const reps = quick ? 3 : 7;
  try {
    const mlpData = data(MLP.rows, MLP.inputs, MLP.classes);
    const mlp = 'MLP 784-128-10 epoch (512 rows, batch 128)';
    await measure(mlp, 'descent', MLP.rows, async () => {
      const { ms, build } = await descentEpoch({ inputSize: MLP.inputs, layers: [{ units: MLP.hidden, activation: 'relu' }, { units: MLP.classes }] },
        mlpData, MLP.rows, MLP.inputs, MLP.batchSize, reps);
      self.postMessage({ build });
      return ms;
    }, post);
    await measure(mlp, 'tfjs-wasm', MLP.rows, () => tfjsEpoch('wasm', mlpModel, MLP.rows, [MLP.inputs], MLP.batchSize, mlpData, reps), post);
    await measure(mlp, 'tfjs-cpu', MLP.rows, () => tfjsEpoch('cpu', mlpModel, MLP.rows, [MLP.inputs], MLP.batchSize, mlpData, quick ? 1 : 3), post);
    const cnnData = data(CNN.rows, 784, 10);
    const cnn = 'MNIST CNN training (batch 64)';
    await measure(cnn, 'descent', CNN.rows, async () => (await descentEpoch({ inputShape: [28, 28, 1], layers: CNN_LAYERS }, cnnData, CNN.rows, 784, CNN.batchSize, reps)).ms, post);
    await measure(cnn, 'tfjs-wasm', CNN.rows, () => tfjsEpoch('wasm', cnnModel, CNN.rows, [28, 28, 1], CNN.batchSize, cnnData, reps), post);
    // tfjs-cpu trains about 7 images a second here: one batch of 16 says enough
    await measure(cnn, 'tfjs-cpu', CNN.cpuRows, () => tfjsEpoch('cpu', cnnModel, CNN.cpuRows, [28, 28, 1], CNN.cpuRows, cnnData, 1), post);
    self.postMessage({ done: true, tfjs: tf.version_core });
  } catch (error) {
    self.postMessage({ error: `${error.name}: ${error.message}` });
  }
};
