// Normalisation over the channel (last) axis of channels-last rows, forward and backward side by side.
//   layernorm (torch nn.LayerNorm(C)): each position is normalised over its own C channels.
//   batchnorm (torch nn.BatchNorm1d/2d): each channel is normalised over every row and position of
//   the batch (training), or with the running statistics (inference).
// Both see the data as `count` vectors of C channels ([count, C], row-major). Variances are the
// biased ones (÷ C, ÷ count) in the normalisation, as torch's; sums over a position's channels run
// in f32 lanes added up in f64, sums over a batch's rows in f32 per channel (lanes = channels, so
// every build adds in the same order).

import { hsum_f32x4 } from '../math';

// @ts-ignore: decorator
@inline
function at(base: usize, index: i32): usize {
  return base + (<usize>index << 2);
}

/** Σ x[j] over C floats, in f64. */
// @ts-ignore: decorator
@inline
function sumOf(x: usize, C: i32): f64 {
  let j = 0;
  let s: f64 = 0;
  if (ASC_FEATURE_SIMD) {
    let acc = f32x4.splat(0);
    for (; j + 4 <= C; j += 4) acc = f32x4.add(acc, v128.load(at(x, j)));
    s = hsum_f32x4(acc);
  }
  for (; j < C; j++) s += load<f32>(at(x, j));
  return s;
}

/** Σ (x[j] − m)² over C floats, in f64. */
// @ts-ignore: decorator
@inline
function squaredDeviations(x: usize, C: i32, m: f32): f64 {
  let j = 0;
  let s: f64 = 0;
  if (ASC_FEATURE_SIMD) {
    const mv = f32x4.splat(m);
    let acc = f32x4.splat(0);
    for (; j + 4 <= C; j += 4) {
      const d = f32x4.sub(v128.load(at(x, j)), mv);
      acc = f32x4.add(acc, f32x4.mul(d, d));
    }
    s = hsum_f32x4(acc);
  }
  for (; j < C; j++) {
    const d = load<f32>(at(x, j)) - m;
    s += d * d;
  }
  return s;
}

/**
 * LayerNorm forward over `positions` vectors of C: y = (x − mean)·rstd·weight + bias with the
 * position's mean and rstd = 1/sqrt(var + eps), which are saved in `mean` and `rstd` [positions].
 */
export function layernorm_forward_f32(
  x: usize, positions: i32, C: i32, weight: usize, bias: usize, eps: f32, out: usize, mean: usize, rstd: usize,
): void {
  for (let p = 0; p < positions; p++) {
    const offset = (<usize>p * <usize>C) << 2;
    const xp = x + offset;
    const yp = out + offset;
    const m = <f32>(sumOf(xp, C) / C);
    const r = <f32>(1 / Math.sqrt(squaredDeviations(xp, C, m) / C + eps));
    store<f32>(at(mean, p), m);
    store<f32>(at(rstd, p), r);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      const mv = f32x4.splat(m);
      const rv = f32x4.splat(r);
      for (; j + 4 <= C; j += 4) {
        const xhat = f32x4.mul(f32x4.sub(v128.load(at(xp, j)), mv), rv);
        v128.store(at(yp, j), f32x4.add(f32x4.mul(xhat, v128.load(at(weight, j))), v128.load(at(bias, j))));
      }
    }
    for (; j < C; j++) {
      const xhat = (load<f32>(at(xp, j)) - m) * r;
      store<f32>(at(yp, j), xhat * load<f32>(at(weight, j)) + load<f32>(at(bias, j)));
    }
  }
}

/**
 * LayerNorm backward with the forward's mean and rstd: dweight = Σ_p dy·x̂, dbias = Σ_p dy
 * (overwritten), and, when dx ≠ 0, dx = rstd·(g − mean_j g − x̂·mean_j(g·x̂)) with g = dy·weight.
 */
