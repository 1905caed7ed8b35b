// A drawing on the pad as one input row, made the way each data set's images were made:
// - the 8×8 digits (UCI optdigits, scikit-learn's load_digits): the digit's bounding box scaled, aspect
//   kept, to fill a 32×32 bitmap, centred; each 4×4 block of it counts its "on" pixels (0..16);
// - MNIST (LeCun et al.: "normalized to fit in a 20x20 pixel box while preserving their aspect ratio …
//   centered in a 28x28 image by computing the center of mass of the pixels"): the bounding box scaled,
//   aspect kept, into 20×20, placed so that the ink's centre of mass lands on the centre of 28×28,
//   grey levels in [0, 1]. A 7's mass sits in its top bar: centred by its box it sat too high.
// optdigits' pens are thick (a "1" is about two blocks wide): the pad's strokes are thickened to
// STROKE_32 pixels of the 32×32 bitmap, whatever the drawing's size.
// Scaling is an exact area average (each pad pixel spreads its ink over the cells it overlaps), so a
// thin stroke keeps its ink however much the drawing shrinks.

// Measured: the data set's mean "1" is about 7 pixels wide; 6 read synthetic 0, 1 and 7 right most often.
const STROKE_32 = 6;

/** The bounding box of the cells with ink in a size × size coverage map: [left, top, width, height], or null. */
function inkBox(ink, size) {
  let [left, top, right, bottom] = [size, size, -1, -1];
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (ink[y * size + x] === 0) continue;
      if (x < left) left = x;
      if (x > right) right = x;
      if (y < top) top = y;
      if (y > bottom) bottom = y;
    }
  }
  return right < 0 ? null : [left, top, right - left + 1, bottom - top + 1];
}

/** For each source index 0 … n−1 mapped to [i·scale + offset, (i+1)·scale + offset): the cells it overlaps and by how much. */
function overlaps(n, scale, offset, cells) {
  const spans = [];
  for (let i = 0; i < n; i++) {
    const [from, to] = [i * scale + offset, (i + 1) * scale + offset];
    const parts = [];
    for (let cell = Math.max(0, Math.floor(from)); cell < Math.min(cells, Math.ceil(to)); cell++) {
      parts.push([cell, Math.min(to, cell + 1) - Math.max(from, cell)]);
    }
    spans.push(parts);
  }
  return spans;
}

/** The ink's centre of mass in a size × size coverage map, in pad pixels (a pixel's centre is at i + 0.5). */
function centreOfMass(ink, size) {
  let [mass, x, y] = [0, 0, 0];
  for (let row = 0; row < size; row++) {
    for (let column = 0; column < size; column++) {
      const value = ink[row * size + column];
      mass += value;
      x += value * (column + 0.5);
      y += value * (row + 0.5);
    }
  }
  return [x / mass, y / mass];
}

/**
 * The ink of a size × size coverage map (values in [0, 1], row-major) with its bounding box scaled to
 * fit `box` cells in a cells × cells grid, its box centred there, or with `byMass` its centre of mass:
 * [each cell's covered fraction in [0, 1], cells per pad pixel].
 */
export function areaAverage(ink, size, cells, box, byMass = false) {
  const out = new Float32Array(cells * cells);
  const bounds = inkBox(ink, size);
  if (!bounds) return [out, 0];
  const [left, top, width, height] = bounds;
  const scale = box / Math.max(width, height);
  const [centreX, centreY] = byMass ? centreOfMass(ink, size) : [left + width / 2, top + height / 2];
  const columns = overlaps(size, scale, cells / 2 - centreX * scale, cells);
  const rows = overlaps(size, scale, cells / 2 - centreY * scale, cells);
  for (let y = top; y < top + height; y++) {
    for (let x = left; x < left + width; x++) {
      const value = ink[y * size + x];
      if (value === 0) continue;
      for (const [row, h] of rows[y]) for (const [column, w] of columns[x]) out[row * cells + column] += value * h * w;
    }
  }
  return [out, scale];
}

/** The cells of a cells × cells bitmap within `radius` of an on cell (a round pen `radius` wider on every side). */
function thicken(bitmap, cells, radius) {
  const reach = Math.floor(radius);
  if (reach < 1) return bitmap;
  const out = new Uint8Array(cells * cells);
  for (let y = 0; y < cells; y++) {
    for (let x = 0; x < cells; x++) {
      if (!bitmap[y * cells + x]) continue;
      for (let dy = -reach; dy <= reach; dy++) {
        for (let dx = -reach; dx <= reach; dx++) {
          const [u, v] = [x + dx, y + dy];
          if (u >= 0 && v >= 0 && u < cells && v < cells && dx * dx + dy * dy <= radius * radius) out[v * cells + u] = 1;
        }
      }
    }
  }
  return out;
}

/**
 * optdigits' 8×8 features: a 32×32 bitmap (cells at least half covered are on) whose strokes are
 * thickened to the data set's pen, on-pixels counted per 4×4 block (0..16).
 */
function optdigits(ink, size, penWidth) {
  const [coverage, scale] = areaAverage(ink, size, 32, 32);
  const bitmap = thicken(coverage.map((c) => (c >= 0.5 ? 1 : 0)), 32, (STROKE_32 - penWidth * scale) / 2);
  const out = new Float32Array(64);
  for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) out[(y >> 2) * 8 + (x >> 2)] += bitmap[y * 32 + x];
  return out;
}

/**
 * The pad's ink (size × size coverage in [0, 1], drawn with a pen `penWidth` pad pixels wide) as one
 * row of a data set with w × h images: 8×8 (counts 0..16) or 28×28 ([0, 1]).
 */
export function digitInput(ink, size, [w, h], penWidth) {
  if (w === 8 && h === 8) return optdigits(ink, size, penWidth);
  if (w === 28 && h === 28) return areaAverage(ink, size, 28, 20, true)[0].map((v) => Math.min(1, v));
  throw new RangeError(`imageShape must be [8, 8] or [28, 28], got [${w}, ${h}]`);
}
