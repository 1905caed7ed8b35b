// Classification and probabilistic losses, value and gradient in one pass.
//
// Same contract as regression.ts: the host validates, `grad`/`items` may be 0, gradients are scaled by
// `gscale`, and the return value is Σ item in f64. Row losses (cross_entropy, kl_div,
// softmax_cross_entropy, nll) write one item per row; the others one per element.
// Per-element weights come as (pointer, step): step 1 walks an array of n values, step 0 reads the
// same four equal values every time (the host writes a splatted scalar there, 1 when absent).

import {
  expNonPositive_f32x4, expNonPositiveFlush_f32x4, hsum_f32x4, rowMax_f32, lanes, log1p_f32x4, log1pUnit_f32x4, log_f32x4, MINUS_ONE, ONE, TWO,
} from '../math';
import { BLOCK } from './regression';

// @ts-ignore: decorator
@inline const EPS: f32 = 1e-7;
const EPS_LANES = memory.data<f32>([EPS]);
const LOG_FLOOR = memory.data<f32>([-100]);
const BCE_TINY = memory.data<f32>([1e-12]);

/** A loss over n elements of two arrays, writing gscale-scaled gradients when grad ≠ 0; returns Σ item. */
type Span = (x: usize, y: usize, n: i32, grad: usize, gscale: f32) => f64;

// A row loss whose items are sums over each row's elements: one pass over all elements when no
// per-row items are wanted, else one span per row.
function spanByRows(span: Span, x: usize, y: usize, rows: i32, cols: i32, grad: usize, items: usize, gscale: f32): f64 {
  if (!items) return span(x, y, rows * cols, grad, gscale);
  let total: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const off = (<usize>r * <usize>cols) << 2;
    const rowLoss = span(x + off, y + off, cols, grad ? grad + off : 0, gscale);
    store<f32>(items + (<usize>r << 2), <f32>rowLoss);
    total += rowLoss;
  }
  return total;
}

// −Σ y·log max(p, eps) over n elements (a term with y = 0 adds 0); gradient −y/p, 0 where p < eps.
function crossEntropySpan(p: usize, y: usize, n: i32, grad: usize, gscale: f32): f64 {
  let total: f64 = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const ngs = f32x4.splat(-gscale);
    const eps = lanes(EPS_LANES);
    const zero = f32x4.splat(0);
    const nv = n & ~3;
    while (i < nv) {
      const end = min(i + BLOCK, nv);
      let acc = f32x4.splat(0);
      for (; i < end; i += 4) {
        const o = <usize>i << 2;
        const pv = v128.load(p + o);
        const yv = v128.load(y + o);
        const term = f32x4.mul(yv, log_f32x4(f32x4.pmax(pv, eps)));
        acc = f32x4.sub(acc, v128.and(term, f32x4.ne(yv, zero)));
        if (grad) {
          const g = f32x4.mul(f32x4.div(yv, pv), ngs);
          v128.store(grad + o, v128.andnot(g, f32x4.lt(pv, eps)));
        }
      }
      total += hsum_f32x4(acc);
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const pv = load<f32>(p + o);
    const yv = load<f32>(y + o);
    if (yv != 0) total -= yv * Mathf.log(Mathf.max(pv, EPS));
    if (grad) store<f32>(grad + o, pv < EPS ? 0 : (yv / pv) * -gscale);
  }
  return total;
}

/** Categorical cross-entropy on probabilities p [rows, cols] against y [rows, cols]; items per row. */
export function cross_entropy_f32(p: usize, y: usize, rows: i32, cols: i32, grad: usize, items: usize, gscale: f32): f64 {
  return spanByRows(crossEntropySpan, p, y, rows, cols, grad, items, gscale);
}

// Σ p·log(p / max(q, eps)) over n elements (p = 0 adds 0); gradient w.r.t. q: −p/q, 0 where q < eps.
function klDivSpan(q: usize, p: usize, n: i32, grad: usize, gscale: f32): f64 {
  let total: f64 = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const ngs = f32x4.splat(-gscale);
    const eps = lanes(EPS_LANES);
    const zero = f32x4.splat(0);
    const nv = n & ~3;
    while (i < nv) {
      const end = min(i + BLOCK, nv);
      let acc = f32x4.splat(0);
      for (; i < end; i += 4) {
        const o = <usize>i << 2;
        const qv = v128.load(q + o);
        const pv = v128.load(p + o);
        const term = f32x4.mul(pv, f32x4.sub(log_f32x4(pv), log_f32x4(f32x4.pmax(qv, eps))));
        acc = f32x4.add(acc, v128.and(term, f32x4.ne(pv, zero)));
        if (grad) {
          const g = f32x4.mul(f32x4.div(pv, qv), ngs);
          v128.store(grad + o, v128.andnot(g, f32x4.lt(qv, eps)));
        }
      }
      total += hsum_f32x4(acc);
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const qv = load<f32>(q + o);
    const pv = load<f32>(p + o);
    if (pv != 0) total += pv * (Mathf.log(pv) - Mathf.log(Mathf.max(qv, EPS)));
    if (grad) store<f32>(grad + o, qv < EPS ? 0 : (pv / qv) * -gscale);
  }
  return total;
}

