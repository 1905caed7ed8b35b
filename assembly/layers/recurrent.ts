// One time step of torch's LSTM and GRU cells over a block of rows, forward and backward side by
// side. The matrix products (x·W_ihᵀ for every step at once, h·W_hhᵀ per step) are GEMMs the layer
// runs; these kernels do everything element-wise between them, over whole [rows, G·units] blocks:
//   LSTM (gates i, f, g, o):  i, f, o = σ(·), g = tanh(·);  c = f⊙c₋ + i⊙g;  h = o⊙tanh c
//   GRU  (gates r, z, n):     r, z = σ(gi + gh);  n = tanh(gi_n + r⊙gh_n);  h = (1 − z)⊙n + z⊙h₋
// (torch.nn.LSTM / torch.nn.GRU, bias_ih and bias_hh both added). Each forward keeps what its backward
// reads in the buffers it was given (activated gates, tanh c, gh_n), so backprop through time stores
// per step only what these formulas need. A zero previous state is passed as pointer 0.

import { exp_f32x4, lanes, ONE, tanh_f32x4, tanhf } from '../math';

/** σ(x) for four lanes, from e^−|x| so it never overflows. */
// @ts-ignore: decorator
@inline
function sigmoid_f32x4(x: v128): v128 {
  const one = lanes(ONE);
  const e = exp_f32x4(f32x4.neg(f32x4.abs(x)));
  const r = f32x4.div(one, f32x4.add(one, e));
  return v128.bitselect(r, f32x4.mul(e, r), f32x4.ge(x, f32x4.splat(0)));
}

/** σ(x) for one value. */
// @ts-ignore: decorator
@inline
function sigmoidf(x: f32): f32 {
  const e = Mathf.exp(-Mathf.abs(x));
  return x >= 0 ? 1 / (1 + e) : e / (1 + e);
}

// @ts-ignore: decorator
@inline
function at(base: usize, index: i32): usize {
  return base + (<usize>index << 2);
}

/**
 * LSTM step forward. `gates` [rows, 4U] holds the pre-activations (both products and both biases)
 * and is overwritten with the activated gates (σi, σf, tanh g, σo), kept for the backward; `cPrev`
 * [rows, U] (0: zeros), writes `c` and `tanhC` [rows, U] and `h` (row stride hStride).
 */
export function lstm_cell_forward_f32(gates: usize, cPrev: usize, c: usize, tanhC: usize, h: usize, hStride: i32, rows: i32, units: i32): void {
  for (let r = 0; r < rows; r++) {
    const g = at(gates, r * 4 * units);
    const row = r * units;
    const hr = at(h, r * hStride);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      for (; j + 4 <= units; j += 4) {
        const i4 = sigmoid_f32x4(v128.load(at(g, j)));
        const f4 = sigmoid_f32x4(v128.load(at(g, units + j)));
        const g4 = tanh_f32x4(v128.load(at(g, 2 * units + j)));
        const o4 = sigmoid_f32x4(v128.load(at(g, 3 * units + j)));
        const previous = cPrev ? v128.load(at(cPrev, row + j)) : f32x4.splat(0);
        const c4 = f32x4.add(f32x4.mul(f4, previous), f32x4.mul(i4, g4));
        const t4 = tanh_f32x4(c4);
        v128.store(at(g, j), i4);
        v128.store(at(g, units + j), f4);
        v128.store(at(g, 2 * units + j), g4);
        v128.store(at(g, 3 * units + j), o4);
        v128.store(at(c, row + j), c4);
        v128.store(at(tanhC, row + j), t4);
        v128.store(at(hr, j), f32x4.mul(o4, t4));
      }
    }
    for (; j < units; j++) {
      const iv = sigmoidf(load<f32>(at(g, j)));
      const fv = sigmoidf(load<f32>(at(g, units + j)));
      const gv = tanhf(load<f32>(at(g, 2 * units + j)));
      const ov = sigmoidf(load<f32>(at(g, 3 * units + j)));
      const cv = fv * (cPrev ? load<f32>(at(cPrev, row + j)) : 0) + iv * gv;
      const tv = tanhf(cv);
      store<f32>(at(g, j), iv);
      store<f32>(at(g, units + j), fv);
      store<f32>(at(g, 2 * units + j), gv);
      store<f32>(at(g, 3 * units + j), ov);
      store<f32>(at(c, row + j), cv);
      store<f32>(at(tanhC, row + j), tv);
      store<f32>(at(hr, j), ov * tv);
    }
  }
}

