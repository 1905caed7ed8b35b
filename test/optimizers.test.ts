// Every optimizer and option variant, on every build, against the float64 reference of
// test/reference/optimizers.ts: 20 steps on a problem whose gradient depends on the parameters,
// at parameter counts around the 4-lane SIMD width (0 to 17) and a large odd one, comparing the parameters after every step and
// the optimizer state after the last. Then spec validation.
import { describe, expect, it } from 'vitest';
import { loadKernels } from '../src/index.js';
import { optimizerFromSpec } from '../src/optim/optimizers.js';
import type { Segment } from '../src/optim/transform.js';
import { Heap } from '../src/wasm/heap.js';
import { referenceOptimizer, type ReferenceSpec } from './reference/optimizers.js';
import { BUILDS } from './reference/builds.js';

const STEPS = 20;
const SIZES = [0, 1, 3, 4, 5, 15, 16, 17, 1023];
// float32 rounds each operation to 2^-24 ≈ 6e-8 relative; a step is ~10 operations and 20 steps
// accumulate them, so the float32 parameters stay within a few 1e-7 of the float64 ones (measured:
// at most 0.4 of the tolerance below). RTOL 1e-5 leaves that margin; ATOL covers parameters near
// zero (biases start there), where p − lr·u cancels down to the rounding error of its terms.
const RTOL = 1e-5;
const ATOL = 1e-6;

/** Flat "0.weight" / "0.bias" split of n parameters (bias empty when n = 1, both when n = 0). */
function segmentsFor(n: number): Segment[] {
  const split = Math.min(n, Math.max(1, Math.floor((2 * n) / 3)));
  return [{ name: '0.weight', offset: 0, length: split }, { name: '0.bias', offset: split, length: n - split }];
}

/**
 * The fixed problem: g = A·p − b + ½·sin(p), with A a diagonally dominant non-symmetric n × n matrix
 * (diagonal 1…4) so the gradient couples every parameter to the others and changes every step.
 */
function gradientOf(p: ArrayLike<number>, n: number): Float64Array {
  const coupling = couplingOf(n);
  const g = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = (1 + (i % 4)) * p[i]! - Math.sin(0.9 * i + 0.4) + 0.5 * Math.sin(p[i]!);
    for (let j = 0; j < n; j++) s += coupling[i * n + j]! * p[j]!;
    g[i] = s;
  }
  return g;
}

const couplings = new Map<number, Float64Array>();
/** A's off-diagonal part, 0.6/n·cos(1.3i + 0.7j) (0 on the diagonal), made once per n. */
function couplingOf(n: number): Float64Array {
  let a = couplings.get(n);
  if (!a) {
    a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (j !== i) a[i * n + j] = (0.6 / n) * Math.cos(1.3 * i + 0.7 * j);
    couplings.set(n, a);
  }
  return a;
}

/** Starting point: weights spread over [−1, 1.2], biases zero (as a freshly initialised layer). */
function initialParams(n: number): Float64Array {
  const p = new Float64Array(n);
  const weights = segmentsFor(n)[0]!.length;
  for (let i = 0; i < weights; i++) p[i] = 0.2 + Math.cos(2.1 * i + 0.3);
  return p;
}

/** A learning rate that changes every step, as a schedule would, so each step's lr must be used. */
const lrAt = (base: number, t: number) => base * (1 - t / (2 * STEPS));

interface Case {
  label: string;
  spec: (n: number) => ReferenceSpec;
  lr: number;
  /** The bias tensor's gradient is held at 0 (LAMB: update norm 0 → trust ratio 1). */
  frozenBias?: boolean;
  /** The case must clip on some steps and not on others (checked on the reference). */
  clipsSometimes?: boolean;
}

const fixed = (spec: ReferenceSpec) => () => spec;
const initialGradient = (n: number) => gradientOf(initialParams(n), n);
const maxAbs = (x: Float64Array) => x.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
const norm = (x: Float64Array) => Math.sqrt(x.reduce((a, v) => a + v * v, 0));

