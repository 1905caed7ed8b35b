// Binary losses on one prediction per element (probabilities, logits or margins), value and gradient
// in one pass. Same contract as regression.ts: the host validates, `grad`/`items` may be 0, gradients
// are scaled by `gscale`, and the return value is Σ item in f64.
// Per-element weights come as (pointer, step): step 1 walks an array of n values, step 0 reads the
// same four equal values every time (the host writes a splatted scalar there, 1 when absent).

import { BLOCK, expNonPositive_f32x4, hsum_f32x4, lanes, log1p_f32x4, log1pUnit_f32x4, log_f32x4, MINUS_ONE, ONE, TWO } from '../math';

const LOG_FLOOR = memory.data<f32>([-100]);
const BCE_TINY = memory.data<f32>([1e-12]);

/**
 * Binary cross-entropy on probabilities: −w(y·max(log p, −100) + (1 − y)·max(log(1 − p), −100)),
 * gradient w(p − y)/max(p(1 − p), 1e-12), as torch.nn.BCELoss.
 */
export function bce_f32(p: usize, y: usize, n: i32, w: usize, wStep: i32, grad: usize, items: usize, gscale: f32): f64 {
  let total: f64 = 0;
  let i = 0;
  const wStride = <usize>wStep << 2;
  if (ASC_FEATURE_SIMD) {
    const gs = f32x4.splat(gscale);
    const one = lanes(ONE);
    const floor = lanes(LOG_FLOOR);
    const tiny = lanes(BCE_TINY);
    const nv = n & ~3;
    while (i < nv) {
      const end = min(i + BLOCK, nv);
      let acc = f32x4.splat(0);
      for (; i < end; i += 4) {
        const o = <usize>i << 2;
        const pv = v128.load(p + o);
        const yv = v128.load(y + o);
        const wv = v128.load(w + <usize>i * wStride);
        const logP = f32x4.pmax(log_f32x4(pv), floor);
        const log1mP = f32x4.pmax(log1p_f32x4(f32x4.neg(pv)), floor);
        const item = f32x4.mul(wv, f32x4.sub(f32x4.mul(f32x4.sub(yv, one), log1mP), f32x4.mul(yv, logP)));
        acc = f32x4.add(acc, item);
        if (grad) {
          const denom = f32x4.pmax(f32x4.mul(pv, f32x4.sub(one, pv)), tiny);
          v128.store(grad + o, f32x4.mul(f32x4.div(f32x4.mul(wv, f32x4.sub(pv, yv)), denom), gs));
        }
        if (items) v128.store(items + o, item);
      }
      total += hsum_f32x4(acc);
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const pv = load<f32>(p + o);
    const yv = load<f32>(y + o);
    const wv = load<f32>(w + <usize>i * wStride);
    const logP = Mathf.max(Mathf.log(pv), -100);
    const log1mP = Mathf.max(Mathf.log1p(-pv), -100);
    const item = wv * ((yv - 1) * log1mP - yv * logP);
    total += item;
    if (grad) store<f32>(grad + o, ((wv * (pv - yv)) / Mathf.max(pv * (1 - pv), 1e-12)) * gscale);
    if (items) store<f32>(items + o, item);
  }
  return total;
}

/**
 * Binary cross-entropy on logits, as torch.nn.BCEWithLogitsLoss:
 * w·((1 − y)x + L·softplus(−x)) with L = 1 + (posWeight − 1)y; gradient w·((1 − y) − L·σ(−x)).
 * softplus(−x) = max(−x, 0) + log1p(e^−|x|) stays finite for |x| ≫ 1.
 */
export function bce_with_logits_f32(
  x: usize, y: usize, n: i32, w: usize, wStep: i32, pw: usize, pwStep: i32, grad: usize, items: usize, gscale: f32,
): f64 {
  let total: f64 = 0;
  let i = 0;
  const wStride = <usize>wStep << 2;
  const pwStride = <usize>pwStep << 2;
  if (ASC_FEATURE_SIMD) {
    const gs = f32x4.splat(gscale);
    const one = lanes(ONE);
    const zero = f32x4.splat(0);
    const nv = n & ~3;
    while (i < nv) {
      const end = min(i + BLOCK, nv);
      let acc = f32x4.splat(0);
      for (; i < end; i += 4) {
        const o = <usize>i << 2;
        const xv = v128.load(x + o);
        const yv = v128.load(y + o);
        const wv = v128.load(w + <usize>i * wStride);
        const pwv = v128.load(pw + <usize>i * pwStride);
        const l = f32x4.add(one, f32x4.mul(f32x4.sub(pwv, one), yv));
        const e = expNonPositive_f32x4(f32x4.neg(f32x4.abs(xv)));
        // One division for both reciprocals: 1/(1+e) = (2+e)·r and 1/(2+e) = (1+e)·r, r = 1/((1+e)(2+e)).
        const onePlusE = f32x4.add(one, e);
        const twoPlusE = f32x4.add(lanes(TWO), e);
        const r = f32x4.div(one, f32x4.mul(onePlusE, twoPlusE));
        const softplusNegX = f32x4.add(f32x4.pmax(f32x4.neg(xv), zero), log1pUnit_f32x4(e, f32x4.mul(onePlusE, r)));
        const oneMinusY = f32x4.sub(one, yv);
        const item = f32x4.mul(wv, f32x4.add(f32x4.mul(oneMinusY, xv), f32x4.mul(l, softplusNegX)));
        acc = f32x4.add(acc, item);
        if (grad) {
          // σ(−x) = e/(1+e) for x ≥ 0, 1/(1+e) for x < 0
          const numer = v128.bitselect(e, one, f32x4.ge(xv, zero));
          const sigNegX = f32x4.mul(numer, f32x4.mul(twoPlusE, r));
          const g = f32x4.mul(wv, f32x4.sub(oneMinusY, f32x4.mul(l, sigNegX)));
          v128.store(grad + o, f32x4.mul(g, gs));
        }
        if (items) v128.store(items + o, item);
      }
      total += hsum_f32x4(acc);
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const xv = load<f32>(x + o);
    const yv = load<f32>(y + o);
    const wv = load<f32>(w + <usize>i * wStride);
    const pwv = load<f32>(pw + <usize>i * pwStride);
    const l: f32 = 1 + (pwv - 1) * yv;
    const e = Mathf.exp(-Mathf.abs(xv));
    const item = wv * ((1 - yv) * xv + l * (Mathf.max(-xv, 0) + Mathf.log1p(e)));
    total += item;
    if (grad) {
      const sigNegX = (xv >= 0 ? e : 1) / (1 + e);
      store<f32>(grad + o, wv * (1 - yv - l * sigNegX) * gscale);
    }
    if (items) store<f32>(items + o, item);
  }
  return total;
}

/**
 * Hinge loss max(0, 1 − t·x) (power 1) or its square (power 2), t = y with 0 read as −1;
 * gradient −t (power 1) or −2t·max(0, 1 − t·x) (power 2) where the margin is violated.
 */
export function hinge_f32(x: usize, y: usize, n: i32, grad: usize, items: usize, gscale: f32, power: i32): f64 {
  let total: f64 = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const gs = f32x4.splat(power == 2 ? -2 * gscale : -gscale);
    const one = lanes(ONE);
    const minusOne = lanes(MINUS_ONE);
    const zero = f32x4.splat(0);
    const nv = n & ~3;
    while (i < nv) {
      const end = min(i + BLOCK, nv);
      let acc = f32x4.splat(0);
      for (; i < end; i += 4) {
        const o = <usize>i << 2;
        const xv = v128.load(x + o);
        const yv = v128.load(y + o);
        const t = v128.bitselect(minusOne, yv, f32x4.eq(yv, zero));
        const m = f32x4.pmax(f32x4.sub(one, f32x4.mul(t, xv)), zero);
        const item = power == 2 ? f32x4.mul(m, m) : m;
        acc = f32x4.add(acc, item);
        if (grad) {
          const g = power == 2 ? f32x4.mul(t, m) : v128.and(t, f32x4.gt(m, zero));
          v128.store(grad + o, f32x4.mul(g, gs));
        }
        if (items) v128.store(items + o, item);
      }
      total += hsum_f32x4(acc);
    }
  }
  const gsScalar: f32 = power == 2 ? -2 * gscale : -gscale;
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const xv = load<f32>(x + o);
    const yv = load<f32>(y + o);
    const t: f32 = yv == 0 ? -1 : yv;
    const m = Mathf.max(1 - t * xv, 0);
    const item = power == 2 ? m * m : m;
    total += item;
    if (grad) store<f32>(grad + o, (power == 2 ? t * m : m > 0 ? t : 0) * gsScalar);
    if (items) store<f32>(items + o, item);
  }
  return total;
}