/** Kullback–Leibler divergence KL(p ‖ q), q = input probabilities [rows, cols]; items per row. */
export function kl_div_f32(q: usize, p: usize, rows: i32, cols: i32, grad: usize, items: usize, gscale: f32): f64 {
  return spanByRows(klDivSpan, q, p, rows, cols, grad, items, gscale);
}

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
  if (ASC_FEATURE_SIMD && wStep == 0 && pwStep == 0 && load<f32>(pw) == 1) {
    // The common case, no per-element weight and no pos_weight: a leaner body, two vectors per
    // iteration (independent dependency chains, polynomial constants loaded once per 8 elements).
    const w0 = load<f32>(w);
    const w0v = f32x4.splat(w0);
    const gs = f32x4.splat(gscale * w0);
    const one = lanes(ONE);
    const two = lanes(TWO);
    const zero = f32x4.splat(0);
    const signBit = i32x4.splat(0x80000000);
    const nv = n & ~15;
    while (i < nv) {
      const end = min(i + BLOCK, nv);
      let acc = f32x4.splat(0);
      for (; i < end; i += 16) {
        const o = <usize>i << 2;
        const x0 = v128.load(x + o);
        const x1 = v128.load(x + o, 16);
        const x2 = v128.load(x + o, 32);
        const x3 = v128.load(x + o, 48);
        const y0 = v128.load(y + o);
        const y1 = v128.load(y + o, 16);
        const y2 = v128.load(y + o, 32);
        const y3 = v128.load(y + o, 48);
        // −|x|: the sign bit set, one operation
        const e0 = expNonPositive_f32x4(v128.or(x0, signBit));
        const e1 = expNonPositive_f32x4(v128.or(x1, signBit));
        const e2 = expNonPositive_f32x4(v128.or(x2, signBit));
        const e3 = expNonPositive_f32x4(v128.or(x3, signBit));
        const onePlusE0 = f32x4.add(one, e0);
        const onePlusE1 = f32x4.add(one, e1);
        const onePlusE2 = f32x4.add(one, e2);
        const onePlusE3 = f32x4.add(one, e3);
        const twoPlusE0 = f32x4.add(two, e0);
        const twoPlusE1 = f32x4.add(two, e1);
        const twoPlusE2 = f32x4.add(two, e2);
        const twoPlusE3 = f32x4.add(two, e3);
        const r0 = f32x4.div(one, f32x4.mul(onePlusE0, twoPlusE0));
        const r1 = f32x4.div(one, f32x4.mul(onePlusE1, twoPlusE1));
        const r2 = f32x4.div(one, f32x4.mul(onePlusE2, twoPlusE2));
        const r3 = f32x4.div(one, f32x4.mul(onePlusE3, twoPlusE3));
        const oneMinusY0 = f32x4.sub(one, y0);
        const oneMinusY1 = f32x4.sub(one, y1);
        const oneMinusY2 = f32x4.sub(one, y2);
        const oneMinusY3 = f32x4.sub(one, y3);
        // (1 − y)·x + softplus(−x) = (1 − y)·x − min(x, 0) + log1p(e^−|x|)
        const item0 = f32x4.add(f32x4.sub(f32x4.mul(oneMinusY0, x0), f32x4.pmin(x0, zero)),
          log1pUnit_f32x4(e0, f32x4.mul(onePlusE0, r0)));
        const item1 = f32x4.add(f32x4.sub(f32x4.mul(oneMinusY1, x1), f32x4.pmin(x1, zero)),
          log1pUnit_f32x4(e1, f32x4.mul(onePlusE1, r1)));
        const item2 = f32x4.add(f32x4.sub(f32x4.mul(oneMinusY2, x2), f32x4.pmin(x2, zero)),
          log1pUnit_f32x4(e2, f32x4.mul(onePlusE2, r2)));
        const item3 = f32x4.add(f32x4.sub(f32x4.mul(oneMinusY3, x3), f32x4.pmin(x3, zero)),
          log1pUnit_f32x4(e3, f32x4.mul(onePlusE3, r3)));
        acc = f32x4.add(acc, f32x4.add(f32x4.add(item0, item1), f32x4.add(item2, item3)));
        if (grad) {
          const sig0 = f32x4.mul(v128.bitselect(e0, one, f32x4.ge(x0, zero)), f32x4.mul(twoPlusE0, r0));
          v128.store(grad + o, f32x4.mul(f32x4.sub(oneMinusY0, sig0), gs));
          const sig1 = f32x4.mul(v128.bitselect(e1, one, f32x4.ge(x1, zero)), f32x4.mul(twoPlusE1, r1));
          v128.store(grad + o, f32x4.mul(f32x4.sub(oneMinusY1, sig1), gs), 16);
          const sig2 = f32x4.mul(v128.bitselect(e2, one, f32x4.ge(x2, zero)), f32x4.mul(twoPlusE2, r2));
          v128.store(grad + o, f32x4.mul(f32x4.sub(oneMinusY2, sig2), gs), 32);
          const sig3 = f32x4.mul(v128.bitselect(e3, one, f32x4.ge(x3, zero)), f32x4.mul(twoPlusE3, r3));
          v128.store(grad + o, f32x4.mul(f32x4.sub(oneMinusY3, sig3), gs), 48);
        }
        if (items) {
          v128.store(items + o, f32x4.mul(item0, w0v));
          v128.store(items + o, f32x4.mul(item1, w0v), 16);
          v128.store(items + o, f32x4.mul(item2, w0v), 32);
          v128.store(items + o, f32x4.mul(item3, w0v), 48);
        }
      }
      total += hsum_f32x4(acc) * w0;
    }
  }
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