const CASES: Case[] = [
  { label: 'sgd', spec: fixed({ name: 'sgd' }), lr: 0.1 },
  { label: 'sgd momentum 0.9', spec: fixed({ name: 'sgd', momentum: 0.9 }), lr: 0.05 },
  { label: 'sgd momentum, dampening 0.1', spec: fixed({ name: 'sgd', momentum: 0.9, dampening: 0.1 }), lr: 0.05 },
  { label: 'sgd nesterov', spec: fixed({ name: 'sgd', momentum: 0.9, nesterov: true }), lr: 0.05 },
  { label: 'sgd weightDecay', spec: fixed({ name: 'sgd', weightDecay: 0.1 }), lr: 0.1 },
  { label: 'sgd momentum + weightDecay', spec: fixed({ name: 'sgd', momentum: 0.5, weightDecay: 0.1 }), lr: 0.05 },
  { label: 'adam', spec: fixed({ name: 'adam' }), lr: 0.05 },
  { label: 'adam weightDecay (L2)', spec: fixed({ name: 'adam', weightDecay: 0.1 }), lr: 0.05 },
  { label: 'adam amsgrad', spec: fixed({ name: 'adam', amsgrad: true }), lr: 0.05 },
  { label: 'adam beta2 0.9999', spec: fixed({ name: 'adam', beta2: 0.9999 }), lr: 0.05 },
  {
    label: 'adam betas, epsilon, L2, amsgrad',
    spec: fixed({ name: 'adam', beta1: 0.8, beta2: 0.95, epsilon: 1e-6, weightDecay: 0.05, amsgrad: true }),
    lr: 0.05,
  },
  { label: 'adamw (default weightDecay 0.01)', spec: fixed({ name: 'adamw' }), lr: 0.05 },
  { label: 'adamw weightDecay 0.3, amsgrad', spec: fixed({ name: 'adamw', weightDecay: 0.3, amsgrad: true }), lr: 0.05 },
  { label: 'rmsprop', spec: fixed({ name: 'rmsprop' }), lr: 0.01 },
  { label: 'rmsprop centered', spec: fixed({ name: 'rmsprop', centered: true }), lr: 0.01 },
  { label: 'rmsprop momentum', spec: fixed({ name: 'rmsprop', momentum: 0.9 }), lr: 0.002 },
  { label: 'rmsprop weightDecay', spec: fixed({ name: 'rmsprop', weightDecay: 0.1, alpha: 0.9 }), lr: 0.01 },
  {
    label: 'rmsprop centered + momentum + weightDecay',
    spec: fixed({ name: 'rmsprop', centered: true, momentum: 0.5, weightDecay: 0.1, epsilon: 1e-6 }),
    lr: 0.005,
  },
  { label: 'adagrad', spec: fixed({ name: 'adagrad' }), lr: 0.1 },
  { label: 'adagrad lrDecay', spec: fixed({ name: 'adagrad', lrDecay: 0.05 }), lr: 0.1 },
  { label: 'adagrad initialAccumulatorValue', spec: fixed({ name: 'adagrad', initialAccumulatorValue: 0.5 }), lr: 0.1 },
  { label: 'adagrad weightDecay', spec: fixed({ name: 'adagrad', weightDecay: 0.1, epsilon: 1e-6 }), lr: 0.1 },
  { label: 'adadelta', spec: fixed({ name: 'adadelta' }), lr: 1 },
  { label: 'adadelta rho, epsilon, weightDecay', spec: fixed({ name: 'adadelta', rho: 0.5, epsilon: 1e-4, weightDecay: 0.1 }), lr: 2 },
  { label: 'adamax', spec: fixed({ name: 'adamax' }), lr: 0.05 },
  { label: 'adamax betas, weightDecay', spec: fixed({ name: 'adamax', beta1: 0.7, beta2: 0.9, weightDecay: 0.1 }), lr: 0.05 },
  { label: 'nadam', spec: fixed({ name: 'nadam' }), lr: 0.05 },
  { label: 'nadam momentumDecay, weightDecay', spec: fixed({ name: 'nadam', momentumDecay: 0.05, weightDecay: 0.1 }), lr: 0.05 },
  { label: 'lion', spec: fixed({ name: 'lion' }), lr: 0.01 },
  { label: 'lion betas, weightDecay', spec: fixed({ name: 'lion', beta1: 0.5, beta2: 0.9, weightDecay: 0.5 }), lr: 0.01 },
  { label: 'lamb', spec: fixed({ name: 'lamb' }), lr: 0.05 },
  { label: 'lamb weightDecay', spec: fixed({ name: 'lamb', weightDecay: 0.1, beta1: 0.8 }), lr: 0.05 },
  { label: 'lamb, bias gradient held at 0', spec: fixed({ name: 'lamb' }), lr: 0.05, frozenBias: true },
  {
    label: 'clipValue → sgd momentum',
    spec: (n) => ({ name: 'sgd', momentum: 0.9, clipValue: 0.5 * maxAbs(initialGradient(n)) || 1 }),
    lr: 0.05,
    clipsSometimes: true,
  },
  {
    label: 'clipGlobalNorm → sgd',
    spec: (n) => ({ name: 'sgd', clipGlobalNorm: 0.5 * norm(initialGradient(n)) || 1 }),
    lr: 0.1,
    clipsSometimes: true,
  },
  {
    label: 'clipGlobalNorm → adam (L2, amsgrad)',
    spec: (n) => ({ name: 'adam', weightDecay: 0.01, amsgrad: true, clipGlobalNorm: 0.5 * norm(initialGradient(n)) || 1 }),
    lr: 0.05,
    clipsSometimes: true,
  },
  { label: 'clipGlobalNorm 1 → adam', spec: fixed({ name: 'adam', beta1: 0.9, weightDecay: 0.01, amsgrad: true, clipGlobalNorm: 1 }), lr: 0.05 },
];

