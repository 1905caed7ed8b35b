// Activations over flat f32 arrays: forward y = f(z) and backward dz = dy ⊙ f'(z), side by side.
// Forward may run in place (y = z). Backward takes whichever of z and y gives the derivative most
// cheaply and may write dz over dy. Row activations (softmax, log_softmax) work on [rows, cols].

import { expNonPositiveFlush_f32x4, exp_f32x4, hsum_f32x4, lanes, ONE, HALF, rowMax_f32, rowSumExp, tanh_f32x4, tanhf } from './math';

const LEAKY_SLOPE = memory.data<f32>([0.01]);

/** y = max(z, 0). */
export function relu_forward_f32(z: usize, y: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const zero = f32x4.splat(0);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(y + o, f32x4.pmax(v128.load(z + o), zero));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(z + o);
    store<f32>(y + o, v > 0 ? v : v == v ? 0 : v);
  }
}

/** dz = dy where y > 0, else 0 (y = relu output). */
export function relu_backward_f32(dy: usize, y: usize, dz: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const zero = f32x4.splat(0);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(dz + o, v128.and(v128.load(dy + o), f32x4.gt(v128.load(y + o), zero)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dz + o, load<f32>(y + o) > 0 ? load<f32>(dy + o) : 0);
  }
}

/** y = z > 0 ? z : 0.01·z (torch's default slope). */
export function leaky_relu_forward_f32(z: usize, y: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const zero = f32x4.splat(0);
    const slope = lanes(LEAKY_SLOPE);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const v = v128.load(z + o);
      v128.store(y + o, v128.bitselect(v, f32x4.mul(v, slope), f32x4.gt(v, zero)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(z + o);
    store<f32>(y + o, v > 0 ? v : v * 0.01);
  }
}

/** dz = dy · (z > 0 ? 1 : 0.01). */
export function leaky_relu_backward_f32(dy: usize, z: usize, dz: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const zero = f32x4.splat(0);
    const slope = lanes(LEAKY_SLOPE);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const g = v128.load(dy + o);
      v128.store(dz + o, v128.bitselect(g, f32x4.mul(g, slope), f32x4.gt(v128.load(z + o), zero)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const g = load<f32>(dy + o);
    store<f32>(dz + o, load<f32>(z + o) > 0 ? g : g * 0.01);
  }
}

/** y = 1 / (1 + e^−z), computed from e^−|z| so it never overflows. */
export function sigmoid_forward_f32(z: usize, y: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const one = lanes(ONE);
    const zero = f32x4.splat(0);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const v = v128.load(z + o);
      const e = exp_f32x4(f32x4.neg(f32x4.abs(v)));
      const r = f32x4.div(one, f32x4.add(one, e));
      // z ≥ 0: 1/(1+e); z < 0: e/(1+e)
      v128.store(y + o, v128.bitselect(r, f32x4.mul(e, r), f32x4.ge(v, zero)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(z + o);
    const e = Mathf.exp(-Mathf.abs(v));
    store<f32>(y + o, v >= 0 ? 1 / (1 + e) : e / (1 + e));
  }
}

/** dz = dy · y(1 − y) (y = sigmoid output). */
export function sigmoid_backward_f32(dy: usize, y: usize, dz: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const one = lanes(ONE);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const s = v128.load(y + o);
      v128.store(dz + o, f32x4.mul(v128.load(dy + o), f32x4.mul(s, f32x4.sub(one, s))));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const s = load<f32>(y + o);
    store<f32>(dz + o, load<f32>(dy + o) * s * (1 - s));
  }
}

/** y = tanh z. */
export function tanh_forward_f32(z: usize, y: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(y + o, tanh_f32x4(v128.load(z + o)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, tanhf(load<f32>(z + o)));
  }
}

/** dz = dy · (1 − y²) (y = tanh output). */
export function tanh_backward_f32(dy: usize, y: usize, dz: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const one = lanes(ONE);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const t = v128.load(y + o);
      v128.store(dz + o, f32x4.mul(v128.load(dy + o), f32x4.sub(one, f32x4.mul(t, t))));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const t = load<f32>(y + o);
    store<f32>(dz + o, load<f32>(dy + o) * (1 - t * t));
  }
}

// Exact GELU, z·Φ(z), with Φ(z) = ½(1 + erf(z/√2)). erf from Abramowitz & Stegun 7.1.26
// (|error| ≤ 1.5e-7): erf(u) = 1 − t·P(t)·e^(−u²), t = 1/(1 + p·u), for u ≥ 0, odd in u.
const INV_SQRT2 = memory.data<f32>([0.7071067811865476]);
const INV_SQRT_2PI = memory.data<f32>([0.3989422804014327]);
const ERF_P = memory.data<f32>([0.3275911]);
const ERF_A = memory.data<f32>([1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592]);

// @ts-ignore: decorator
@inline
function phi_f32x4(z: v128): v128 {
  const u = f32x4.mul(f32x4.abs(z), lanes(INV_SQRT2));
  const t = f32x4.div(lanes(ONE), f32x4.add(lanes(ONE), f32x4.mul(lanes(ERF_P), u)));
  let p = lanes(ERF_A);
  p = f32x4.add(f32x4.mul(p, t), lanes(ERF_A + 4));
  p = f32x4.add(f32x4.mul(p, t), lanes(ERF_A + 8));
  p = f32x4.add(f32x4.mul(p, t), lanes(ERF_A + 12));
  p = f32x4.add(f32x4.mul(p, t), lanes(ERF_A + 16));
  // ½·erfc(|u|) = ½·t·P(t)·e^(−u²); Φ(z) = 1 − that for z ≥ 0, that for z < 0
  const tail = f32x4.mul(lanes(HALF), f32x4.mul(f32x4.mul(t, p), expNonPositiveFlush_f32x4(f32x4.neg(f32x4.mul(u, u)))));
  return v128.bitselect(f32x4.sub(lanes(ONE), tail), tail, f32x4.ge(z, f32x4.splat(0)));
}

function phi(z: f32): f32 {
  const u = Mathf.abs(z) * 0.7071067811865476;
  const t: f32 = 1 / (1 + 0.3275911 * u);
  const p: f32 = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const tail: f32 = 0.5 * p * Mathf.exp(-u * u);
  return z >= 0 ? 1 - tail : tail;
}

/** y = z·Φ(z) (exact, erf-based GELU, as torch's default). */
export function gelu_forward_f32(z: usize, y: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const v = v128.load(z + o);
      v128.store(y + o, f32x4.mul(v, phi_f32x4(v)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(z + o);
    store<f32>(y + o, v * phi(v));
  }
}

/** dz = dy · (Φ(z) + z·φ(z)), φ the standard normal density. */
export function gelu_backward_f32(dy: usize, z: usize, dz: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const v = v128.load(z + o);
      const density = f32x4.mul(lanes(INV_SQRT_2PI), expNonPositiveFlush_f32x4(f32x4.mul(f32x4.mul(v, v), f32x4.neg(lanes(HALF)))));
      const d = f32x4.add(phi_f32x4(v), f32x4.mul(v, density));
      v128.store(dz + o, f32x4.mul(v128.load(dy + o), d));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(z + o);
    const density: f32 = 0.3989422804014327 * Mathf.exp(-0.5 * v * v);
    store<f32>(dz + o, load<f32>(dy + o) * (phi(v) + v * density));
  }
}

// ---------------------------------------------------------------------------------------------
// Row activations over [rows, cols].


/** Per row: y = softmax(z) (log = 0) or log_softmax(z) (log = 1). */
export function softmax_forward_f32(z: usize, y: usize, rows: i32, cols: i32, log: bool): void {
  for (let r = 0; r < rows; r++) {
    const off = (<usize>r * <usize>cols) << 2;
    const zr = z + off;
    const yr = y + off;
    const mx = rowMax_f32(zr, cols);
    const s = rowSumExp(zr, cols, mx, log ? 0 : yr);
    // softmax: scale the exps by 1/Σ; log_softmax: z − (max + log Σ)
    const c: f32 = log ? <f32>(<f64>mx + Math.log(s)) : <f32>(1 / s);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      const cv = f32x4.splat(c);
      for (; j + 4 <= cols; j += 4) {
        const o = <usize>j << 2;
        v128.store(yr + o, log ? f32x4.sub(v128.load(zr + o), cv) : f32x4.mul(v128.load(yr + o), cv));
      }
    }
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      store<f32>(yr + o, log ? load<f32>(zr + o) - c : load<f32>(yr + o) * c);
    }
  }
}

