// Every loss × reduction × option variant against the float64 reference, on every build (relaxed, simd, scalar), at
// lengths around the f32x4 lane width and block size; the zero-copy path against the copy path;
// and the worked examples of the contract.
import { describe, expect, it } from 'vitest';
import { type Kernels, loadKernels, type LossName, type LossOptions, type Reduction } from '../src/index.js';
import { referenceLoss, type ReferenceOptions } from './reference/losses.js';
import { BUILDS } from './reference/builds.js';

// Tolerances for float32 kernels. Values: relative to Σ|item| (sums of many float32 items carry
// ~1e-7 relative error per block; the SIMD exp/log polynomials add a few ulp). Gradients and items:
// relative to each entry plus an absolute floor relative to the largest entry.
const VALUE_RTOL = 3e-5;
// Items that cancel exactly (one class, label smoothing) leave float32 round-off of ~1e-10:
// an absolute floor for values and items, scaled like the gradient for gradients.
const VALUE_ATOL = 1e-7;
const ENTRY_RTOL = 3e-5;
const ENTRY_ATOL_OF_MAX = 3e-6;

function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Case {
  input: Float32Array;
  target: Float32Array | Int32Array;
  rows: number;
  cols: number;
}

/** Rows of probabilities (a softmax of random logits), optionally with exact zeros. */
function probabilityRows(random: () => number, rows: number, cols: number, zeros = false): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const e = Array.from({ length: cols }, () => (zeros && random() < 0.2 ? 0 : Math.exp(3 * random())));
    const s = e.reduce((a, b) => a + b, 0) || 1;
    e.forEach((v, j) => { out[r * cols + j] = v / s; });
  }
  return out;
}

/** Inputs inside each loss's domain. */
function makeCase(name: LossName, rows: number, cols: number, seed: number, index = false): Case {
  const random = rng(seed);
  const n = rows * cols;
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const floats = (f: () => number) => Float32Array.from({ length: n }, f);
  switch (name) {
    case 'cross_entropy':
      return { input: probabilityRows(random, rows, cols), target: floats(() => [0, 0.5, 1][Math.floor(random() * 3)]!), rows, cols };
    case 'kl_div':
      return { input: probabilityRows(random, rows, cols), target: probabilityRows(random, rows, cols, true), rows, cols };
    case 'softmax_cross_entropy':
      return {
        input: floats(() => 3 * normal()),
        target: index
          ? Int32Array.from({ length: rows }, () => (random() < 0.1 ? -100 : Math.floor(random() * cols)))
          : probabilityRows(random, rows, cols),
        rows, cols,
      };
    case 'nll': {
      const logits = probabilityRows(random, rows, cols).map(Math.log);
      return { input: logits, target: Int32Array.from({ length: rows }, () => (random() < 0.1 ? -100 : Math.floor(random() * cols))), rows, cols };
    }
    case 'binary_cross_entropy':
      return { input: floats(() => 0.01 + 0.98 * random()), target: floats(() => (random() < 0.3 ? random() : Math.round(random()))), rows, cols };
    case 'bce_with_logits':
      return { input: floats(() => 4 * normal()), target: floats(() => (random() < 0.3 ? random() : Math.round(random()))), rows, cols };
    case 'hinge':
    case 'squared_hinge':
      return { input: floats(() => 2 * normal()), target: floats(() => [-1, 0, 1][Math.floor(random() * 3)]!), rows, cols };
    case 'poisson':
      return { input: floats(() => 0.1 + 5 * random()), target: floats(() => Math.floor(6 * random())), rows, cols };
    default:
      return { input: floats(() => 2 * normal()), target: floats(() => 2 * normal()), rows, cols };
  }
}

const ELEMENTWISE_LENGTHS = [1, 3, 4, 5, 15, 16, 17, 1023, 100_003];
const ROW_SHAPES: [number, number][] = [[1, 1], [3, 1], [1, 4], [5, 3], [3, 5], [4, 17], [61, 10], [2001, 17]];