const close = (got: number, expected: number) => Math.abs(got - expected) <= ATOL + RTOL * Math.abs(expected);
const relativeError = (got: number, expected: number) => ((got - expected) / Math.abs(expected)).toExponential(2);

describe.each(BUILDS)('optimizers against the float64 reference (%s build)', (build) => {
  it.each(CASES)('$label', async ({ spec: specFor, lr, frozenBias, clipsSometimes }) => {
    const k = await loadKernels({ build });
    const heap = new Heap(k.raw);
    for (const n of SIZES) {
      const spec = specFor(n);
      const segments = segmentsFor(n);
      const bias = segments[1]!;
      const gradient = (p: ArrayLike<number>) => {
        const g = gradientOf(p, n);
        if (frozenBias) g.fill(0, bias.offset, n);
        return g;
      };
      const params = heap.alloc(n), grads = heap.alloc(n);
      const expected = initialParams(n);
      params.array.set(expected);
      const state = optimizerFromSpec(spec).init({ heap, params, grads, segments });
      const reference = referenceOptimizer(spec, n, segments);
      const where = (t: number, i: number) => `${JSON.stringify(spec)}, n = ${n}, step ${t}, p[${i}]`;
      for (let t = 1; t <= STEPS; t++) {
        // Both sides get the same float32 gradient, taken at the reference's parameters: a gradient
        // taken at each side's own parameters would add the problem's conditioning to the comparison
        // (g = A·p − b cancels near the optimum), and the kernels' arithmetic is what is under test.
        const g = Float32Array.from(gradient(expected));
        grads.array.set(g);
        const referenceGradient = Float64Array.from(g);
        const tied = spec.name === 'lion' ? signTies(spec, reference.slots.exp_avg!, referenceGradient) : [];
        state.update(t, lrAt(lr, t));
        reference.step(expected, referenceGradient, t, lrAt(lr, t));
        const got = params.array;
        // Lion steps by sign(c): where c is within float32 rounding of 0 either sign is right, and both
        // sides go on from the kernel's value (the other entries still see its effect through A·p).
        for (const i of tied) expected[i] = got[i]!;
        expect(tied.length, 'sign ties are rare').toBeLessThanOrEqual(Math.max(1, n / 100));
        for (let i = 0; i < n; i++) {
          if (!close(got[i]!, expected[i]!)) {
            expect.fail(`${where(t, i)} = ${got[i]}, expected ${expected[i]} (relative error ${relativeError(got[i]!, expected[i]!)})`);
          }
        }
      }
      // State after the last step, under torch's slot names (they become checkpoint tensor names).
      expect([...state.slots.keys()].sort()).toEqual(Object.keys(reference.slots).sort());
      for (const [name, values] of Object.entries(reference.slots)) {
        // An entry of an average that passes through 0 (exp_avg sums gradients of both signs) carries
        // the rounding error of its larger terms, so entries also get RTOL of a tenth of the slot's largest.
        const scale = values.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
        const got = state.slots.get(name)!.array;
        for (let i = 0; i < n; i++) {
          if (Math.abs(got[i]! - values[i]!) > RTOL * (Math.abs(values[i]!) + 0.1 * scale)) {
            expect.fail(
              `${JSON.stringify(spec)}, n = ${n}, slot ${name}[${i}] = ${got[i]}, expected ${values[i]} (relative error ${relativeError(got[i]!, values[i]!)})`,
            );
          }
        }
      }
      for (const [name, value] of Object.entries(reference.scalars)) {
        expect(Math.abs(state.scalars[name]! - value), `${name}`).toBeLessThanOrEqual(1e-12 * Math.abs(value));
      }
      if (frozenBias) {
        // Zero gradient and zero weight decay: LAMB's update is 0, the trust ratio falls back to 1, no NaN.
        for (let i = bias.offset; i < n; i++) expect(params.array[i]).toBe(0);
      }
      if (clipsSometimes && n > 0) {
        expect(reference.clippedSteps, 'steps clipped').toBeGreaterThan(0);
        expect(reference.clippedSteps, 'steps clipped').toBeLessThan(STEPS);
      }
      state.free();
      params.free();
      grads.free();
    }
  });
});

