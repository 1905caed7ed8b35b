// Optimizer kernels, run once per build (relaxed, simd, scalar: npm run test:asp): one update at lengths
// around the lane width and a large odd one, every element of the parameters and of each state slot
// against the torch.optim formula in f64 from the same f32 inputs, and the four floats past the end
// untouched (the f32x4 body must hand its last partial vector to the scalar tail).
import { adadelta_f32, adamax_f32, lamb_direction_f32, lion_f32, nadam_f32, rmsprop_f32 } from '../optim';
import { random, seedRandom } from './helpers';

const LENGTHS: i32[] = [0, 1, 3, 4, 5, 15, 16, 17, 1023];
const SENTINEL: f32 = 12345.0;

seedRandom(2024);

/** n floats in [lo, hi), then four sentinels. */
function filled(n: i32, lo: f64, hi: f64): usize {
  const ptr = heap.alloc(<usize>(n + 4) << 2);
  for (let i = 0; i < n; i++) store<f32>(ptr + (<usize>i << 2), <f32>(lo + (hi - lo) * random()));
  for (let i = n; i < n + 4; i++) store<f32>(ptr + (<usize>i << 2), SENTINEL);
  return ptr;
}

/** The n floats at ptr, as f64 (the inputs the reference starts from). */
function copy(ptr: usize, n: i32): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = <f64>load<f32>(ptr + (<usize>i << 2));
  return out;
}

function at(ptr: usize, i: i32): f64 {
  return <f64>load<f32>(ptr + (<usize>i << 2));
}

/** float32 rounds each of a step's ~10 operations to 6e-8 relative: 1e-5 of the value plus 1e-6 of `scale`. */
function expectClose(got: f64, want: f64, scale: f64): void {
  expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-5 * Math.abs(want) + 1e-6 * scale);
}

function expectSentinels(ptr: usize, n: i32): void {
  for (let i = n; i < n + 4; i++) expect(load<f32>(ptr + (<usize>i << 2))).toBe(SENTINEL);
  heap.free(ptr);
}

const WD: f32 = 0.1;