const VARIANTS: Record<LossName, LossOptions[]> = {
  mse: [{}],
  mae: [{}],
  huber: [{}, { delta: 0.5 }, { delta: 2 }],
  smooth_l1: [{}, { beta: 0 }, { beta: 0.5 }],
  log_cosh: [{}],
  barron: [{}, { alpha: 2 }, { alpha: 0.5 }, { alpha: 0 }, { alpha: -2 }, { alpha: -Infinity }, { alpha: 1, scale: 0.7 }, { alpha: 1e-3 }, { alpha: 1.999 }],
  cross_entropy: [{}],
  softmax_cross_entropy: [{}, { labelSmoothing: 0.1 }, { weight: 'classes' as never }, { weight: 'classes' as never, labelSmoothing: 0.2 }],
  nll: [{}, { weight: 'classes' as never }],
  binary_cross_entropy: [{}, { weight: 'elements' as never }, { weight: 'classes' as never }],
  bce_with_logits: [{}, { posWeight: 'classes' as never }, { weight: 'elements' as never, posWeight: 'classes' as never }, { weight: 'classes' as never }],
  hinge: [{}],
  squared_hinge: [{}],
  kl_div: [{}],
  poisson: [{}],
};
const ROW_LOSSES = new Set<LossName>(['cross_entropy', 'kl_div', 'softmax_cross_entropy', 'nll']);
const INDEX_ONLY = new Set<LossName>(['nll']);

/** Resolves the 'classes' / 'elements' placeholders into seeded weight arrays. */
function concreteOptions(variant: LossOptions, rows: number, cols: number): LossOptions {
  const random = rng(rows * 31 + cols);
  const out: Record<string, unknown> = { ...variant };
  for (const key of ['weight', 'posWeight'] as const) {
    const v = (variant as Record<string, unknown>)[key];
    if (v === 'classes') out[key] = Float32Array.from({ length: cols }, () => 0.2 + 2 * random());
    if (v === 'elements') out[key] = Float32Array.from({ length: rows * cols }, () => 0.2 + 2 * random());
  }
  return out as LossOptions;
}

function closeEntries(got: ArrayLike<number>, expected: ArrayLike<number>, what: string, atol = 0): void {
  expect(got.length, `${what} length`).toBe(expected.length);
  let max = 0;
  for (let i = 0; i < expected.length; i++) max = Math.max(max, Math.abs(expected[i]!));
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    if (!(Math.abs(got[i]! - e) <= ENTRY_ATOL_OF_MAX * max + ENTRY_RTOL * Math.abs(e) + atol)) {
      expect.fail(`${what}[${i}] = ${got[i]}, expected ${e} (max |expected| ${max})`);
    }
  }
}

function check(k: Kernels, name: LossName, c: Case, variant: LossOptions, reduction: Reduction, label: string): void {
  const options = concreteOptions(variant, c.rows, c.cols);
  const reference = referenceLoss(name, c.input, c.target, { rows: c.rows, cols: c.cols, ...(options as Partial<ReferenceOptions>) });
  const { value, grad } = k.loss(name, c.input, c.target, { ...options, reduction, shape: [c.rows, c.cols] });
  const scale = reduction === 'mean' ? 1 / reference.divisor : 1;
  const sum = reference.items.reduce((a, b) => a + b, 0);
  const absSum = reference.items.reduce((a, b) => a + Math.abs(b), 0);
  if (reduction === 'none') {
    closeEntries(value as Float32Array, reference.items, `${label} items`, VALUE_ATOL);
  } else {
    const expected = sum * scale;
    if (!(Math.abs((value as number) - expected) <= VALUE_RTOL * absSum * Math.abs(scale) + VALUE_ATOL)) {
      expect.fail(`${label}: value ${value}, expected ${expected}`);
    }
  }
  closeEntries(grad!, reference.grad.map((g) => g * scale), `${label} grad`, VALUE_ATOL * scale);
}

