// The plain-JS loss baselines: fused loops written as a competent JS developer would, one pass
// computing the value (summed in float64, so it is also the reference value every implementation is
// checked against) and the gradient.

import type { LossCase } from './cases.js';

function mse(x: Float32Array, y: Float32Array, grad: Float32Array): number {
  const n = x.length;
  const scale = 2 / n;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i]! - y[i]!;
    sum += d * d;
    grad[i] = d * scale;
  }
  return sum / n;
}

function mae(x: Float32Array, y: Float32Array, grad: Float32Array): number {
  const n = x.length;
  const scale = 1 / n;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i]! - y[i]!;
    sum += Math.abs(d);
    grad[i] = Math.sign(d) * scale; // branch-free: a sign test mispredicts half the time on noisy data
  }
  return sum / n;
}

function huber(x: Float32Array, y: Float32Array, grad: Float32Array, delta = 1): number {
  const n = x.length;
  const scale = 1 / n;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i]! - y[i]!;
    const a = Math.abs(d);
    // branch-free: m(|d| − m/2) with m = min(|d|, δ) is ½d² inside δ and δ(|d| − δ/2) outside
    const m = Math.min(a, delta);
    sum += m * (a - 0.5 * m);
    grad[i] = Math.max(-delta, Math.min(delta, d)) * scale;
  }
  return sum / n;
}

/** Softmax cross-entropy over logits [rows, cols] with class-index labels, log-sum-exp stable. */
function softmaxCrossEntropy(x: Float32Array, labels: Int32Array, grad: Float32Array, rows: number, cols: number): number {
  let total = 0;
  const scale = 1 / rows;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let max = -Infinity;
    for (let j = 0; j < cols; j++) if (x[o + j]! > max) max = x[o + j]!;
    let sum = 0;
    for (let j = 0; j < cols; j++) {
      const e = Math.exp(x[o + j]! - max);
      grad[o + j] = e;
      sum += e;
    }
    const t = labels[r]!;
    total += max + Math.log(sum) - x[o + t]!;
    const inv = scale / sum;
    for (let j = 0; j < cols; j++) grad[o + j]! *= inv;
    grad[o + t]! -= scale;
  }
  return total / rows;
}

/** Binary cross-entropy on logits, stable for large |x|. */
function bceWithLogits(x: Float32Array, y: Float32Array, grad: Float32Array): number {
  const n = x.length;
  const scale = 1 / n;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    const t = y[i]!;
    const e = Math.exp(-Math.abs(v));
    sum += Math.max(v, 0) - v * t + Math.log1p(e);
    const sigmoid = v >= 0 ? 1 / (1 + e) : e / (1 + e);
    grad[i] = (sigmoid - t) * scale;
  }
  return sum / n;
}

/** The plain-JS loss + gradient of a case (mean reduction, Huber δ = 1); returns the loss value. */
export function plainLoss(c: LossCase, x: Float32Array, y: Float32Array | Int32Array, grad: Float32Array): number {
  switch (c.loss) {
    case 'mse': return mse(x, y as Float32Array, grad);
    case 'mae': return mae(x, y as Float32Array, grad);
    case 'huber': return huber(x, y as Float32Array, grad);
    case 'softmax_cross_entropy': return softmaxCrossEntropy(x, y as Int32Array, grad, c.rows, c.cols);
    case 'bce_with_logits': return bceWithLogits(x, y as Float32Array, grad);
  }
}