describe('optimizer kernels at lengths around the lane width, against f64 formulas', () => {
  it('rmsprop, plain and centered with momentum', () => {
    const alpha: f32 = 0.9, oneMinusAlpha: f32 = <f32>(1 - <f64>alpha), eps: f32 = 1e-6, lr: f32 = 0.01, mu: f32 = 0.5;
    for (let full = 0; full < 2; full++) {
      for (let li = 0; li < LENGTHS.length; li++) {
        const n = LENGTHS[li];
        const p = filled(n, -1, 1), g = filled(n, -1, 1), sq = filled(n, 1, 2), ga = filled(n, -0.1, 0.1), buf = filled(n, -1, 1);
        const p0 = copy(p, n), g0 = copy(g, n), sq0 = copy(sq, n), ga0 = copy(ga, n), buf0 = copy(buf, n);
        rmsprop_f32(p, g, sq, full ? ga : 0, full ? buf : 0, n, lr, alpha, oneMinusAlpha, eps, mu, WD);
        for (let i = 0; i < n; i++) {
          const gv = g0[i] + <f64>WD * p0[i];
          const s = <f64>alpha * sq0[i] + <f64>oneMinusAlpha * gv * gv;
          expectClose(at(sq, i), s, 1);
          let avg = Math.sqrt(s) + <f64>eps;
          if (full) {
            const a = <f64>alpha * ga0[i] + <f64>oneMinusAlpha * gv;
            expectClose(at(ga, i), a, 1);
            avg = Math.sqrt(s - a * a) + <f64>eps;
            const b = <f64>mu * buf0[i] + gv / avg;
            expectClose(at(buf, i), b, 1);
            expectClose(at(p, i), p0[i] - <f64>lr * b, 1);
          } else {
            expectClose(at(p, i), p0[i] - (<f64>lr * gv) / avg, 1);
          }
        }
        expectSentinels(p, n); expectSentinels(g, n); expectSentinels(sq, n); expectSentinels(ga, n); expectSentinels(buf, n);
      }
    }
  });

  it('adadelta', () => {
    const rho: f32 = 0.9, oneMinusRho: f32 = <f32>(1 - <f64>rho), eps: f32 = 1e-6, lr: f32 = 1;
    for (let li = 0; li < LENGTHS.length; li++) {
      const n = LENGTHS[li];
      const p = filled(n, -1, 1), g = filled(n, -1, 1), sq = filled(n, 0.5, 2), acc = filled(n, 0, 0.01);
      const p0 = copy(p, n), g0 = copy(g, n), sq0 = copy(sq, n), acc0 = copy(acc, n);
      adadelta_f32(p, g, sq, acc, n, lr, rho, oneMinusRho, eps, WD);
      for (let i = 0; i < n; i++) {
        const gv = g0[i] + <f64>WD * p0[i];
        const s = <f64>rho * sq0[i] + <f64>oneMinusRho * gv * gv;
        const delta = (Math.sqrt(acc0[i] + <f64>eps) / Math.sqrt(s + <f64>eps)) * gv;
        expectClose(at(sq, i), s, 1);
        expectClose(at(acc, i), <f64>rho * acc0[i] + <f64>oneMinusRho * delta * delta, 0.01);
        expectClose(at(p, i), p0[i] - <f64>lr * delta, 1);
      }
      expectSentinels(p, n); expectSentinels(g, n); expectSentinels(sq, n); expectSentinels(acc, n);
    }
  });

  it('adamax', () => {
    const b1: f32 = 0.9, b1c: f32 = <f32>(1 - <f64>b1), b2: f32 = 0.999, eps: f32 = 1e-8, step: f32 = 0.02;
    for (let li = 0; li < LENGTHS.length; li++) {
      const n = LENGTHS[li];
      const p = filled(n, -1, 1), g = filled(n, -1, 1), m = filled(n, -0.5, 0.5), u = filled(n, 0, 1.5);
      const p0 = copy(p, n), g0 = copy(g, n), m0 = copy(m, n), u0 = copy(u, n);
      adamax_f32(p, g, m, u, n, step, b1, b1c, b2, eps, WD);
      for (let i = 0; i < n; i++) {
        const gv = g0[i] + <f64>WD * p0[i];
        const mv = <f64>b1 * m0[i] + <f64>b1c * gv;
        const uv = Math.max(<f64>b2 * u0[i], Math.abs(gv) + <f64>eps);
        expectClose(at(m, i), mv, 1);
        expectClose(at(u, i), uv, 1);
        expectClose(at(p, i), p0[i] - (<f64>step * mv) / uv, 1);
      }
      expectSentinels(p, n); expectSentinels(g, n); expectSentinels(m, n); expectSentinels(u, n);
    }
  });

  it('nadam', () => {
    const b1: f32 = 0.9, b1c: f32 = <f32>(1 - <f64>b1), b2: f32 = 0.999, b2c: f32 = <f32>(1 - <f64>b2), eps: f32 = 1e-8;
    const cGrad: f32 = 0.004, cMomentum: f32 = 0.03, bc2: f32 = 0.003;
    for (let li = 0; li < LENGTHS.length; li++) {
      const n = LENGTHS[li];
      const p = filled(n, -1, 1), g = filled(n, -1, 1), m = filled(n, -0.5, 0.5), v = filled(n, 0, 0.01);
      const p0 = copy(p, n), g0 = copy(g, n), m0 = copy(m, n), v0 = copy(v, n);
      nadam_f32(p, g, m, v, n, cGrad, cMomentum, b1, b1c, b2, b2c, eps, bc2, WD);
      for (let i = 0; i < n; i++) {
        const gv = g0[i] + <f64>WD * p0[i];
        const mv = <f64>b1 * m0[i] + <f64>b1c * gv;
        const vv = <f64>b2 * v0[i] + <f64>b2c * gv * gv;
        const denom = Math.sqrt(vv * (1 / <f64>bc2)) + <f64>eps;
        expectClose(at(m, i), mv, 1);
        expectClose(at(v, i), vv, 0.01);
        expectClose(at(p, i), p0[i] - (<f64>cGrad * gv) / denom - (<f64>cMomentum * mv) / denom, 1);
      }
      expectSentinels(p, n); expectSentinels(g, n); expectSentinels(m, n); expectSentinels(v, n);
    }
  });

  it('lion (sign ties within 1e-6 of 0 left out of the parameter check)', () => {
    const b1: f32 = 0.9, b1c: f32 = <f32>(1 - <f64>b1), b2: f32 = 0.99, b2c: f32 = <f32>(1 - <f64>b2), lr: f32 = 0.01;
    for (let li = 0; li < LENGTHS.length; li++) {
      const n = LENGTHS[li];
      const p = filled(n, -1, 1), g = filled(n, -1, 1), m = filled(n, -0.5, 0.5);
      const p0 = copy(p, n), g0 = copy(g, n), m0 = copy(m, n);
      lion_f32(p, g, m, n, lr, b1, b1c, b2, b2c, WD);
      const decay = <f64>(<f32>(1 - lr * WD));
      for (let i = 0; i < n; i++) {
        const c = <f64>b1 * m0[i] + <f64>b1c * g0[i];
        const sign: f64 = c > 0 ? 1 : c < 0 ? -1 : 0;
        if (Math.abs(c) > 1e-6) expectClose(at(p, i), p0[i] * decay - <f64>lr * sign, 1);
        expectClose(at(m, i), <f64>b2 * m0[i] + <f64>b2c * g0[i], 1);
      }
      expectSentinels(p, n); expectSentinels(g, n); expectSentinels(m, n);
    }
  });

  it('lamb direction', () => {
    const b1: f32 = 0.9, b1c: f32 = <f32>(1 - <f64>b1), b2: f32 = 0.999, b2c: f32 = <f32>(1 - <f64>b2), eps: f32 = 1e-6;
    const invBc1: f32 = 5, invBc2: f32 = 300;
    for (let li = 0; li < LENGTHS.length; li++) {
      const n = LENGTHS[li];
      const p = filled(n, -1, 1), g = filled(n, -1, 1), m = filled(n, -0.5, 0.5), v = filled(n, 0, 0.01);
      const p0 = copy(p, n), g0 = copy(g, n), m0 = copy(m, n), v0 = copy(v, n);
      lamb_direction_f32(p, g, m, v, n, b1, b1c, b2, b2c, eps, invBc1, invBc2, WD);
      for (let i = 0; i < n; i++) {
        const mv = <f64>b1 * m0[i] + <f64>b1c * g0[i];
        const vv = <f64>b2 * v0[i] + <f64>b2c * g0[i] * g0[i];
        expectClose(at(m, i), mv, 1);
        expectClose(at(v, i), vv, 0.01);
        expectClose(at(g, i), (mv * <f64>invBc1) / (Math.sqrt(vv * <f64>invBc2) + <f64>eps) + <f64>WD * p0[i], 1);
      }
      expectSentinels(p, n); expectSentinels(g, n); expectSentinels(m, n); expectSentinels(v, n);
    }
  });
});
