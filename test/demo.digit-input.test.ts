// The draw pad's preprocessing (demo/digit-input.js) against what the data sets' own preprocessing
// implies: ink is conserved by the area average, the bounding box lands centred and scaled, and a
// straight "1" becomes a centred column as wide as optdigits' pens, in whole counts 0..16.
import { describe, expect, it } from 'vitest';
// @ts-expect-error: plain JavaScript module without declarations
import { areaAverage, digitInput } from '../demo/digit-input.js';

const SIZE = 224;
const PEN = 18;

/** A SIZE × SIZE coverage map with the pixels inside [x0, x1) × [y0, y1) inked at `value`. */
function rectangle(x0: number, y0: number, x1: number, y1: number, value = 1) {
  const ink = new Float32Array(SIZE * SIZE);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) ink[y * SIZE + x] = value;
  return ink;
}

const sum = (values: ArrayLike<number>) => Array.from(values).reduce((a, b) => a + b, 0);

describe('the draw pad reads drawings as the data sets were made', () => {
  it('the area average keeps the ink (Σ out = Σ ink · scale²) and centres its bounding box', () => {
    const ink = rectangle(30, 50, 61, 150, 0.7); // 31 × 100 pad pixels, off-centre
    const [out, scale] = areaAverage(ink, SIZE, 32, 32);
    expect(scale).toBeCloseTo(32 / 100, 12);
    expect(sum(out)).toBeCloseTo(sum(ink) * scale * scale, 3);
    // the box spans all 32 rows and 31 · 0.32 = 9.92 columns around column 16: [11.04, 20.96)
    for (let y = 0; y < 32; y++) {
      const row = out.subarray(y * 32, y * 32 + 32);
      expect(row[10]).toBe(0);
      expect(row[11]).toBeCloseTo(0.7 * 0.96, 5);
      expect(row[16]).toBeCloseTo(0.7, 5);
      expect(row[20]).toBeCloseTo(0.7 * 0.96, 5);
      expect(row[21]).toBe(0);
    }
  });

  it('MNIST: the drawing fits the middle 20 × 20 of 28 × 28, values in [0, 1]', () => {
    const input: Float32Array = digitInput(rectangle(100, 20, 120, 200), SIZE, [28, 28], PEN);
    expect(input).toHaveLength(784);
    for (let y = 0; y < 28; y++) {
      const row = sum(input.subarray(y * 28, y * 28 + 28));
      if (y < 4 || y >= 24) expect(row).toBe(0);
      else expect(row).toBeCloseTo((20 * 20) / 180, 4); // 20 pad pixels wide at 20/180 cells per pixel
    }
    expect(Math.max(...input)).toBeLessThanOrEqual(1);
  });

  it("MNIST: a 7-like shape (heavy top bar) is centred by its centre of mass, not its box, still inside the 20 × 20 box's scale", () => {
    const ink = rectangle(40, 30, 180, 50); // the bar: 140 × 20
    for (let y = 50; y < 200; y++) for (let x = 150; x < 168; x++) ink[y * SIZE + x] = 1; // the stem: 18 × 150
    const input: Float32Array = digitInput(ink, SIZE, [28, 28], PEN);
    let [mass, cx, cy] = [0, 0, 0];
    input.forEach((v, p) => { mass += v; cx += v * ((p % 28) + 0.5); cy += v * (Math.floor(p / 28) + 0.5); });
    expect(cx / mass).toBeCloseTo(14, 1); // tolerance 0.05 cells
    expect(cy / mass).toBeCloseTo(14, 1);
    const rows = Array.from({ length: 28 }, (_, y) => sum(input.subarray(y * 28, y * 28 + 28)) > 0);
    expect(rows.lastIndexOf(true) - rows.indexOf(true) + 1).toBeLessThanOrEqual(21); // 170 pad rows at 20/170: 20 cells (+1 straddled)
    expect(rows.indexOf(true)).toBeGreaterThan(4); // lower than a box-centred 7 (rows 4…23): its mass is in the bar
  });

  it('8×8 digits: a straight vertical stroke is a centred column about two blocks wide, as optdigits draws a "1"', () => {
    const one = (x: number, top: number) => digitInput(rectangle(x, top, x + PEN, top + 160), SIZE, [8, 8], PEN);
    const input: Float32Array = one(40, 30);
    expect(Array.from(input).every((v) => Number.isInteger(v) && v >= 0 && v <= 16)).toBe(true);
    for (let y = 0; y < 8; y++) {
      const row = Array.from(input.subarray(y * 8, y * 8 + 8));
      expect(row.filter((v, x) => x !== 3 && x !== 4 && v > 0)).toEqual([]); // only the two middle blocks
      expect(row[3]).toBe(row[4]); // centred
      expect(row[3]! + row[4]!).toBeGreaterThanOrEqual(5 * 4); // a pen at least 5 of 32 pixels wide (optdigits' "1": ~7)
    }
    expect(Array.from(one(150, 10))).toEqual(Array.from(input)); // where on the pad it was drawn does not matter
  });

  it('an empty pad is all zeros; an unknown image shape is refused by name', () => {
    expect(sum(digitInput(new Float32Array(SIZE * SIZE), SIZE, [8, 8], PEN))).toBe(0);
    expect(() => digitInput(new Float32Array(SIZE * SIZE), SIZE, [16, 16], PEN)).toThrow(/imageShape must be \[8, 8\] or \[28, 28\], got \[16, 16\]/);
  });
});
