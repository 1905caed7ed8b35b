// Regression losses over flat f32 arrays, value and gradient in one pass.
//
// Every kernel has the same contract (the host validates everything before calling):
//   x, y      input and target, n f32 each (16-byte aligned heap blocks)
//   grad      0, or n f32 written with gscale · ∂item/∂x   (gscale = 1/M for 'mean', 1 otherwise)
//   items     0, or n f32 written with the per-element loss (reduction 'none')
//   returns   Σ item, accumulated in f32x4 blocks of BLOCK elements and summed in f64
// SIMD build: f32x4 body over the largest multiple of 4, then the scalar tail; the scalar build runs
// the tail loop from 0. That loop is reduce.ts's sumItems, each loss a class of its per-element work;
// mse (two vectors per iteration) and barron (six loop-invariant vectors) keep loops of their own.

import {
  BLOCK, EPS, EPS_LANES, exp_f32x4, expm1_f32x4, HALF, hsum_f32x4, lanes, log1p_f32x4, log_f32x4, logCosh, logCosh_f32x4, MINUS_HALF, NAN, ONE, tanh_f32x4, tanhf,
} from '../math';
import { sumItems } from './reduce';

/** Mean squared error: item (x − y)², gradient 2(x − y). */
export function mse_f32(x: usize, y: usize, n: i32, grad: usize, items: usize, gscale: f32): f64 {
  let total: f64 = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const g2 = f32x4.splat(2 * gscale);
    const nv = n & ~7;
    // Two vectors per iteration into two sums: the bandwidth-bound loop issues loads twice as fast.
    while (i < nv) {
      const end = min(i + BLOCK, nv);
      let acc0 = f32x4.splat(0);
      let acc1 = f32x4.splat(0);
      for (; i < end; i += 8) {
        const o = <usize>i << 2;
        const d0 = f32x4.sub(v128.load(x + o), v128.load(y + o));
        const d1 = f32x4.sub(v128.load(x + o, 16), v128.load(y + o, 16));
        const item0 = f32x4.mul(d0, d0);
        const item1 = f32x4.mul(d1, d1);
        acc0 = f32x4.add(acc0, item0);
        acc1 = f32x4.add(acc1, item1);
        if (grad) {
          v128.store(grad + o, f32x4.mul(d0, g2));
          v128.store(grad + o, f32x4.mul(d1, g2), 16);
        }
        if (items) {
          v128.store(items + o, item0);
          v128.store(items + o, item1, 16);
        }
      }
      total += hsum_f32x4(f32x4.add(acc0, acc1));
    }
  }
  const g2s: f32 = 2 * gscale;
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const d = load<f32>(x + o) - load<f32>(y + o);
    const item = d * d;
    total += item;
    if (grad) store<f32>(grad + o, d * g2s);
    if (items) store<f32>(items + o, item);
  }
  return total;
}

// |x − y|, gradient copysign(gscale, d) where d ≠ 0, 0 where d = 0, NaN where d is NaN.
@final @unmanaged class Mae {
  // @ts-ignore: decorator
  @inline vectors(gscale: f32, _b: f32, _c: f32, which: i32): v128 {
    return which == 0 ? f32x4.splat(gscale) : which == 1 ? f32x4.splat(0) : lanes(NAN);
  }

  // @ts-ignore: decorator
  @inline lanes4(x: v128, y: v128, o: usize, grad: usize, items: usize, gs: v128, zero: v128, nan: v128, _w: usize, _pw: usize): v128 {
    const d = f32x4.sub(x, y);
    const item = f32x4.abs(d);
    if (grad) {
      let g = v128.or(gs, v128.and(d, i32x4.splat(0x80000000)));
      g = v128.and(g, f32x4.ne(d, zero));
      v128.store(grad + o, v128.bitselect(nan, g, f32x4.ne(d, d)));
    }
    if (items) v128.store(items + o, item);
    return item;
  }

  // @ts-ignore: decorator
  @inline lane1(x: f32, y: f32, o: usize, grad: usize, items: usize, gscale: f32, _b: f32, _c: f32, _w: usize, _pw: usize): f32 {
    const d = x - y;
    const item = Mathf.abs(d);
    if (grad) store<f32>(grad + o, d > 0 ? gscale : d < 0 ? -gscale : d == 0 ? 0 : NaN);
    if (items) store<f32>(items + o, item);
    return item;
  }
}

/** Mean absolute error: item |x − y|, gradient sign(x − y) (0 at 0, NaN for NaN). */
export function mae_f32(x: usize, y: usize, n: i32, grad: usize, items: usize, gscale: f32): f64 {
  return sumItems<Mae>(x, y, n, grad, items, gscale, 0, 0);
}

