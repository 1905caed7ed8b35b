// Activation kernels (raw exports) against float64 references, forward and backward, on every build (relaxed, simd, scalar);
// the references' derivatives are themselves checked by central differences.
import { describe, expect, it } from 'vitest';
import { loadKernels } from '../src/index.js';
import { BUILDS } from './reference/builds.js';

const erf = (x: number): number => {
  // float64 erf by its Taylor series (|x| < 3) / continued fraction tail: accurate to ~1e-13
  const a = Math.abs(x);
  if (a < 3) {
    let term = a, sum = a;
    for (let n = 1; n < 80; n++) {
      term *= (-a * a) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  let f = 0;
  for (let n = 60; n >= 1; n--) f = (n / 2) / (a + f);
  return Math.sign(x) * (1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / (a + f));
};
const Phi = (z: number) => 0.5 * (1 + erf(z / Math.SQRT2));

/** name → [f(z), f'(z)] in float64. */
const ELEMENTWISE: Record<string, [(z: number) => number, (z: number) => number]> = {
  relu: [(z) => Math.max(z, 0), (z) => (z > 0 ? 1 : 0)],
  leaky_relu: [(z) => (z > 0 ? z : 0.01 * z), (z) => (z > 0 ? 1 : 0.01)],
  sigmoid: [(z) => 1 / (1 + Math.exp(-z)), (z) => { const s = 1 / (1 + Math.exp(-z)); return s * (1 - s); }],
  tanh: [Math.tanh, (z) => 1 - Math.tanh(z) ** 2],
  gelu: [(z) => z * Phi(z), (z) => Phi(z) + z * Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI)],
};
// Which tensor the backward kernel reads: the output y or the pre-activation z.
const BACKWARD_READS: Record<string, 'y' | 'z'> = { relu: 'y', leaky_relu: 'z', sigmoid: 'y', tanh: 'y', gelu: 'z' };

const LENGTHS = [1, 3, 4, 5, 15, 16, 17, 1023];
// Polynomial exp/erf in the SIMD build: a few float32 ulps; A&S erf adds ≤ 1.5e-7 absolute.
const ATOL = 4e-7;
const RTOL = 4e-6;

describe.each(BUILDS)('activations (%s build)', (build) => {
  it('references agree with central differences', () => {
    for (const [name, [f, df]] of Object.entries(ELEMENTWISE)) {
      for (const z of [-3.1, -0.7, -0.05, 0.3, 1.2, 4.5]) {
        const h = 1e-6;
        expect(Math.abs((f(z + h) - f(z - h)) / (2 * h) - df(z)), name).toBeLessThan(1e-7);
      }
    }
  });

  it.each(Object.keys(ELEMENTWISE))('%s forward and backward match the reference', async (name) => {
    const k = await loadKernels({ build });
    const raw = k.raw as unknown as Record<string, (...args: number[]) => void>;
    const [f, df] = ELEMENTWISE[name]!;
    for (const n of LENGTHS) {
      const z = k.alloc(n), y = k.alloc(n), dy = k.alloc(n), dz = k.alloc(n);
      const zv = z.array as Float32Array;
      zv.forEach((_, i) => { zv[i] = 6 * Math.sin(1.7 * i + n) + (i % 7 === 3 ? 20 * Math.cos(i) : 0); });
      (dy.array as Float32Array).forEach((_, i, a) => { a[i] = Math.cos(0.3 * i); });
      raw[`${name}_forward_f32`]!(z.ptr, y.ptr, n);
      raw[`${name}_backward_f32`]!(dy.ptr, BACKWARD_READS[name] === 'y' ? y.ptr : z.ptr, dz.ptr, n);
      for (let i = 0; i < n; i++) {
        const zi = zv[i]!;
        const want = f(zi);
        const got = y.array[i]!;
        if (Math.abs(got - want) > ATOL + RTOL * Math.abs(want)) expect.fail(`${name}(${zi}) = ${got}, expected ${want}`);
        const wantGrad = dy.array[i]! * df(zi);
        // The backward kernels that read y inherit y's float32 rounding.
        const gotGrad = dz.array[i]!;
        if (Math.abs(gotGrad - wantGrad) > 2 * ATOL + 4 * RTOL * Math.abs(wantGrad)) {
          expect.fail(`${name}'(${zi})·dy = ${gotGrad}, expected ${wantGrad}`);
        }
      }
      for (const a of [z, y, dy, dz]) a.free();
    }
  });

  it.each([false, true])('softmax (log: %s) forward and backward match the reference', async (log) => {
    const k = await loadKernels({ build });
    for (const [rows, cols] of [[1, 1], [2, 3], [3, 4], [2, 17], [5, 100]] as const) {
      const n = rows * cols;
      const z = k.alloc(n), y = k.alloc(n), dy = k.alloc(n), dz = k.alloc(n);
      const zv = z.array as Float32Array;
      zv.forEach((_, i) => { zv[i] = 5 * Math.sin(2.1 * i) + (i === 1 ? 60 : 0); });
      (dy.array as Float32Array).forEach((_, i, a) => { a[i] = Math.cos(0.9 * i); });
      k.raw.softmax_forward_f32(z.ptr, y.ptr, rows, cols, log);
      k.raw.softmax_backward_f32(dy.ptr, y.ptr, dz.ptr, rows, cols, log);
      for (let r = 0; r < rows; r++) {
        const row = Array.from(zv.subarray(r * cols, r * cols + cols));
        const g = Array.from(dy.array.subarray(r * cols, r * cols + cols));
        const mx = Math.max(...row);
        const lse = mx + Math.log(row.reduce((s, v) => s + Math.exp(v - mx), 0));
        const p = row.map((v) => Math.exp(v - lse));
        const dot = g.reduce((s, gi, j) => s + gi * p[j]!, 0);
        const sumG = g.reduce((s, gi) => s + gi, 0);
        for (let j = 0; j < cols; j++) {
          const want = log ? row[j]! - lse : p[j]!;
          const wantGrad = log ? g[j]! - p[j]! * sumG : p[j]! * (g[j]! - dot);
          const got = y.array[r * cols + j]!;
          const gotGrad = dz.array[r * cols + j]!;
          if (Math.abs(got - want) > 1e-6 + 1e-5 * Math.abs(want)) expect.fail(`[${rows},${cols}] y[${r},${j}] = ${got}, expected ${want}`);
          if (Math.abs(gotGrad - wantGrad) > 2e-6 + 1e-5 * Math.abs(wantGrad)) {
            expect.fail(`[${rows},${cols}] dz[${r},${j}] = ${gotGrad}, expected ${wantGrad}`);
          }
        }
      }
      for (const a of [z, y, dy, dz]) a.free();
    }
  });
});
