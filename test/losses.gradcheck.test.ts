// Gradients checked against central finite differences in float64: first the reference's analytic
// gradient (which proves the oracle), then the kernels' gradient on every build (relaxed, simd, scalar).
import { describe, expect, it } from 'vitest';
import { loadKernels, type LossName, type LossOptions } from '../src/index.js';
import { referenceLoss } from './reference/losses.js';
import { BUILDS } from './reference/builds.js';

interface Point {
  name: LossName;
  options: LossOptions;
  rows: number;
  cols: number;
  x: number[];
  y: number[] | Int32Array;
}

// Points away from kinks (|d| = 0, δ, β; hinge margin 1; p < eps), each loss with its options.
const POINTS: Point[] = [
  { name: 'mse', options: {}, rows: 4, cols: 1, x: [0.3, -1.2, 2.5, 0.7], y: [0.1, 0.4, -0.5, 1.9] },
  { name: 'mae', options: {}, rows: 4, cols: 1, x: [0.3, -1.2, 2.5, 0.7], y: [0.1, 0.4, -0.5, 1.9] },
  { name: 'huber', options: { delta: 0.8 }, rows: 4, cols: 1, x: [0.3, -1.2, 2.5, 0.7], y: [0.1, 0.4, -0.5, 1.9] },
  { name: 'smooth_l1', options: { beta: 0.5 }, rows: 4, cols: 1, x: [0.3, -1.2, 2.5, 0.7], y: [0.1, 0.4, -0.5, 1.9] },
  { name: 'log_cosh', options: {}, rows: 5, cols: 1, x: [0.05, -1.2, 2.5, 0.7, 6], y: [0.1, 0.4, -0.5, 1.9, 0] },
  ...([2, 1, 0.5, 0, -2, -Infinity] as const).map((alpha): Point => (
    { name: 'barron', options: { alpha, scale: 0.7 }, rows: 4, cols: 1, x: [0.3, -1.2, 2.5, 0.7], y: [0.1, 0.4, -0.5, 1.9] })),
  { name: 'cross_entropy', options: {}, rows: 2, cols: 3, x: [0.2, 0.5, 0.3, 0.6, 0.1, 0.3], y: [0, 1, 0, 0.5, 0, 0.5] },
  { name: 'kl_div', options: {}, rows: 2, cols: 3, x: [0.2, 0.5, 0.3, 0.6, 0.1, 0.3], y: [0.1, 0.7, 0.2, 0, 0.5, 0.5] },
  { name: 'softmax_cross_entropy', options: {}, rows: 3, cols: 4, x: [1, -0.5, 2, 0.3, 0, 0.1, -1, 2, 3, 1, 0, -2], y: Int32Array.from([2, -100, 0]) },
  { name: 'softmax_cross_entropy', options: { weight: [0.5, 2, 1, 1.5], labelSmoothing: 0.15 }, rows: 3, cols: 4, x: [1, -0.5, 2, 0.3, 0, 0.1, -1, 2, 3, 1, 0, -2], y: Int32Array.from([2, 3, 0]) },
  { name: 'softmax_cross_entropy', options: { labelSmoothing: 0.1, weight: [1, 2, 3] }, rows: 2, cols: 3, x: [1, -0.5, 2, 0.3, 0, 0.1], y: [0.2, 0.5, 0.3, 1, 0, 0] },
  { name: 'nll', options: { weight: [1, 2, 0.5] }, rows: 3, cols: 3, x: [-1.2, -0.5, -2, -0.3, -3, -1.1, -0.7, -0.9, -2.5], y: Int32Array.from([1, 0, 2]) },
  { name: 'binary_cross_entropy', options: { weight: [1, 2] }, rows: 2, cols: 2, x: [0.2, 0.7, 0.9, 0.4], y: [0, 1, 1, 0.3] },
  { name: 'bce_with_logits', options: { posWeight: [2, 0.5] }, rows: 2, cols: 2, x: [0.2, -1.7, 3.9, 0.4], y: [0, 1, 1, 0.3] },
  { name: 'hinge', options: {}, rows: 4, cols: 1, x: [0.3, -1.2, 2.5, 0.7], y: [1, -1, -1, 0] },
  { name: 'squared_hinge', options: {}, rows: 4, cols: 1, x: [0.3, -1.2, 2.5, 0.7], y: [1, -1, -1, 0] },
  { name: 'poisson', options: {}, rows: 4, cols: 1, x: [0.3, 1.2, 2.5, 0.7], y: [0, 1, 4, 2] },
];

function meanLoss(p: Point, x: ArrayLike<number>): number {
  const r = referenceLoss(p.name, x, p.y, { rows: p.rows, cols: p.cols, ...(p.options as object) });
  return r.items.reduce((a, b) => a + b, 0) / r.divisor;
}

/** Central differences of the reference mean loss at every input, in float64. */
function finiteDifferences(p: Point): number[] {
  return p.x.map((_, i) => {
    const h = 1e-6 * Math.max(1, Math.abs(p.x[i]!));
    const plus = [...p.x];
    const minus = [...p.x];
    plus[i]! += h;
    minus[i]! -= h;
    return (meanLoss(p, plus) - meanLoss(p, minus)) / (2 * h);
  });
}

const label = (p: Point) => `${p.name} ${JSON.stringify(p.options)}`;

describe('gradients vs central finite differences', () => {
  it.each(POINTS.map((p) => [label(p), p] as const))('reference %s', (_label, p) => {
    const fd = finiteDifferences(p);
    const r = referenceLoss(p.name, p.x, p.y, { rows: p.rows, cols: p.cols, ...(p.options as object) });
    // float64 central differences with h = 1e-6: truncation ~h², round-off ~1e-10 / h
    r.grad.forEach((g, i) => expect(Math.abs(g / r.divisor - fd[i]!), `${label(p)} [${i}]`).toBeLessThan(2e-7));
  });

  describe.each(BUILDS)('kernels (%s build)', (build) => {
    it.each(POINTS.map((p) => [label(p), p] as const))('%s', async (_label, p) => {
      const k = await loadKernels({ build });
      // float32 inputs: differentiate at the float32 point the kernel sees
      const x32 = Float32Array.from(p.x);
      const point = { ...p, x: Array.from(x32) };
      const fd = finiteDifferences(point);
      const y = p.y instanceof Int32Array ? p.y : Float32Array.from(p.y);
      const { grad } = k.loss(p.name, x32, y, { ...p.options, shape: [p.rows, p.cols] });
      const scale = Math.max(...fd.map(Math.abs));
      // float32 gradients: ~1e-6 relative to the largest component
      fd.forEach((g, i) => expect(Math.abs(grad![i]! - g), `${label(p)} [${i}]`).toBeLessThan(2e-6 * scale + 1e-6 * Math.abs(g)));
    });
  });
});
