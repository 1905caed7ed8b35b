// Categorical losses over rows of class scores, value and gradient in one pass: cross-entropy and KL
// divergence on probabilities, softmax cross-entropy on logits (fused with its softmax) and NLL on
// log-probabilities. Same contract as regression.ts: the host validates, `grad`/`items` may be 0,
// gradients are scaled by `gscale`, the return value is Σ item in f64, and items are one per row.
// Class weights come as (pointer, step): step 1 walks one weight per class, step 0 reads w[0] for all.

import { EPS, EPS_LANES, hsum_f32x4, lanes, log_f32x4, rowMax_f32, rowSumExp } from '../math';
import { sumItems } from './reduce';
import { scale_f32 } from '../vec';

// A row loss whose items are sums over each row's elements (K as in reduce.ts, with a = −gscale): one
// pass over all elements when no per-row items are wanted, else one pass per row.
// @ts-ignore: decorator
@inline
function spanByRows<K>(x: usize, y: usize, rows: i32, cols: i32, grad: usize, items: usize, gscale: f32): f64 {
  if (!items) return sumItems<K>(x, y, rows * cols, grad, 0, -gscale, 0, 0);
  let total: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const off = (<usize>r * <usize>cols) << 2;
    const rowLoss = sumItems<K>(x + off, y + off, cols, grad ? grad + off : 0, 0, -gscale, 0, 0);
    store<f32>(items + (<usize>r << 2), <f32>rowLoss);
    total += rowLoss;
  }
  return total;
}

// −y·log max(p, eps) per element (a term with y = 0 adds 0); gradient −y/p, 0 where p < eps.
@final @unmanaged class CrossEntropy {
  // @ts-ignore: decorator
  @inline vectors(ngs: f32, _b: f32, _c: f32, which: i32): v128 {
    return which == 0 ? f32x4.splat(ngs) : which == 1 ? lanes(EPS_LANES) : f32x4.splat(0);
  }

  // @ts-ignore: decorator
  @inline lanes4(p: v128, y: v128, o: usize, grad: usize, _items: usize, ngs: v128, eps: v128, zero: v128, _w: usize, _pw: usize): v128 {
    const term = f32x4.mul(y, log_f32x4(f32x4.pmax(p, eps)));
    if (grad) v128.store(grad + o, v128.andnot(f32x4.mul(f32x4.div(y, p), ngs), f32x4.lt(p, eps)));
    return f32x4.neg(v128.and(term, f32x4.ne(y, zero)));
  }

  // @ts-ignore: decorator
  @inline lane1(p: f32, y: f32, o: usize, grad: usize, _items: usize, ngs: f32, _b: f32, _c: f32, _w: usize, _pw: usize): f32 {
    if (grad) store<f32>(grad + o, p < EPS ? 0 : (y / p) * ngs);
    return y != 0 ? -(y * Mathf.log(Mathf.max(p, EPS))) : 0;
  }
}

/** Categorical cross-entropy on probabilities p [rows, cols] against y [rows, cols]; items per row. */
export function cross_entropy_f32(p: usize, y: usize, rows: i32, cols: i32, grad: usize, items: usize, gscale: f32): f64 {
  return spanByRows<CrossEntropy>(p, y, rows, cols, grad, items, gscale);
}

// p·log(p / max(q, eps)) per element (p = 0 adds 0); gradient w.r.t. q: −p/q, 0 where q < eps.
@final @unmanaged class KlDiv {
  // @ts-ignore: decorator
  @inline vectors(ngs: f32, _b: f32, _c: f32, which: i32): v128 {
    return which == 0 ? f32x4.splat(ngs) : which == 1 ? lanes(EPS_LANES) : f32x4.splat(0);
  }

  // @ts-ignore: decorator
  @inline lanes4(q: v128, p: v128, o: usize, grad: usize, _items: usize, ngs: v128, eps: v128, zero: v128, _w: usize, _pw: usize): v128 {
    const term = f32x4.mul(p, f32x4.sub(log_f32x4(p), log_f32x4(f32x4.pmax(q, eps))));
    if (grad) v128.store(grad + o, v128.andnot(f32x4.mul(f32x4.div(p, q), ngs), f32x4.lt(q, eps)));
    return v128.and(term, f32x4.ne(p, zero));
  }

  // @ts-ignore: decorator
  @inline lane1(q: f32, p: f32, o: usize, grad: usize, _items: usize, ngs: f32, _b: f32, _c: f32, _w: usize, _pw: usize): f32 {
    if (grad) store<f32>(grad + o, q < EPS ? 0 : (p / q) * ngs);
    return p != 0 ? p * (Mathf.log(p) - Mathf.log(Mathf.max(q, EPS))) : 0;
  }
}

/** Kullback–Leibler divergence KL(p ‖ q), q = input probabilities [rows, cols]; items per row. */
export function kl_div_f32(q: usize, p: usize, rows: i32, cols: i32, grad: usize, items: usize, gscale: f32): f64 {
  return spanByRows<KlDiv>(q, p, rows, cols, grad, items, gscale);
}

// Softmax cross-entropy from logits (torch.nn.CrossEntropyLoss), fused with its softmax.

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
      else scale_f32(gr, cols, coefP);
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
