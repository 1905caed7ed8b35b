// The sequence layers' element-wise kernels (assembly/layers/recurrent.ts and attention.ts) on every
// build: forward against float64 references of torch's LSTM and GRU cells and of a masked, scaled
// softmax; backward against central differences of those float64 references (the gradient of a
// weighted sum of the outputs), at widths around the 4-lane SIMD body and its scalar tail, with row
// strides and zero previous states.
import { describe, expect, it } from 'vitest';
import { type Kernels, loadKernels } from '../src/index.js';
import { BUILDS } from './reference/builds.js';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
/** Deterministic values in (−amplitude, amplitude). */
const values = (n: number, seed: number, amplitude = 2) => Float64Array.from({ length: n }, (_, i) => amplitude * Math.sin(seed * 7.1 + i * 1.37));

/** Central difference of f at each element of x (f reads x; step h). */
function numericGradient(x: Float64Array, f: () => number, h = 1e-6): Float64Array {
  return x.map((v, i) => {
    x[i] = v + h;
    const up = f();
    x[i] = v - h;
    const down = f();
    x[i] = v;
    return (up - down) / (2 * h);
  });
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, atol: number, rtol: number, what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i]! - want[i]!) <= atol + rtol * Math.abs(want[i]!))) expect.fail(`${what}[${i}] = ${got[i]}, expected ${want[i]}`);
  }
}

/** Copies float64 values into a new WASM array (f32). */
function wasm(k: Kernels, data: ArrayLike<number>) {
  const array = k.alloc(Math.max(1, data.length));
  (array.array as Float32Array).set(Float32Array.from(data));
  return array;
}

const SHAPES: [rows: number, units: number][] = [[1, 1], [2, 3], [1, 4], [3, 5], [2, 9], [1, 17]];

/** torch's LSTM cell in float64: gates [rows, 4U] pre-activations (i, f, g, o), cPrev [rows, U] or null. */
function lstmReference(gates: Float64Array, cPrev: Float64Array | null, rows: number, U: number) {
  const c = new Float64Array(rows * U);
  const h = new Float64Array(rows * U);
  const act = new Float64Array(rows * 4 * U);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < U; j++) {
      const g = (q: number) => gates[r * 4 * U + q * U + j]!;
      const [i, f, gg, o] = [sigmoid(g(0)), sigmoid(g(1)), Math.tanh(g(2)), sigmoid(g(3))];
      [i, f, gg, o].forEach((v, q) => { act[r * 4 * U + q * U + j] = v; });
      c[r * U + j] = f * (cPrev ? cPrev[r * U + j]! : 0) + i * gg;
      h[r * U + j] = o * Math.tanh(c[r * U + j]!);
    }
  }
  return { c, h, act };
}

/** torch's GRU cell in float64: gi, gh [rows, 3U] (r, z, n), hPrev [rows, U] or null. */
function gruReference(gi: Float64Array, gh: Float64Array, hPrev: Float64Array | null, rows: number, U: number) {
  const h = new Float64Array(rows * U);
  const act = new Float64Array(rows * 3 * U);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < U; j++) {
      const a = (q: number) => gi[r * 3 * U + q * U + j]!;
      const b = (q: number) => gh[r * 3 * U + q * U + j]!;
      const rg = sigmoid(a(0) + b(0));
      const z = sigmoid(a(1) + b(1));
      const n = Math.tanh(a(2) + rg * b(2));
      [rg, z, n].forEach((v, q) => { act[r * 3 * U + q * U + j] = v; });
      h[r * U + j] = (1 - z) * n + z * (hPrev ? hPrev[r * U + j]! : 0);
    }
  }
  return { h, act };
}