export function layernorm_backward_f32(
  x: usize, dy: usize, positions: i32, C: i32, weight: usize, mean: usize, rstd: usize, dx: usize, dweight: usize, dbias: usize,
): void {
  memory.fill(dweight, 0, <usize>C << 2);
  memory.fill(dbias, 0, <usize>C << 2);
  for (let p = 0; p < positions; p++) {
    const offset = (<usize>p * <usize>C) << 2;
    const xp = x + offset;
    const gp = dy + offset;
    const m = load<f32>(at(mean, p));
    const r = load<f32>(at(rstd, p));
    // Σ g and Σ g·x̂ for dx; the parameter gradients on the way
    let j = 0;
    let sumG: f64 = 0;
    let sumGX: f64 = 0;
    if (ASC_FEATURE_SIMD) {
      const mv = f32x4.splat(m);
      const rv = f32x4.splat(r);
      let accG = f32x4.splat(0);
      let accGX = f32x4.splat(0);
      for (; j + 4 <= C; j += 4) {
        const xhat = f32x4.mul(f32x4.sub(v128.load(at(xp, j)), mv), rv);
        const d = v128.load(at(gp, j));
        const g = f32x4.mul(d, v128.load(at(weight, j)));
        accG = f32x4.add(accG, g);
        accGX = f32x4.add(accGX, f32x4.mul(g, xhat));
        v128.store(at(dweight, j), f32x4.add(v128.load(at(dweight, j)), f32x4.mul(d, xhat)));
        v128.store(at(dbias, j), f32x4.add(v128.load(at(dbias, j)), d));
      }
      sumG = hsum_f32x4(accG);
      sumGX = hsum_f32x4(accGX);
    }
    for (; j < C; j++) {
      const xhat = (load<f32>(at(xp, j)) - m) * r;
      const d = load<f32>(at(gp, j));
      const g = d * load<f32>(at(weight, j));
      sumG += g;
      sumGX += g * xhat;
      store<f32>(at(dweight, j), load<f32>(at(dweight, j)) + d * xhat);
      store<f32>(at(dbias, j), load<f32>(at(dbias, j)) + d);
    }
    if (!dx) continue;
    const meanG = <f32>(sumG / C);
    const meanGX = <f32>(sumGX / C);
    const dxp = dx + offset;
    j = 0;
    if (ASC_FEATURE_SIMD) {
      const mv = f32x4.splat(m);
      const rv = f32x4.splat(r);
      const a = f32x4.splat(meanG);
      const b = f32x4.splat(meanGX);
      for (; j + 4 <= C; j += 4) {
        const xhat = f32x4.mul(f32x4.sub(v128.load(at(xp, j)), mv), rv);
        const g = f32x4.mul(v128.load(at(gp, j)), v128.load(at(weight, j)));
        v128.store(at(dxp, j), f32x4.mul(rv, f32x4.sub(f32x4.sub(g, a), f32x4.mul(xhat, b))));
      }
    }
    for (; j < C; j++) {
      const xhat = (load<f32>(at(xp, j)) - m) * r;
      const g = load<f32>(at(gp, j)) * load<f32>(at(weight, j));
      store<f32>(at(dxp, j), r * (g - meanG - xhat * meanGX));
    }
  }
}

/** Per channel over `count` vectors of C: the batch mean and the biased variance (÷ count), two passes. */
export function batchnorm_stats_f32(x: usize, count: i32, C: i32, mean: usize, variance: usize): void {
  memory.fill(mean, 0, <usize>C << 2);
  memory.fill(variance, 0, <usize>C << 2);
  for (let p = 0; p < count; p++) {
    const xp = x + ((<usize>p * <usize>C) << 2);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      for (; j + 4 <= C; j += 4) v128.store(at(mean, j), f32x4.add(v128.load(at(mean, j)), v128.load(at(xp, j))));
    }
    for (; j < C; j++) store<f32>(at(mean, j), load<f32>(at(mean, j)) + load<f32>(at(xp, j)));
  }
  for (let j = 0; j < C; j++) store<f32>(at(mean, j), <f32>(<f64>load<f32>(at(mean, j)) / count));
  for (let p = 0; p < count; p++) {
    const xp = x + ((<usize>p * <usize>C) << 2);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      for (; j + 4 <= C; j += 4) {
        const d = f32x4.sub(v128.load(at(xp, j)), v128.load(at(mean, j)));
        v128.store(at(variance, j), f32x4.add(v128.load(at(variance, j)), f32x4.mul(d, d)));
      }
    }
    for (; j < C; j++) {
      const d = load<f32>(at(xp, j)) - load<f32>(at(mean, j));
      store<f32>(at(variance, j), load<f32>(at(variance, j)) + d * d);
    }
  }
  for (let j = 0; j < C; j++) store<f32>(at(variance, j), <f32>(<f64>load<f32>(at(variance, j)) / count));
}

/**
 * A training step's running statistics (torch): running = (1 − momentum)·running + momentum·batch,
 * the running variance from the unbiased batch variance (× count/(count − 1), count > 1); adds 1 to
 * the counter (num_batches_tracked, an f32 integer); then turns `variance` into rstd = 1/sqrt(var + eps).
 */
export function batchnorm_running_f32(
  mean: usize, variance: usize, C: i32, count: i32, momentum: f64, eps: f32, runningMean: usize, runningVar: usize, counter: usize,
): void {
  const unbias = <f64>count / <f64>(count - 1);
  for (let j = 0; j < C; j++) {
    const v = <f64>load<f32>(at(variance, j));
    store<f32>(at(runningMean, j), <f32>((1 - momentum) * <f64>load<f32>(at(runningMean, j)) + momentum * <f64>load<f32>(at(mean, j))));
    store<f32>(at(runningVar, j), <f32>((1 - momentum) * <f64>load<f32>(at(runningVar, j)) + momentum * v * unbias));
    store<f32>(at(variance, j), <f32>(1 / Math.sqrt(v + eps)));
  }
  store<f32>(counter, load<f32>(counter) + 1);
}

/** rstd = 1/sqrt(var + eps) per channel (inference: from the running variance). */
export function batchnorm_rstd_f32(variance: usize, C: i32, eps: f32, rstd: usize): void {
  for (let j = 0; j < C; j++) store<f32>(at(rstd, j), <f32>(1 / Math.sqrt(<f64>load<f32>(at(variance, j)) + eps)));
}