/** Poisson loss x − y·log(x + eps) on rates x and counts y; gradient 1 − y/(x + eps). */
export function poisson_f32(x: usize, y: usize, n: i32, grad: usize, items: usize, gscale: f32): f64 {
  let total: f64 = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const gs = f32x4.splat(gscale);
    const eps = lanes(EPS_LANES);
    const one = lanes(ONE);
    const nv = n & ~3;
    while (i < nv) {
      const end = min(i + BLOCK, nv);
      let acc = f32x4.splat(0);
      for (; i < end; i += 4) {
        const o = <usize>i << 2;
        const xv = v128.load(x + o);
        const yv = v128.load(y + o);
        const xe = f32x4.add(xv, eps);
        const item = f32x4.sub(xv, f32x4.mul(yv, log_f32x4(xe)));
        acc = f32x4.add(acc, item);
        if (grad) v128.store(grad + o, f32x4.mul(f32x4.sub(one, f32x4.div(yv, xe)), gs));
        if (items) v128.store(items + o, item);
      }
      total += hsum_f32x4(acc);
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const xv = load<f32>(x + o);
    const yv = load<f32>(y + o);
    const xe = xv + EPS;
    const item = xv - yv * Mathf.log(xe);
    total += item;
    if (grad) store<f32>(grad + o, (1 - yv / xe) * gscale);
    if (items) store<f32>(items + o, item);
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// Softmax cross-entropy from logits (torch.nn.CrossEntropyLoss), fused with its softmax.


// Σ e^(x_j − mx) over the row; writes e^(x_j − mx) into `exps` when it is not 0.
// @ts-ignore: decorator
@inline
function rowSumExp(x: usize, cols: i32, mx: f32, exps: usize): f64 {
  let j = 0;
  let s: f64 = 0;
  if (ASC_FEATURE_SIMD) {
    const mv = f32x4.splat(mx);
    let acc = f32x4.splat(0);
    for (; j + 4 <= cols; j += 4) {
      const o = <usize>j << 2;
      const e = expNonPositiveFlush_f32x4(f32x4.sub(v128.load(x + o), mv));
      acc = f32x4.add(acc, e);
      if (exps) v128.store(exps + o, e);
    }
    s = hsum_f32x4(acc);
  }
  for (; j < cols; j++) {
    const o = <usize>j << 2;
    const e = Mathf.exp(load<f32>(x + o) - mx);
    s += e;
    if (exps) store<f32>(exps + o, e);
  }
  return s;
}

// Σ_j w_j·c_j·x_j and Σ_j w_j·c_j with c_j = (1 − ε)q_j + ε/C (q = 0 for index targets).
// Returned through two globals to keep the row loop free of allocations.
let weightedSum: f64 = 0;
let weightedDot: f64 = 0;

// @ts-ignore: decorator
@inline
function rowWeightedSums(x: usize, q: usize, cols: i32, w: usize, wStride: usize, keep: f32, spread: f32): void {
  let j = 0;
  let sw: f64 = 0;
  let swx: f64 = 0;
  if (ASC_FEATURE_SIMD) {
    const keepV = f32x4.splat(keep);
    const spreadV = f32x4.splat(spread);
    let accW = f32x4.splat(0);
    let accWX = f32x4.splat(0);
    for (; j + 4 <= cols; j += 4) {
      const o = <usize>j << 2;
      let c = spreadV;
      if (q) c = f32x4.add(f32x4.mul(v128.load(q + o), keepV), spreadV);
      const wc = f32x4.mul(v128.load(w + <usize>j * wStride), c);
      accW = f32x4.add(accW, wc);
      accWX = f32x4.add(accWX, f32x4.mul(wc, v128.load(x + o)));
    }
    sw = hsum_f32x4(accW);
    swx = hsum_f32x4(accWX);
  }
  for (; j < cols; j++) {
    const o = <usize>j << 2;
    const c: f32 = q ? load<f32>(q + o) * keep + spread : spread;
    const wc = load<f32>(w + <usize>j * wStride) * c;
    sw += wc;
    swx += wc * load<f32>(x + o);
  }
  weightedSum = sw;
  weightedDot = swx;
}

// grad_j = coefP·e_j − coefW·w_j·c_j over the row, in place over the exps already stored in grad.
// @ts-ignore: decorator
@inline
function rowSoftmaxGrad(grad: usize, q: usize, cols: i32, w: usize, wStride: usize, keep: f32, spread: f32, coefP: f32, coefW: f32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const cp = f32x4.splat(coefP);
    const cw = f32x4.splat(coefW);
    const keepV = f32x4.splat(keep);
    const spreadV = f32x4.splat(spread);
    for (; j + 4 <= cols; j += 4) {
      const o = <usize>j << 2;
      let c = spreadV;
      if (q) c = f32x4.add(f32x4.mul(v128.load(q + o), keepV), spreadV);
      const wc = f32x4.mul(v128.load(w + <usize>j * wStride), c);
      v128.store(grad + o, f32x4.sub(f32x4.mul(v128.load(grad + o), cp), f32x4.mul(wc, cw)));
    }
  }
  for (; j < cols; j++) {
    const o = <usize>j << 2;
    const c: f32 = q ? load<f32>(q + o) * keep + spread : spread;
    const wc = load<f32>(w + <usize>j * wStride) * c;
    store<f32>(grad + o, load<f32>(grad + o) * coefP - wc * coefW);
  }
}

// v *= c over the row, in place.
// @ts-ignore: decorator
@inline
function rowScale(v: usize, cols: i32, c: f32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const cv = f32x4.splat(c);
    for (; j + 4 <= cols; j += 4) {
      const o = <usize>j << 2;
      v128.store(v + o, f32x4.mul(v128.load(v + o), cv));
    }
  }
  for (; j < cols; j++) {
    const o = <usize>j << 2;
    store<f32>(v + o, load<f32>(v + o) * c);
  }
}

