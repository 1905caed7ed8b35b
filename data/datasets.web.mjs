// The data sets in a browser (bundled by Vite): files are fetched and un-gzipped with
// DecompressionStream where the server did not. MNIST comes as one binary file (mnist-binary.mjs)
// that the app serves; the demo makes it from the `mnist` package.
import { parseDigits } from './common.mjs';
import { decodeMnist } from './mnist-binary.mjs';

export { loadIris, mulberry32, trainTestSplit } from './common.mjs';
export { bigramCrossEntropy, charVocabulary, decodeIds, encodeText, heldOutSplit, prepareText, textWindows } from './text.mjs';

/** The bytes at `url`, inflated if they are still gzipped. */
async function fetchBytes(url, what) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`could not load ${what}: HTTP ${response.status}`);
  // Some servers (Vite's dev server among them) send .gz files with Content-Encoding: gzip, and the
  // browser has already inflated them: inflate only what still starts with gzip's magic bytes.
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  const inflated = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(inflated).arrayBuffer());
}

/** The 8×8 handwritten digits: 1,797 rows, 64 pixels in 0..16, 10 classes. */
export async function loadDigits() {
  return parseDigits(new TextDecoder().decode(await fetchBytes(new URL('./digits.csv.gz', import.meta.url), 'the digits')));
}

/** MNIST (10,000 images of 784 pixels in [0, 1]) from its binary file at `url`, rows ordered by digit. */
export async function loadMnist(url) {
  return decodeMnist(await fetchBytes(url, 'MNIST'));
}

/** Moby-Dick, chapters 1 to 22 (217,057 characters, 78 distinct), as one string. */
export async function loadMobyDick() {
  return new TextDecoder().decode(await fetchBytes(new URL('./moby-dick.txt.gz', import.meta.url), 'the text of Moby-Dick'));
}