/**
 * Lion steps by sign(β1·m + (1−β1)·g): a float32 rounding near 0 could flip a sign and move a
 * parameter by 2·lr, so the problem must keep that argument clear of 0 (float32 computes it to
 * ~1e-7 of its O(1) terms) for the comparison to be fair.
 */
/** Indices where Lion's sign argument β1·m + (1 − β1)·g is within 1e-5 of 0 (float32 may round it either way). */
function signTies(spec: ReferenceSpec, m: Float64Array, g: Float64Array): number[] {
  const beta1 = (spec.beta1 as number | undefined) ?? 0.9;
  const tied: number[] = [];
  for (let i = 0; i < g.length; i++) if (Math.abs(beta1 * m[i]! + (1 - beta1) * g[i]!) <= 1e-5) tied.push(i);
  return tied;
}

const INVALID_SPECS: [spec: unknown, error: typeof TypeError, message: RegExp][] = [
  [{ name: 'adamm' }, RangeError, /optimizer\.name.*"adamm"/],
  [{ name: 42 }, RangeError, /optimizer\.name.*42/],
  [{}, RangeError, /optimizer\.name.*undefined/],
  [{ name: 'adam', beta_1: 0.9 }, TypeError, /"beta_1".*optimizer/],
  [{ name: 'sgd', lr: 0.1 }, TypeError, /"lr".*optimizer/],
  [{ name: 'sgd', beta1: 0.9 }, TypeError, /"beta1".*optimizer/],
  [{ name: 'adam', beta1: 1 }, RangeError, /optimizer\.beta1.*\[0, 1\).*got 1\b/],
  [{ name: 'adamw', beta2: 1 }, RangeError, /optimizer\.beta2.*got 1\b/],
  [{ name: 'nadam', beta1: -0.1 }, RangeError, /optimizer\.beta1.*got -0\.1/],
  [{ name: 'lamb', beta1: 1 }, RangeError, /optimizer\.beta1.*got 1\b/],
  [{ name: 'adam', weightDecay: -0.01 }, RangeError, /optimizer\.weightDecay.*got -0\.01/],
  [{ name: 'sgd', weightDecay: -1 }, RangeError, /optimizer\.weightDecay.*got -1/],
  [{ name: 'adam', epsilon: 0 }, RangeError, /optimizer\.epsilon.*got 0/],
  [{ name: 'adam', weightDecay: Number.NaN }, RangeError, /optimizer\.weightDecay.*got NaN/],
  [{ name: 'sgd', momentum: -0.9 }, RangeError, /optimizer\.momentum.*got -0\.9/],
  [{ name: 'sgd', nesterov: true }, RangeError, /optimizer\.nesterov.*momentum 0/],
  [{ name: 'sgd', nesterov: true, momentum: 0.9, dampening: 0.1 }, RangeError, /optimizer\.nesterov.*dampening 0\.1/],
  [{ name: 'adam', amsgrad: 'yes' }, TypeError, /optimizer\.amsgrad.*"yes"/],
  [{ name: 'rmsprop', centered: 1 }, TypeError, /optimizer\.centered.*1/],
  [{ name: 'sgd', clipGlobalNorm: 0 }, RangeError, /optimizer\.clipGlobalNorm.*got 0/],
  [{ name: 'sgd', clipValue: -1 }, RangeError, /optimizer\.clipValue.*got -1/],
  [null, TypeError, /optimizer must be an object, got null/],
  ['adam', TypeError, /optimizer must be an object, got "adam"/],
];
const specText = (spec: unknown) => JSON.stringify(spec, (_, v: unknown) => (Number.isNaN(v) ? 'NaN' : v));

describe('optimizer spec validation', () => {
  it.each(INVALID_SPECS.map(([spec, error, message]) => [`${specText(spec)} → ${error.name}`, spec, error, message] as const))(
    '%s',
    (_, spec, ErrorType, message) => {
      expect(() => optimizerFromSpec(spec)).toThrow(ErrorType);
      expect(() => optimizerFromSpec(spec)).toThrow(message);
    },
  );

  it('accepts every optimizer with its defaults', () => {
    for (const name of ['sgd', 'adam', 'adamw', 'rmsprop', 'adagrad', 'adadelta', 'adamax', 'nadam', 'lion', 'lamb']) {
      expect(() => optimizerFromSpec({ name, learningRate: 0.01 }), name).not.toThrow();
    }
  });
});
