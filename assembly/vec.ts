// Elementwise vector kernels over flat f32 arrays of n values: an f32x4 body and one scalar tail (the
// scalar build runs the tail from 0). Kernels that reduce return f64.

import { lanes, MINUS_ONE, ONE } from './math';

/** p −= scale·u over n values (LAMB's step per tensor with scale = lr·trust ratio; the noise-scale sums). */
export function subtract_scaled_f32(p: usize, u: usize, n: i32, scale: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const s = f32x4.splat(scale);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(p + o, f32x4.sub(v128.load(p + o), f32x4.mul(s, v128.load(u + o))));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(p + o, load<f32>(p + o) - scale * load<f32>(u + o));
  }
}

/** x *= s over n values (global-norm clipping, gradient averaging). */
export function scale_f32(x: usize, n: i32, s: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const sv = f32x4.splat(s);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(x + o, f32x4.mul(v128.load(x + o), sv));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(x + o, load<f32>(x + o) * s);
  }
}

/** out = a ⊙ b over n values (dropout's backward: dx = dy ⊙ mask); `out` may be `a` or `b`. */
export function multiply_f32(a: usize, b: usize, out: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, f32x4.mul(v128.load(a + o), v128.load(b + o)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(a + o) * load<f32>(b + o));
  }
}

/**
 * out = a·y + b·x over n floats (adding data-parallel chunk gradients with their weights); `out`
 * may be `y` or `x`. Separate multiply and add in every build, so the sum does not depend on which
 * operand a caller names first.
 */
export function weighted_sum_f32(out: usize, a: f32, y: usize, b: f32, x: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const va = f32x4.splat(a);
    const vb = f32x4.splat(b);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, f32x4.add(f32x4.mul(va, v128.load(y + o)), f32x4.mul(vb, v128.load(x + o))));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, a * load<f32>(y + o) + b * load<f32>(x + o));
  }
}

/**
 * Keras L1/L2 weight penalty over n weights: returns λ1·Σ|w| + λ2·Σw² (f64) and, when g ≠ 0, adds its
 * gradient λ1·sign(w) + 2λ2·w to g (g = 0: the penalty alone, for evaluation).
 */
export function weight_penalty_f32(w: usize, g: usize, n: i32, l1: f32, l2: f32): f64 {
  let abs: f64 = 0;
  let sq: f64 = 0;
  const twoL2: f32 = 2 * l2;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    // The sums stay in f64 lanes (each f32 square is exact in f64), as the tail sums them.
    let absAcc = f64x2.splat(0);
    let sqAcc = f64x2.splat(0);
    const vl1 = f32x4.splat(l1), vl2 = f32x4.splat(twoL2), zero = f32x4.splat(0);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const v = v128.load(w + o);
      const high = v128.shuffle<f32>(v, v, 2, 3, 0, 1);
      const lo = f64x2.promote_low_f32x4(v);
      const hi = f64x2.promote_low_f32x4(high);
      absAcc = f64x2.add(absAcc, f64x2.add(f64x2.abs(lo), f64x2.abs(hi)));
      sqAcc = f64x2.add(sqAcc, f64x2.add(f64x2.mul(lo, lo), f64x2.mul(hi, hi)));
      if (g) {
        const sign = v128.or(v128.and(lanes(ONE), f32x4.gt(v, zero)), v128.and(lanes(MINUS_ONE), f32x4.lt(v, zero)));
        v128.store(g + o, f32x4.add(f32x4.add(v128.load(g + o), f32x4.mul(vl1, sign)), f32x4.mul(vl2, v)));
      }
    }
    abs = f64x2.extract_lane(absAcc, 0) + f64x2.extract_lane(absAcc, 1);
    sq = f64x2.extract_lane(sqAcc, 0) + f64x2.extract_lane(sqAcc, 1);
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(w + o);
    abs += Mathf.abs(v);
    sq += <f64>v * <f64>v;
    if (g) {
      const sign: f32 = v > 0 ? 1 : v < 0 ? -1 : 0;
      store<f32>(g + o, load<f32>(g + o) + l1 * sign + twoL2 * v);
    }
  }
  return <f64>l1 * abs + <f64>l2 * sq;
}