// With m = min(|d|, δ): m(|d| − ½m) is ½d² inside the threshold and δ(|d| − ½δ) outside; a = gscale·k,
// b = k, c = δ.
@final @unmanaged class Huber {
  // @ts-ignore: decorator
  @inline vectors(gk: f32, k: f32, delta: f32, which: i32): v128 {
    return f32x4.splat(which == 0 ? gk : which == 1 ? k : delta);
  }

  // @ts-ignore: decorator
  @inline lanes4(x: v128, y: v128, o: usize, grad: usize, items: usize, gs: v128, kv: v128, dv: v128, _w: usize, _pw: usize): v128 {
    const d = f32x4.sub(x, y);
    const a = f32x4.abs(d);
    const m = f32x4.pmin(a, dv);
    const item = f32x4.mul(f32x4.mul(m, f32x4.sub(a, f32x4.mul(lanes(HALF), m))), kv);
    if (grad) v128.store(grad + o, f32x4.mul(f32x4.pmax(f32x4.pmin(d, dv), f32x4.neg(dv)), gs));
    if (items) v128.store(items + o, item);
    return item;
  }

  // @ts-ignore: decorator
  @inline lane1(x: f32, y: f32, o: usize, grad: usize, items: usize, gk: f32, k: f32, delta: f32, _w: usize, _pw: usize): f32 {
    const d = x - y;
    const a = Mathf.abs(d);
    const m = Mathf.min(a, delta);
    const item = m * (a - 0.5 * m) * k;
    if (grad) store<f32>(grad + o, Mathf.max(Mathf.min(d, delta), -delta) * gk);
    if (items) store<f32>(items + o, item);
    return item;
  }
}

/**
 * Huber loss with threshold delta, scaled by k: item k·(|d| ≤ δ ? ½d² : δ(|d| − ½δ)), gradient
 * k·clamp(d, −δ, δ). smooth_l1 with beta β is this with δ = β and k = 1/β.
 */
export function huber_f32(x: usize, y: usize, n: i32, grad: usize, items: usize, gscale: f32, delta: f32, k: f32): f64 {
  return sumItems<Huber>(x, y, n, grad, items, gscale * k, k, delta);
}

// log cosh(x − y), gradient tanh(x − y); a = gscale.
@final @unmanaged class LogCosh {
  // @ts-ignore: decorator
  @inline vectors(gscale: f32, _b: f32, _c: f32, _which: i32): v128 {
    return f32x4.splat(gscale);
  }

  // @ts-ignore: decorator
  @inline lanes4(x: v128, y: v128, o: usize, grad: usize, items: usize, gs: v128, _v1: v128, _v2: v128, _w: usize, _pw: usize): v128 {
    const d = f32x4.sub(x, y);
    const item = logCosh_f32x4(d);
    if (grad) v128.store(grad + o, f32x4.mul(tanh_f32x4(d), gs));
    if (items) v128.store(items + o, item);
    return item;
  }

  // @ts-ignore: decorator
  @inline lane1(x: f32, y: f32, o: usize, grad: usize, items: usize, gscale: f32, _b: f32, _c: f32, _w: usize, _pw: usize): f32 {
    const d = x - y;
    const item = logCosh(d);
    if (grad) store<f32>(grad + o, tanhf(d) * gscale);
    if (items) store<f32>(items + o, item);
    return item;
  }
}

/** log cosh(x − y), gradient tanh(x − y). */
export function log_cosh_f32(x: usize, y: usize, n: i32, grad: usize, items: usize, gscale: f32): f64 {
  return sumItems<LogCosh>(x, y, n, grad, items, gscale, 0, 0);
}

// Barron's general robust loss (CVPR 2019), with z = ((x − y)/c)² and b = |α − 2|:
//   ρ = b/α · ((z/b + 1)^(α/2) − 1) = b/α · expm1(α/2 · log1p(z/b))
//   ∂ρ/∂x = (x − y)/c² · (z/b + 1)^(α/2 − 1)
// and its limits: α = 2 → ½z; α = 0 → log1p(½z); α = −∞ → 1 − exp(−½z).
// The expm1/log1p form stays accurate for α near 0, where the plain power form cancels.
// @ts-ignore: decorator
@inline export const BARRON_GENERAL: i32 = 0;
// @ts-ignore: decorator
@inline export const BARRON_CAUCHY: i32 = 1; // α = 0
// @ts-ignore: decorator
@inline export const BARRON_L2: i32 = 2; // α = 2
// @ts-ignore: decorator
@inline export const BARRON_WELSCH: i32 = 3; // α = −∞