/**
 * Softmax cross-entropy on logits x [rows, cols] with class-index targets t [rows] (i32), class
 * weights (w, wStep), ignoreIndex and label smoothing ε, as torch.nn.CrossEntropyLoss:
 * row loss (1 − ε)·w_t·(lse − x_t) + ε/C·Σ_j w_j·(lse − x_j); ignored rows give 0.
 * `weightTotal` is Σ_j w_j (C when unweighted).
 */
export function softmax_cross_entropy_index_f32(
  x: usize, t: usize, rows: i32, cols: i32, w: usize, wStep: i32, weightTotal: f32, ignoreIndex: i32,
  smoothing: f32, grad: usize, items: usize, gscale: f32,
): f64 {
  const wStride = <usize>wStep << 2;
  const rowBytes = <usize>cols << 2;
  const keep: f32 = 1 - smoothing;
  const spread: f32 = smoothing / <f32>cols;
  let total: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rowBytes;
    const gr = grad ? grad + <usize>r * rowBytes : 0;
    const target = load<i32>(t + (<usize>r << 2));
    if (target == ignoreIndex) {
      if (gr) memory.fill(gr, 0, rowBytes);
      if (items) store<f32>(items + (<usize>r << 2), 0);
      continue;
    }
    const mx = rowMax_f32(xr, cols);
    const sumExp = rowSumExp(xr, cols, mx, gr);
    const lse = <f64>mx + Math.log(sumExp);
    const wt = load<f32>(w + <usize>target * wStride);
    let rowLoss = <f64>(keep * wt) * (lse - <f64>load<f32>(xr + (<usize>target << 2)));
    if (smoothing > 0) {
      rowWeightedSums(xr, 0, cols, w, wStride, 0, spread);
      rowLoss += weightedSum * lse - weightedDot;
    }
    total += rowLoss;
    if (items) store<f32>(items + (<usize>r << 2), <f32>rowLoss);
    if (gr) {
      // ∂/∂x_j = a·(p_j − δ_jt) + b·(W·p_j − w_j), a = (1 − ε)·w_t, b = ε/C, p_j = e_j / Σe
      const a = keep * wt;
      const coefP = <f32>((<f64>a + <f64>spread * <f64>weightTotal) / sumExp) * gscale;
      if (smoothing > 0) rowSoftmaxGrad(gr, 0, cols, w, wStride, 0, 1, coefP, spread * gscale);
      else rowScale(gr, cols, coefP);
      const gt = gr + (<usize>target << 2);
      store<f32>(gt, load<f32>(gt) - a * gscale);
    }
  }
  return total;
}