/**
 * LSTM step backward. In: `gates` as the forward left them, `cPrev` (0: zeros), `tanhC`, `dh`
 * (row stride dhStride: the loss's gradient w.r.t. h plus the next step's recurrent one) and `dc`
 * [rows, U] (w.r.t. c, from the next step; zeros at the last). Out: `gates` holds the gradient w.r.t.
 * the pre-activations (for the weight and input GEMMs), `dc` the gradient w.r.t. cPrev.
 */
export function lstm_cell_backward_f32(gates: usize, cPrev: usize, tanhC: usize, dh: usize, dhStride: i32, dc: usize, rows: i32, units: i32): void {
  for (let r = 0; r < rows; r++) {
    const g = at(gates, r * 4 * units);
    const row = r * units;
    const dhr = at(dh, r * dhStride);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      const one = lanes(ONE);
      for (; j + 4 <= units; j += 4) {
        const i4 = v128.load(at(g, j));
        const f4 = v128.load(at(g, units + j));
        const g4 = v128.load(at(g, 2 * units + j));
        const o4 = v128.load(at(g, 3 * units + j));
        const t4 = v128.load(at(tanhC, row + j));
        const dh4 = v128.load(at(dhr, j));
        const previous = cPrev ? v128.load(at(cPrev, row + j)) : f32x4.splat(0);
        // dc += dh · o · (1 − tanh²c)
        const dc4 = f32x4.add(v128.load(at(dc, row + j)), f32x4.mul(f32x4.mul(dh4, o4), f32x4.sub(one, f32x4.mul(t4, t4))));
        v128.store(at(g, j), f32x4.mul(f32x4.mul(dc4, g4), f32x4.mul(i4, f32x4.sub(one, i4))));
        v128.store(at(g, units + j), f32x4.mul(f32x4.mul(dc4, previous), f32x4.mul(f4, f32x4.sub(one, f4))));
        v128.store(at(g, 2 * units + j), f32x4.mul(f32x4.mul(dc4, i4), f32x4.sub(one, f32x4.mul(g4, g4))));
        v128.store(at(g, 3 * units + j), f32x4.mul(f32x4.mul(dh4, t4), f32x4.mul(o4, f32x4.sub(one, o4))));
        v128.store(at(dc, row + j), f32x4.mul(dc4, f4));
      }
    }
    for (; j < units; j++) {
      const iv = load<f32>(at(g, j));
      const fv = load<f32>(at(g, units + j));
      const gv = load<f32>(at(g, 2 * units + j));
      const ov = load<f32>(at(g, 3 * units + j));
      const tv = load<f32>(at(tanhC, row + j));
      const dhv = load<f32>(at(dhr, j));
      const previous: f32 = cPrev ? load<f32>(at(cPrev, row + j)) : 0;
      const dcv = load<f32>(at(dc, row + j)) + dhv * ov * (1 - tv * tv);
      store<f32>(at(g, j), dcv * gv * iv * (1 - iv));
      store<f32>(at(g, units + j), dcv * previous * fv * (1 - fv));
      store<f32>(at(g, 2 * units + j), dcv * iv * (1 - gv * gv));
      store<f32>(at(g, 3 * units + j), dhv * tv * ov * (1 - ov));
      store<f32>(at(dc, row + j), dcv * fv);
    }
  }
}

/**
 * GRU step forward. `gi` [rows, 3U] = x·W_ihᵀ + b_ih and `gh` [rows, 3U] = h₋·W_hhᵀ + b_hh (blocks
 * r, z, n); `gi` is overwritten with the activated (r, z, n) and `gh` keeps gh_n for the backward;
 * `hPrev` (row stride hPrevStride; 0: zeros); writes `h` (row stride hStride).
 */