/** Barron's robust loss ρ(x − y, α, c); `mode` selects the general form or one of its limits. */
export function barron_f32(
  x: usize, y: usize, n: i32, grad: usize, items: usize, gscale: f32, alpha: f32, scale: f32, mode: i32,
): f64 {
  const invC2: f32 = 1 / (scale * scale);
  const b: f32 = Mathf.abs(alpha - 2);
  const invB: f32 = 1 / b;
  const halfAlpha: f32 = 0.5 * alpha;
  const bOverAlpha: f32 = b / alpha;
  let total: f64 = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const gs = f32x4.splat(gscale);
    const vInvC2 = f32x4.splat(invC2);
    const vInvB = f32x4.splat(invB);
    const vHalfAlpha = f32x4.splat(halfAlpha);
    const vHalfAlphaM1 = f32x4.splat(halfAlpha - 1);
    const vBOverAlpha = f32x4.splat(bOverAlpha);
    const half = lanes(HALF);
    const one = lanes(ONE);
    const nv = n & ~3;
    while (i < nv) {
      const end = min(i + BLOCK, nv);
      let acc = f32x4.splat(0);
      for (; i < end; i += 4) {
        const o = <usize>i << 2;
        const d = f32x4.sub(v128.load(x + o), v128.load(y + o));
        const z = f32x4.mul(f32x4.mul(d, d), vInvC2);
        const dc2 = f32x4.mul(d, vInvC2);
        let item: v128, g: v128;
        if (mode == BARRON_GENERAL) {
          const l = log1p_f32x4(f32x4.mul(z, vInvB));
          item = f32x4.mul(vBOverAlpha, expm1_f32x4(f32x4.mul(vHalfAlpha, l)));
          g = f32x4.mul(dc2, exp_f32x4(f32x4.mul(vHalfAlphaM1, l)));
        } else if (mode == BARRON_CAUCHY) {
          const hz = f32x4.mul(half, z);
          item = log1p_f32x4(hz);
          g = f32x4.div(dc2, f32x4.add(one, hz));
        } else if (mode == BARRON_L2) {
          item = f32x4.mul(half, z);
          g = dc2;
        } else {
          const em1 = expm1_f32x4(f32x4.mul(z, lanes(MINUS_HALF)));
          item = f32x4.neg(em1); // 1 − e^(−z/2) without cancellation for small z
          g = f32x4.mul(dc2, f32x4.add(em1, one));
        }
        acc = f32x4.add(acc, item);
        if (grad) v128.store(grad + o, f32x4.mul(g, gs));
        if (items) v128.store(items + o, item);
      }
      total += hsum_f32x4(acc);
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const d = load<f32>(x + o) - load<f32>(y + o);
    const z = d * d * invC2;
    const dc2 = d * invC2;
    let item: f32, g: f32;
    if (mode == BARRON_GENERAL) {
      const l = Mathf.log1p(z * invB);
      item = bOverAlpha * Mathf.expm1(halfAlpha * l);
      g = dc2 * Mathf.exp((halfAlpha - 1) * l);
    } else if (mode == BARRON_CAUCHY) {
      item = Mathf.log1p(0.5 * z);
      g = dc2 / (1 + 0.5 * z);
    } else if (mode == BARRON_L2) {
      item = 0.5 * z;
      g = dc2;
    } else {
      const em1 = Mathf.expm1(-0.5 * z);
      item = -em1;
      g = dc2 * (em1 + 1);
    }
    total += item;
    if (grad) store<f32>(grad + o, g * gscale);
    if (items) store<f32>(items + o, item);
  }
  return total;
}

// x − y·log(x + eps), gradient 1 − y/(x + eps); a = gscale.
@final @unmanaged class Poisson {
  // @ts-ignore: decorator
  @inline vectors(gscale: f32, _b: f32, _c: f32, which: i32): v128 {
    return which == 0 ? f32x4.splat(gscale) : which == 1 ? lanes(EPS_LANES) : lanes(ONE);
  }

  // @ts-ignore: decorator
  @inline lanes4(x: v128, y: v128, o: usize, grad: usize, items: usize, gs: v128, eps: v128, one: v128, _w: usize, _pw: usize): v128 {
    const xe = f32x4.add(x, eps);
    const item = f32x4.sub(x, f32x4.mul(y, log_f32x4(xe)));
    if (grad) v128.store(grad + o, f32x4.mul(f32x4.sub(one, f32x4.div(y, xe)), gs));
    if (items) v128.store(items + o, item);
    return item;
  }

  // @ts-ignore: decorator
  @inline lane1(x: f32, y: f32, o: usize, grad: usize, items: usize, gscale: f32, _b: f32, _c: f32, _w: usize, _pw: usize): f32 {
    const xe = x + EPS;
    const item = x - y * Mathf.log(xe);
    if (grad) store<f32>(grad + o, (1 - y / xe) * gscale);
    if (items) store<f32>(items + o, item);
    return item;
  }
}

/** Poisson loss x − y·log(x + eps) on rates x and counts y; gradient 1 − y/(x + eps). */
export function poisson_f32(x: usize, y: usize, n: i32, grad: usize, items: usize, gscale: f32): f64 {
  return sumItems<Poisson>(x, y, n, grad, items, gscale, 0, 0);
}