/** y = (x − mean)·rstd·weight + bias per channel, over `count` vectors of C. */
export function batchnorm_apply_f32(x: usize, count: i32, C: i32, mean: usize, rstd: usize, weight: usize, bias: usize, out: usize): void {
  for (let p = 0; p < count; p++) {
    const offset = (<usize>p * <usize>C) << 2;
    const xp = x + offset;
    const yp = out + offset;
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      for (; j + 4 <= C; j += 4) {
        const scale = f32x4.mul(v128.load(at(rstd, j)), v128.load(at(weight, j)));
        const centred = f32x4.sub(v128.load(at(xp, j)), v128.load(at(mean, j)));
        v128.store(at(yp, j), f32x4.add(f32x4.mul(centred, scale), v128.load(at(bias, j))));
      }
    }
    for (; j < C; j++) {
      const scale = load<f32>(at(rstd, j)) * load<f32>(at(weight, j));
      store<f32>(at(yp, j), (load<f32>(at(xp, j)) - load<f32>(at(mean, j))) * scale + load<f32>(at(bias, j)));
    }
  }
}

/**
 * BatchNorm backward of a training pass (batch mean and rstd): dbias = Σ dy, dweight = Σ dy·x̂ per
 * channel (overwritten), and, when dx ≠ 0, dx = weight·rstd·(dy − dbias/count − x̂·dweight/count).
 */
export function batchnorm_backward_f32(
  x: usize, dy: usize, count: i32, C: i32, mean: usize, rstd: usize, weight: usize, dweight: usize, dbias: usize, dx: usize,
): void {
  memory.fill(dweight, 0, <usize>C << 2);
  memory.fill(dbias, 0, <usize>C << 2);
  for (let p = 0; p < count; p++) {
    const offset = (<usize>p * <usize>C) << 2;
    const xp = x + offset;
    const gp = dy + offset;
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      for (; j + 4 <= C; j += 4) {
        const d = v128.load(at(gp, j));
        const xhat = f32x4.mul(f32x4.sub(v128.load(at(xp, j)), v128.load(at(mean, j))), v128.load(at(rstd, j)));
        v128.store(at(dweight, j), f32x4.add(v128.load(at(dweight, j)), f32x4.mul(d, xhat)));
        v128.store(at(dbias, j), f32x4.add(v128.load(at(dbias, j)), d));
      }
    }
    for (; j < C; j++) {
      const d = load<f32>(at(gp, j));
      const xhat = (load<f32>(at(xp, j)) - load<f32>(at(mean, j))) * load<f32>(at(rstd, j));
      store<f32>(at(dweight, j), load<f32>(at(dweight, j)) + d * xhat);
      store<f32>(at(dbias, j), load<f32>(at(dbias, j)) + d);
    }
  }
  if (!dx) return;
  const inverse: f32 = <f32>(1 / <f64>count);
  for (let p = 0; p < count; p++) {
    const offset = (<usize>p * <usize>C) << 2;
    const xp = x + offset;
    const gp = dy + offset;
    const dxp = dx + offset;
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      const n = f32x4.splat(inverse);
      for (; j + 4 <= C; j += 4) {
        const r = v128.load(at(rstd, j));
        const xhat = f32x4.mul(f32x4.sub(v128.load(at(xp, j)), v128.load(at(mean, j))), r);
        const centred = f32x4.sub(
          f32x4.sub(v128.load(at(gp, j)), f32x4.mul(v128.load(at(dbias, j)), n)),
          f32x4.mul(xhat, f32x4.mul(v128.load(at(dweight, j)), n)),
        );
        v128.store(at(dxp, j), f32x4.mul(f32x4.mul(v128.load(at(weight, j)), r), centred));
      }
    }
    for (; j < C; j++) {
      const r = load<f32>(at(rstd, j));
      const xhat = (load<f32>(at(xp, j)) - load<f32>(at(mean, j))) * r;
      const centred = load<f32>(at(gp, j)) - load<f32>(at(dbias, j)) * inverse - xhat * (load<f32>(at(dweight, j)) * inverse);
      store<f32>(at(dxp, j), load<f32>(at(weight, j)) * r * centred);
    }
  }
}

/** out = x·a[c]·b[c] per channel over `count` vectors of C: a frozen batchnorm's dx = dy·rstd·weight. */
export function channel_scale_f32(x: usize, count: i32, C: i32, a: usize, b: usize, out: usize): void {
  for (let p = 0; p < count; p++) {
    const offset = (<usize>p * <usize>C) << 2;
    const xp = x + offset;
    const yp = out + offset;
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      for (; j + 4 <= C; j += 4) {
        v128.store(at(yp, j), f32x4.mul(v128.load(at(xp, j)), f32x4.mul(v128.load(at(a, j)), v128.load(at(b, j)))));
      }
    }
    for (; j < C; j++) store<f32>(at(yp, j), load<f32>(at(xp, j)) * (load<f32>(at(a, j)) * load<f32>(at(b, j))));
  }
}