export function gru_cell_forward_f32(gi: usize, gh: usize, hPrev: usize, hPrevStride: i32, h: usize, hStride: i32, rows: i32, units: i32): void {
  for (let r = 0; r < rows; r++) {
    const a = at(gi, r * 3 * units);
    const b = at(gh, r * 3 * units);
    const pr = at(hPrev, r * hPrevStride);
    const hr = at(h, r * hStride);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      const one = lanes(ONE);
      for (; j + 4 <= units; j += 4) {
        const r4 = sigmoid_f32x4(f32x4.add(v128.load(at(a, j)), v128.load(at(b, j))));
        const z4 = sigmoid_f32x4(f32x4.add(v128.load(at(a, units + j)), v128.load(at(b, units + j))));
        const n4 = tanh_f32x4(f32x4.add(v128.load(at(a, 2 * units + j)), f32x4.mul(r4, v128.load(at(b, 2 * units + j)))));
        const previous = hPrev ? v128.load(at(pr, j)) : f32x4.splat(0);
        v128.store(at(a, j), r4);
        v128.store(at(a, units + j), z4);
        v128.store(at(a, 2 * units + j), n4);
        v128.store(at(hr, j), f32x4.add(f32x4.mul(f32x4.sub(one, z4), n4), f32x4.mul(z4, previous)));
      }
    }
    for (; j < units; j++) {
      const rv = sigmoidf(load<f32>(at(a, j)) + load<f32>(at(b, j)));
      const zv = sigmoidf(load<f32>(at(a, units + j)) + load<f32>(at(b, units + j)));
      const nv = tanhf(load<f32>(at(a, 2 * units + j)) + rv * load<f32>(at(b, 2 * units + j)));
      const previous: f32 = hPrev ? load<f32>(at(pr, j)) : 0;
      store<f32>(at(a, j), rv);
      store<f32>(at(a, units + j), zv);
      store<f32>(at(a, 2 * units + j), nv);
      store<f32>(at(hr, j), (1 - zv) * nv + zv * previous);
    }
  }
}

/**
 * GRU step backward. In: `gi` (activated r, z, n) and `gh` (gh_n kept) as the forward left them,
 * `hPrev` (0: zeros), `dh` (row stride dhStride: w.r.t. h, output plus recurrent). Out: `gi` and `gh`
 * hold the gradients w.r.t. their pre-activation sums (for the GEMMs: gi's with W_ih and x, gh's with
 * W_hh and h₋), and `dhPrev` (row stride dhPrevStride; skipped when 0) the direct part z⊙dh of the
 * gradient w.r.t. h₋ (the GEMM of gh's gradient with W_hh adds the rest).
 */
export function gru_cell_backward_f32(
  gi: usize, gh: usize, hPrev: usize, hPrevStride: i32, dh: usize, dhStride: i32, dhPrev: usize, dhPrevStride: i32, rows: i32, units: i32,
): void {
  for (let r = 0; r < rows; r++) {
    const a = at(gi, r * 3 * units);
    const b = at(gh, r * 3 * units);
    const pr = at(hPrev, r * hPrevStride);
    const dhr = at(dh, r * dhStride);
    const dpr = at(dhPrev, r * dhPrevStride);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      const one = lanes(ONE);
      for (; j + 4 <= units; j += 4) {
        const r4 = v128.load(at(a, j));
        const z4 = v128.load(at(a, units + j));
        const n4 = v128.load(at(a, 2 * units + j));
        const ghn = v128.load(at(b, 2 * units + j));
        const d4 = v128.load(at(dhr, j));
        const previous = hPrev ? v128.load(at(pr, j)) : f32x4.splat(0);
        const dn = f32x4.mul(f32x4.mul(d4, f32x4.sub(one, z4)), f32x4.sub(one, f32x4.mul(n4, n4)));
        const dz = f32x4.mul(f32x4.mul(d4, f32x4.sub(previous, n4)), f32x4.mul(z4, f32x4.sub(one, z4)));
        const dr = f32x4.mul(f32x4.mul(dn, ghn), f32x4.mul(r4, f32x4.sub(one, r4)));
        v128.store(at(a, j), dr);
        v128.store(at(a, units + j), dz);
        v128.store(at(a, 2 * units + j), dn);
        v128.store(at(b, j), dr);
        v128.store(at(b, units + j), dz);
        v128.store(at(b, 2 * units + j), f32x4.mul(dn, r4));
        if (dhPrev) v128.store(at(dpr, j), f32x4.mul(d4, z4));
      }
    }
    for (; j < units; j++) {
      const rv = load<f32>(at(a, j));
      const zv = load<f32>(at(a, units + j));
      const nv = load<f32>(at(a, 2 * units + j));
      const ghn = load<f32>(at(b, 2 * units + j));
      const dv = load<f32>(at(dhr, j));
      const previous: f32 = hPrev ? load<f32>(at(pr, j)) : 0;
      const dn = dv * (1 - zv) * (1 - nv * nv);
      const dz = dv * (previous - nv) * zv * (1 - zv);
      const dr = dn * ghn * rv * (1 - rv);
      store<f32>(at(a, j), dr);
      store<f32>(at(a, units + j), dz);
      store<f32>(at(a, 2 * units + j), dn);
      store<f32>(at(b, j), dr);
      store<f32>(at(b, units + j), dz);
      store<f32>(at(b, 2 * units + j), dn * rv);
      if (dhPrev) store<f32>(at(dpr, j), dv * zv);
    }
  }
}
