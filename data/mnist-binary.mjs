// MNIST as one compact binary file for browsers (the demo ships it instead of the `mnist` package's ten
// 2 MB JSON files): a 12-byte header ('MNU8', rows, cols as little-endian u32), one label byte per row,
// then the pixels as bytes (value × 255: the package stores k / 255 rounded to 3 decimals, so rounding
// recovers k exactly).

const MAGIC = [0x4d, 0x4e, 0x55, 0x38];

/** { x (rows × cols, in [0, 1]), y, rows, cols } → the binary layout above. */
export function encodeMnist({ x, y, rows, cols }) {
  const bytes = new Uint8Array(12 + rows + rows * cols);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC);
  view.setUint32(4, rows, true);
  view.setUint32(8, cols, true);
  bytes.set(y, 12);
  for (let i = 0; i < rows * cols; i++) bytes[12 + rows + i] = Math.round(x[i] * 255);
  return bytes;
}

/** The binary layout above → { x: Float32Array in [0, 1], y: Int32Array, rows, cols, classes: 10 }. */
export function decodeMnist(bytes) {
  if (MAGIC.some((b, i) => bytes[i] !== b)) throw new Error('not an MNIST binary file (no MNU8 header)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [rows, cols] = [view.getUint32(4, true), view.getUint32(8, true)];
  if (bytes.length !== 12 + rows + rows * cols) throw new Error(`MNIST binary file: ${bytes.length} bytes, expected ${12 + rows + rows * cols}`);
  const y = Int32Array.from(bytes.subarray(12, 12 + rows));
  const pixels = bytes.subarray(12 + rows);
  const x = new Float32Array(rows * cols);
  for (let i = 0; i < x.length; i++) x[i] = pixels[i] / 255;
  return { x, y, rows, cols, classes: 10 };
}