/**
 * Per row, from the output y: softmax: dz = y ⊙ (dy − Σ dy⊙y); log_softmax: dz = dy − e^y·Σ dy.
 */
export function softmax_backward_f32(dy: usize, y: usize, dz: usize, rows: i32, cols: i32, log: bool): void {
  for (let r = 0; r < rows; r++) {
    const off = (<usize>r * <usize>cols) << 2;
    const dyr = dy + off;
    const yr = y + off;
    const dzr = dz + off;
    let j = 0;
    let s: f64 = 0;
    if (ASC_FEATURE_SIMD) {
      let acc = f32x4.splat(0);
      for (; j + 4 <= cols; j += 4) {
        const o = <usize>j << 2;
        const g = v128.load(dyr + o);
        acc = f32x4.add(acc, log ? g : f32x4.mul(g, v128.load(yr + o)));
      }
      s = hsum_f32x4(acc);
    }
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      const g = load<f32>(dyr + o);
      s += log ? g : g * load<f32>(yr + o);
    }
    const sv: f32 = <f32>s;
    j = 0;
    if (ASC_FEATURE_SIMD) {
      const ss = f32x4.splat(sv);
      for (; j + 4 <= cols; j += 4) {
        const o = <usize>j << 2;
        const g = v128.load(dyr + o);
        const yv = v128.load(yr + o);
        v128.store(dzr + o, log
          ? f32x4.sub(g, f32x4.mul(exp_f32x4(yv), ss))
          : f32x4.mul(yv, f32x4.sub(g, ss)));
      }
    }
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      const g = load<f32>(dyr + o);
      const yv = load<f32>(yr + o);
      store<f32>(dzr + o, log ? g - Mathf.exp(yv) * sv : yv * (g - sv));
    }
  }
}
