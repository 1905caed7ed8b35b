// Properties over random shapes, options and values (fast-check, seeded): SIMD = scalar, 'sum' =
// 'mean' × divisor, 'none' items add up to 'sum' with the same gradient, NaN propagates.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Kernels, loadKernels, type LossName, type LossOptions } from '../src/index.js';

const f32 = (min: number, max: number) => fc.float({ min: Math.fround(min), max: Math.fround(max), noNaN: true, noDefaultInfinity: true });

interface Sample {
  name: LossName;
  rows: number;
  cols: number;
  input: Float32Array;
  target: Float32Array | Int32Array;
  options: LossOptions;
}

/** Random samples in each loss's domain. */
const sample: fc.Arbitrary<Sample> = fc
  .record({
    name: fc.constantFrom<LossName>('mse', 'mae', 'huber', 'smooth_l1', 'log_cosh', 'barron', 'cross_entropy', 'softmax_cross_entropy', 'nll',
      'binary_cross_entropy', 'bce_with_logits', 'hinge', 'squared_hinge', 'kl_div', 'poisson'),
    rows: fc.integer({ min: 1, max: 40 }),
    cols: fc.integer({ min: 1, max: 12 }),
    seed: fc.integer(),
    alpha: fc.oneof(f32(-5, 2), fc.constant(-Infinity)),
    positive: f32(0.05, 3),
  })
  .chain(({ name, rows, cols, alpha, positive }) => {
    const n = rows * cols;
    const values = (min: number, max: number) => fc.float32Array({ minLength: n, maxLength: n, min: Math.fround(min), max: Math.fround(max), noNaN: true });
    const probabilities = values(0.001, 1);
    const labels = fc.array(fc.integer({ min: 0, max: cols - 1 }), { minLength: rows, maxLength: rows }).map((a) => Int32Array.from(a));
    const options: LossOptions = name === 'huber' ? { delta: positive } : name === 'smooth_l1' ? { beta: positive } : name === 'barron' ? { alpha, scale: positive } : {};
    let input = values(-10, 10);
    let target: fc.Arbitrary<Float32Array | Int32Array> = values(-10, 10);
    if (name === 'cross_entropy' || name === 'kl_div') [input, target] = [probabilities, probabilities];
    if (name === 'softmax_cross_entropy' || name === 'nll') target = labels;
    if (name === 'binary_cross_entropy') [input, target] = [values(0.001, 0.999), values(0, 1)];
    if (name === 'bce_with_logits') target = values(0, 1);
    if (name === 'hinge' || name === 'squared_hinge') target = fc.float32Array({ minLength: n, maxLength: n }).map((a) => a.map((v) => (v > 0 ? 1 : -1)));
    if (name === 'poisson') [input, target] = [values(0.01, 10), values(0, 10)];
    return fc.record({ input, target }).map(({ input, target }) => ({ name, rows, cols, input, target, options }));
  });

function call(k: Kernels, s: Sample, options: LossOptions = {}) {
  return k.loss(s.name, s.input, s.target, { ...s.options, shape: [s.rows, s.cols], ...options });
}

const close = (a: number, b: number, scale: number) => Math.abs(a - b) <= 1e-4 * scale + 1e-6;

describe('loss properties', async () => {
  const relaxed = await loadKernels({ build: 'relaxed' });
  const simd = await loadKernels({ build: 'simd' });
  const scalar = await loadKernels({ build: 'scalar' });

  it.each([['SIMD', () => simd], ['relaxed (fused multiply-add)', () => relaxed]] as const)('%s and scalar builds agree within float32 tolerance', (_name, build) => {
    fc.assert(fc.property(sample, (s) => {
      const a = call(build(), s);
      const b = call(scalar, s);
      expect(close(a.value as number, b.value as number, Math.abs(b.value as number))).toBe(true);
      const scale = Math.max(...b.grad!.map(Math.abs));
      a.grad!.forEach((g, i) => expect(close(g, b.grad![i]!, scale), `${s.name} grad[${i}]`).toBe(true));
    }), { numRuns: 300, seed: 1 });
  });

  it("'sum' = 'mean' × divisor, and 'none' items add up to 'sum' with the same gradient", () => {
    fc.assert(fc.property(sample, (s) => {
      const mean = call(simd, s, { reduction: 'mean' });
      const sum = call(simd, s, { reduction: 'sum' });
      const none = call(simd, s, { reduction: 'none' });
      const rowLoss = ['cross_entropy', 'kl_div', 'softmax_cross_entropy', 'nll'].includes(s.name);
      const divisor = rowLoss ? s.rows : s.rows * s.cols; // unweighted, nothing ignored
      const items = none.value as Float32Array;
      const absSum = items.reduce((t, v) => t + Math.abs(v), 0);
      expect(items.length).toBe(rowLoss ? s.rows : s.rows * s.cols);
      expect(close(sum.value as number, (mean.value as number) * divisor, absSum)).toBe(true);
      expect(close(items.reduce((t, v) => t + v, 0), sum.value as number, absSum)).toBe(true);
      expect(Array.from(none.grad!)).toEqual(Array.from(sum.grad!));
      const scale = Math.max(...sum.grad!.map(Math.abs));
      mean.grad!.forEach((g, i) => expect(close(g * divisor, sum.grad![i]!, scale)).toBe(true));
    }), { numRuns: 300, seed: 2 });
  });

  it('NaN in the input propagates to the value', () => {
    fc.assert(fc.property(sample, fc.nat(), (s, at) => {
      const input = s.input.slice();
      // a NaN in a used element: for class-index losses, the labelled logit of row 0
      const i = s.target instanceof Int32Array ? s.target[0]! : at % input.length;
      input[i] = NaN;
      for (const k of [relaxed, simd, scalar]) {
        const { value } = k.loss(s.name, input, s.target, { ...s.options, shape: [s.rows, s.cols] });
        expect(Number.isNaN(value), `${s.name} NaN at ${i}`).toBe(true);
      }
    }), { numRuns: 200, seed: 3 });
  });

  it('finite inputs in the domain give finite values and gradients', () => {
    fc.assert(fc.property(sample, (s) => {
      const { value, grad } = call(simd, s);
      expect(Number.isFinite(value)).toBe(true);
      expect(grad!.every(Number.isFinite)).toBe(true);
    }), { numRuns: 300, seed: 4 });
  });
});