describe.each(BUILDS)('losses vs float64 reference (%s build)', (build) => {
  for (const name of Object.keys(VARIANTS) as LossName[]) {
    it(name, async () => {
      const k = await loadKernels({ build });
      const shapes: [number, number][] = ROW_LOSSES.has(name) ? ROW_SHAPES : ELEMENTWISE_LENGTHS.map((n) => [n, 1]);
      // elementwise losses with [C] weights also need real columns
      const extraShapes: [number, number][] = ROW_LOSSES.has(name) ? [] : [[7, 3], [33, 5]];
      for (const [rows, cols] of [...shapes, ...extraShapes]) {
        for (const variant of VARIANTS[name]) {
          const targetKinds = name === 'softmax_cross_entropy' ? [true, false] : [INDEX_ONLY.has(name)];
          for (const index of targetKinds) {
            if (index && (variant as { labelSmoothing?: number }).labelSmoothing && rows > 1000) continue;
            const c = makeCase(name, rows, cols, rows * 7919 + cols, index);
            for (const reduction of ['mean', 'sum', 'none'] as const) {
              check(k, name, c, variant, reduction, `${name} ${JSON.stringify(variant)} [${rows},${cols}] ${index ? 'index' : ''} ${reduction}`);
            }
          }
        }
      }
    });
  }

  it('the zero-copy path (WasmArray inputs, out) gives the copy path\'s numbers', async () => {
    const k = await loadKernels({ build });
    for (const name of Object.keys(VARIANTS) as LossName[]) {
      const c = makeCase(name, 61, 10, 99, INDEX_ONLY.has(name) || name === 'softmax_cross_entropy');
      const copy = k.loss(name, c.input, c.target, { shape: [61, 10] });
      const input = k.alloc(c.input.length);
      const target = k.alloc(c.target.length, c.target instanceof Int32Array ? 'i32' : 'f32');
      const out = k.alloc(c.input.length);
      input.array.set(c.input);
      target.array.set(c.target);
      const zero = k.loss(name, input, target, { shape: [61, 10], out });
      expect(zero.value, name).toBe(copy.value);
      expect(zero.grad, name).toBe(out.array);
      expect(Array.from(zero.grad!), name).toEqual(Array.from(copy.grad!));
      for (const a of [input, target, out]) a.free();
    }
  });

  it('extreme values stay finite and accurate', async () => {
    const k = await loadKernels({ build });
    const cases: [LossName, number[], number[], LossOptions][] = [
      ['bce_with_logits', [80, -80, 80, -80, 30], [1, 0, 0, 1, 0.5], {}],
      ['log_cosh', [50, -50, 1e-4, -1e-4, 0.29, 0.31], [0, 0, 0, 0, 0, 0], {}],
      ['barron', [0.5, -3, 40, 1e-3, 7], [0, 0, 0, 0, 0], { alpha: 1e-3 }],
      ['barron', [0.5, -3, 40, 1e-3, 7], [0, 0, 0, 0, 0], { alpha: 1.999 }],
      ['softmax_cross_entropy', [1000, 0, -1000, 500, 499, -Infinity], [1, 0, 0, 1, 0, 0], {}],
    ];
    for (const [name, x, y, options] of cases) {
      const cols = name === 'softmax_cross_entropy' ? 3 : 1;
      const rows = x.length / cols;
      const input = Float32Array.from(x);
      const target = name === 'softmax_cross_entropy' ? new Int32Array([0, 1]) : Float32Array.from(y);
      const reference = referenceLoss(name, input, target, { rows, cols, ...(options as Partial<ReferenceOptions>) });
      const { value, grad } = k.loss(name, input, target, { ...options, reduction: 'none', shape: [rows, cols] });
      for (const v of [...(value as Float32Array), ...grad!]) expect(Number.isFinite(v), `${name} ${x}`).toBe(true);
      closeEntries(value as Float32Array, reference.items, `${name} items`);
      closeEntries(grad!, reference.grad, `${name} grad`);
    }
  });

  it('worked examples: mse 0.068 and cross_entropy 0.61086', async () => {
    const k = await loadKernels({ build });
    expect(k.loss('mse', [0.8, 1.9, 2.8, 3.7, 4.6], [1, 2, 3, 4, 5]).value).toBeCloseTo(0.068, 6);
    expect(k.loss('cross_entropy', [0.8, 0.2, 0.5, 0.5, 0.2, 0.8], [1, 0, 1, 1, 0, 1], { shape: [3, 2] }).value).toBeCloseTo(0.61086, 5);
  });
});
