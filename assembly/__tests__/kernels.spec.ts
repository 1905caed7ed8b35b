// Kernel specs, run once per build (relaxed, simd, scalar: npm run test:asp): the scalar math helpers, and loss kernels at lengths around the lane width against plain f64
// formulas, with `grad` and `items` pointers honoured (nothing written when 0).
import { tanhf, logCosh } from '../math';
import { random, ulps } from './helpers';
import { mse_f32, mae_f32, huber_f32, log_cosh_f32 } from '../losses/regression';
import { poisson_f32 } from '../losses/regression';
import { hinge_f32 } from '../losses/binary';

const LENGTHS: i32[] = [0, 1, 3, 4, 5, 15, 16, 17, 1001];
const SENTINEL: f32 = 12345.0;


function fill(ptr: usize, n: i32, scale: f64, offset: f64): void {
  for (let i = 0; i < n; i++) store<f32>(ptr + (<usize>i << 2), <f32>(random() * scale + offset));
}

describe('scalar math helpers (every build)', () => {
  it('scalar helpers: tanhf and logCosh', () => {
    for (let i = 0; i <= 2000; i++) {
      const x = <f32>(-20.0 + 40.0 * (<f64>i / 2000.0));
      expect(ulps(tanhf(x), Math.tanh(<f64>x))).toBeLessThanOrEqual(4.0);
      const a = Math.abs(<f64>x);
      const want = a + Math.log1p(Math.exp(-2.0 * a)) - Math.LN2;
      if (want > 1e-30) expect(ulps(logCosh(x), want)).toBeLessThanOrEqual(64.0);
    }
  });
});

// A loss kernel under test and its f64 item/derivative.
type Kernel = (x: usize, y: usize, n: i32, grad: usize, items: usize, gscale: f32) => f64;

function checkKernel(kernel: Kernel, item: (x: f64, y: f64) => f64, derivative: (x: f64, y: f64) => f64, xScale: f64, xOffset: f64): void {
  for (let li = 0; li < LENGTHS.length; li++) {
    const n = LENGTHS[li];
    const bytes = <usize>max(n, 4) << 2;
    const x = heap.alloc(bytes), y = heap.alloc(bytes), g = heap.alloc(bytes), it = heap.alloc(bytes);
    fill(x, n, xScale, xOffset);
    fill(y, n, 4, 0);
    for (let i = 0; i < n; i++) {
      store<f32>(g + (<usize>i << 2), SENTINEL);
      store<f32>(it + (<usize>i << 2), SENTINEL);
    }
    // without grad and items pointers nothing is written
    const total0 = kernel(x, y, n, 0, 0, 1);
    for (let i = 0; i < n; i++) {
      expect(load<f32>(g + (<usize>i << 2))).toBe(SENTINEL);
      expect(load<f32>(it + (<usize>i << 2))).toBe(SENTINEL);
    }
    const gscale: f32 = 0.5;
    const total = kernel(x, y, n, g, it, gscale);
    expect(total).toBe(total0);
    let want: f64 = 0;
    let absWant: f64 = 0;
    for (let i = 0; i < n; i++) {
      const xi = <f64>load<f32>(x + (<usize>i << 2));
      const yi = <f64>load<f32>(y + (<usize>i << 2));
      const v = item(xi, yi);
      want += v;
      absWant += Math.abs(v);
      // f32 items and gradients: a few ulps (polynomial exp/log in the SIMD body)
      const gotItem = <f64>load<f32>(it + (<usize>i << 2));
      expect(Math.abs(gotItem - v)).toBeLessThanOrEqual(1e-5 * Math.abs(v) + 1e-6);
      const d = 0.5 * derivative(xi, yi);
      expect(Math.abs(<f64>load<f32>(g + (<usize>i << 2)) - d)).toBeLessThanOrEqual(1e-5 * Math.abs(d) + 1e-6);
    }
    expect(Math.abs(total - want)).toBeLessThanOrEqual(1e-5 * absWant + 1e-6);
    heap.free(x);
    heap.free(y);
    heap.free(g);
    heap.free(it);
  }
}

function huberDelta1(x: usize, y: usize, n: i32, grad: usize, items: usize, gscale: f32): f64 {
  return huber_f32(x, y, n, grad, items, gscale, 1, 1);
}

function squaredHinge(x: usize, y: usize, n: i32, grad: usize, items: usize, gscale: f32): f64 {
  return hinge_f32(x, y, n, grad, items, gscale, 2);
}

describe('loss kernels at lengths around the lane width', () => {
  it('mse', () => {
    checkKernel(mse_f32, (x: f64, y: f64): f64 => (x - y) * (x - y), (x: f64, y: f64): f64 => 2 * (x - y), 8, -4);
  });
  it('mae', () => {
    checkKernel(mae_f32, (x: f64, y: f64): f64 => Math.abs(x - y), (x: f64, y: f64): f64 => x > y ? 1 : x < y ? -1 : 0, 8, -4);
  });
  it('huber', () => {
    checkKernel(huberDelta1, (x: f64, y: f64): f64 => {
      const a = Math.abs(x - y);
      return a <= 1 ? 0.5 * a * a : a - 0.5;
    }, (x: f64, y: f64): f64 => Math.max(-1, Math.min(1, x - y)), 8, -4);
  });
  it('log_cosh', () => {
    checkKernel(log_cosh_f32, (x: f64, y: f64): f64 => Math.log(Math.cosh(x - y)), (x: f64, y: f64): f64 => Math.tanh(x - y), 8, -4);
  });
  it('poisson', () => {
    checkKernel(poisson_f32, (x: f64, y: f64): f64 => x - y * Math.log(x + <f64>(<f32>1e-7)), (x: f64, y: f64): f64 => 1 - y / (x + <f64>(<f32>1e-7)), 5, 0.1);
  });
  it('squared hinge', () => {
    checkKernel(squaredHinge, (x: f64, y: f64): f64 => {
      const t = y == 0 ? -1 : y;
      const m = Math.max(0, 1 - t * x);
      return m * m;
    }, (x: f64, y: f64): f64 => {
      const t = y == 0 ? -1 : y;
      return -2 * t * Math.max(0, 1 - t * x);
    }, 4, -2);
  });
});