/**
 * Softmax cross-entropy on logits x [rows, cols] with probability targets q [rows, cols], class
 * weights (w, wStep) and label smoothing ε (q ← (1 − ε)q + ε/C), as torch.nn.CrossEntropyLoss:
 * row loss −Σ_j w_j·q_j·log softmax(x)_j.
 */
export function softmax_cross_entropy_prob_f32(
  x: usize, q: usize, rows: i32, cols: i32, w: usize, wStep: i32, smoothing: f32, grad: usize, items: usize, gscale: f32,
): f64 {
  const wStride = <usize>wStep << 2;
  const rowBytes = <usize>cols << 2;
  const keep: f32 = 1 - smoothing;
  const spread: f32 = smoothing / <f32>cols;
  let total: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const off = <usize>r * rowBytes;
    const xr = x + off;
    const qr = q + off;
    const gr = grad ? grad + off : 0;
    const mx = rowMax_f32(xr, cols);
    const sumExp = rowSumExp(xr, cols, mx, gr);
    const lse = <f64>mx + Math.log(sumExp);
    rowWeightedSums(xr, qr, cols, w, wStride, keep, spread);
    const rowLoss = weightedSum * lse - weightedDot;
    total += rowLoss;
    if (items) store<f32>(items + (<usize>r << 2), <f32>rowLoss);
    // ∂/∂x_j = (Σ_k w_k c_k)·p_j − w_j c_j
    if (gr) rowSoftmaxGrad(gr, qr, cols, w, wStride, keep, spread, <f32>(weightedSum / sumExp) * gscale, gscale);
  }
  return total;
}

/** Negative log-likelihood on log-probabilities x [rows, cols], index targets t, weights, ignoreIndex. */
export function nll_f32(
  x: usize, t: usize, rows: i32, cols: i32, w: usize, wStep: i32, ignoreIndex: i32, grad: usize, items: usize, gscale: f32,
): f64 {
  const wStride = <usize>wStep << 2;
  const rowBytes = <usize>cols << 2;
  if (grad) memory.fill(grad, 0, <usize>rows * rowBytes);
  let total: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const target = load<i32>(t + (<usize>r << 2));
    let rowLoss: f32 = 0;
    if (target != ignoreIndex) {
      const wt = load<f32>(w + <usize>target * wStride);
      const at = <usize>r * rowBytes + (<usize>target << 2);
      rowLoss = -wt * load<f32>(x + at);
      if (grad) store<f32>(grad + at, -wt * gscale);
    }
    total += rowLoss;
    if (items) store<f32>(items + (<usize>r << 2), rowLoss);
  }
  return total;
}

/**
 * Σ w[t_r] over the rows whose index target t_r is not ignoreIndex (weights read with stride wStep:
 * 0 reads w[0] for every class) — the divisor of 'mean' for index targets, in f64 as the host sums.
 */
export function index_weight_sum_i32(t: usize, rows: i32, w: usize, wStep: i32, ignoreIndex: i32): f64 {
  const wStride = <usize>wStep << 2;
  let sum: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const target = load<i32>(t + (<usize>r << 2));
    if (target != ignoreIndex) sum += <f64>load<f32>(w + <usize>target * wStride);
  }
  return sum;
}