/** Masked, scaled softmax per row in float64 (causal: row i sees columns 0..i). */
function softmaxReference(S: Float64Array, rows: number, cols: number, scale: number, causal: boolean): Float64Array {
  const P = new Float64Array(S.length);
  for (let b = 0; b < S.length / (rows * cols); b++) {
    for (let i = 0; i < rows; i++) {
      const n = causal ? Math.min(i + 1, cols) : cols;
      const row = (j: number) => scale * S[b * rows * cols + i * cols + j]!;
      let mx = -Infinity;
      for (let j = 0; j < n; j++) mx = Math.max(mx, row(j));
      let sum = 0;
      for (let j = 0; j < n; j++) sum += Math.exp(row(j) - mx);
      for (let j = 0; j < n; j++) P[b * rows * cols + i * cols + j] = Math.exp(row(j) - mx) / sum;
    }
  }
  return P;
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!; return s; };

describe.each(BUILDS)('sequence kernels (%s build)', (build) => {
  it('lstm_cell_forward/backward: torch\'s cell, and the gradient of a weighted sum of h and c by central differences', async () => {
    const k = await loadKernels({ build });
    for (const [rows, U] of SHAPES) {
      for (const withState of [true, false]) {
        const hStride = U + 2; // h written into wider rows, as into a [T, units] sequence output
        const gates0 = values(rows * 4 * U, rows + U);
        const cPrev0 = withState ? values(rows * U, 3 * U + 1, 1) : null;
        const wh = values(rows * U, 11 + U, 1); // dL/dh
        const wc = values(rows * U, 17 + U, 1); // dL/dc from the next step
        const expected = lstmReference(gates0, cPrev0, rows, U);
        const gates = wasm(k, gates0), cPrev = cPrev0 ? wasm(k, cPrev0) : null;
        const c = k.alloc(rows * U), tanhC = k.alloc(rows * U), h = k.alloc(rows * hStride);
        k.raw.lstm_cell_forward_f32(gates.ptr, cPrev?.ptr ?? 0, c.ptr, tanhC.ptr, h.ptr, hStride, rows, U);
        const what = `rows ${rows}, units ${U}, ${withState ? 'with' : 'zero'} state`;
        expectClose(c.array, expected.c, 2e-6, 2e-6, `c, ${what}`);
        expectClose(tanhC.array, expected.c.map(Math.tanh), 2e-6, 2e-6, `tanh c, ${what}`);
        expectClose(Array.from({ length: rows * U }, (_, i) => h.array[Math.floor(i / U) * hStride + (i % U)]!), expected.h, 2e-6, 2e-6, `h, ${what}`);
        expectClose(gates.array, expected.act, 2e-6, 2e-6, `activated gates, ${what}`);
        // backward: L = Σ wh·h + Σ wc·c
        const dh = k.alloc(rows * hStride);
        wh.forEach((v, i) => { (dh.array as Float32Array)[Math.floor(i / U) * hStride + (i % U)] = v; });
        const dc = wasm(k, wc);
        k.raw.lstm_cell_backward_f32(gates.ptr, cPrev?.ptr ?? 0, tanhC.ptr, dh.ptr, hStride, dc.ptr, rows, U);
        const loss = () => {
          const out = lstmReference(gates0, cPrev0, rows, U);
          return dot(wh, out.h) + dot(wc, out.c);
        };
        expectClose(gates.array, numericGradient(gates0, loss), 2e-5, 1e-4, `d gates, ${what}`);
        if (cPrev0) expectClose(dc.array, numericGradient(cPrev0, loss), 2e-5, 1e-4, `d cPrev, ${what}`);
        for (const array of [gates, cPrev, c, tanhC, h, dh, dc]) array?.free();
      }
    }
  });

  it('gru_cell_forward/backward: torch\'s cell (n = tanh(gi_n + r ⊙ gh_n)), gradients w.r.t. gi, gh and h₋ by central differences', async () => {
    const k = await loadKernels({ build });
    for (const [rows, U] of SHAPES) {
      for (const withState of [true, false]) {
        const stride = U + 3;
        const gi0 = values(rows * 3 * U, rows + 2 * U), gh0 = values(rows * 3 * U, 5 + U);
        const hPrev0 = withState ? values(rows * U, 7 * U, 1) : null;
        const wh = values(rows * U, 13 + U, 1);
        const expected = gruReference(gi0, gh0, hPrev0, rows, U);
        const widen = (v: ArrayLike<number>) => { const w = new Float64Array(rows * stride); for (let i = 0; i < rows * U; i++) w[Math.floor(i / U) * stride + (i % U)] = v[i]!; return w; };
        const narrow = (w: ArrayLike<number>) => Array.from({ length: rows * U }, (_, i) => w[Math.floor(i / U) * stride + (i % U)]!);
        const gi = wasm(k, gi0), gh = wasm(k, gh0), hPrev = hPrev0 ? wasm(k, widen(hPrev0)) : null, h = k.alloc(rows * stride);
        k.raw.gru_cell_forward_f32(gi.ptr, gh.ptr, hPrev?.ptr ?? 0, stride, h.ptr, stride, rows, U);
        const what = `rows ${rows}, units ${U}, ${withState ? 'with' : 'zero'} state`;
        expectClose(narrow(h.array), expected.h, 2e-6, 2e-6, `h, ${what}`);
        expectClose(gi.array, expected.act, 2e-6, 2e-6, `activated gates, ${what}`);
        const dh = wasm(k, widen(wh)), dhPrev = k.alloc(rows * stride);
        k.raw.gru_cell_backward_f32(gi.ptr, gh.ptr, hPrev?.ptr ?? 0, stride, dh.ptr, stride, dhPrev.ptr, stride, rows, U);
        const loss = () => dot(wh, gruReference(gi0, gh0, hPrev0, rows, U).h);
        expectClose(gi.array, numericGradient(gi0, loss), 2e-5, 1e-4, `d gi, ${what}`);
        expectClose(gh.array, numericGradient(gh0, loss), 2e-5, 1e-4, `d gh, ${what}`);
        if (hPrev0) expectClose(narrow(dhPrev.array), numericGradient(hPrev0, loss), 2e-5, 1e-4, `d hPrev (direct part), ${what}`);
        for (const array of [gi, gh, hPrev, h, dh, dhPrev]) array?.free();
      }
    }
  });

  it('attention_softmax and its backward: causal and not, odd sizes, several blocks, row stride wider than the block', async () => {
    const k = await loadKernels({ build });
    for (const [rows, cols, blocks] of [[1, 1, 1], [3, 3, 2], [5, 5, 1], [4, 9, 3], [17, 17, 2]] as const) {
      for (const causal of [false, true]) {
        if (causal && rows !== cols) continue;
        const scale = 1 / Math.sqrt(8);
        const ld = cols + 1;
        const S0 = values(blocks * rows * cols, rows * cols + blocks, 3);
        const W = values(blocks * rows * cols, 31 + cols, 1); // dL/dP
        const strided = (v: ArrayLike<number>) => {
          const out = new Float64Array(blocks * rows * ld);
          for (let i = 0; i < v.length; i++) out[Math.floor(i / cols) * ld + (i % cols)] = v[i]!;
          return out;
        };
        const dense = (w: ArrayLike<number>) => Array.from({ length: blocks * rows * cols }, (_, i) => w[Math.floor(i / cols) * ld + (i % cols)]!);
        const S = wasm(k, strided(S0)), dP = wasm(k, strided(W));
        k.raw.attention_softmax_f32(S.ptr, rows, cols, ld, blocks, rows * ld, scale, causal);
        const what = `[${rows}, ${cols}] × ${blocks}, ${causal ? 'causal' : 'full'}`;
        expectClose(dense(S.array), softmaxReference(S0, rows, cols, scale, causal), 1e-6, 1e-5, `P, ${what}`);
        k.raw.attention_softmax_backward_f32(S.ptr, dP.ptr, rows, cols, ld, blocks, rows * ld, scale, causal);
        const gradient = numericGradient(S0, () => dot(W, softmaxReference(S0, rows, cols, scale, causal)));
        expectClose(dense(dP.array), gradient, 2e-6, 1e-4, `dS, ${what}`);
        if (causal) expect(dense(dP.array).filter((_, i) => (i % cols) > Math.floor(i / cols) % rows).every((v) => v === 0), what).toBe(true);
        S.free();
        dP.free();
      }
    }
  });
});
