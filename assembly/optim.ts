// Optimizer updates over a flat parameter range (torch.optim formulas). The host precomputes every
// per-step scalar (bias corrections, schedule values, NAdam's momentum products) so each kernel is
// one pass over p, g and its state slots. `g` may be modified in place (it is scratch after a step).
// Complements such as 1 − β2 come from the host in float64: formed in float32 from a float32 β2 =
// 0.999 they would be off by 1.3e-5 relative, a visible drift from torch (which forms them in double).
// Every kernel is an f32x4 body plus one scalar tail (the scalar build runs the tail from 0); madd4 /
// nmadd4 are fused multiply-adds in the relaxed build.

import { BLOCK, lanes, madd4, MINUS_ONE, nmadd4, ONE } from './math';

// @ts-ignore: decorator
@inline
function sqrt4(v: v128): v128 {
  return f32x4.sqrt(v);
}

/**
 * SGD with momentum, dampening, Nesterov and L2 weight decay, as torch.optim.SGD:
 * g += wd·p; buf = first ? g : μ·buf + (1 − dampening)·g; step = nesterov ? g + μ·buf : buf;
 * p −= lr·step. `buf` is unused (may be 0) when μ = 0.
 */
export function sgd_f32(p: usize, g: usize, buf: usize, n: i32, lr: f32, momentum: f32, dampening: f32, nesterov: bool, wd: f32, first: bool): void {
  const keep: f32 = 1 - dampening;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vlr = f32x4.splat(lr), vmu = f32x4.splat(momentum), vkeep = f32x4.splat(keep), vwd = f32x4.splat(wd);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const pv = v128.load(p + o);
      let gv = madd4(vwd, pv, v128.load(g + o));
      if (momentum != 0) {
        const b = first ? gv : madd4(vmu, v128.load(buf + o), f32x4.mul(vkeep, gv));
        v128.store(buf + o, b);
        gv = nesterov ? madd4(vmu, b, gv) : b;
      }
      v128.store(p + o, nmadd4(vlr, gv, pv));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const pv = load<f32>(p + o);
    let gv = load<f32>(g + o) + wd * pv;
    if (momentum != 0) {
      const b = first ? gv : momentum * load<f32>(buf + o) + keep * gv;
      store<f32>(buf + o, b);
      gv = nesterov ? gv + momentum * b : b;
    }
    store<f32>(p + o, pv - lr * gv);
  }
}

/**
 * Adam / AdamW (torch.optim): AdamW first decays p ← p·(1 − lr·decoupledWd); Adam's L2 adds wd·p to g.
 * m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²; vmax = max(vmax, v) with AMSGrad (vmax ≠ 0);
 * p −= stepSize · m / (sqrt(v̂) / sqrtBc2 + eps), stepSize = lr / (1 − β1^t), sqrtBc2 = sqrt(1 − β2^t).
 */
export function adam_f32(
  p: usize, g: usize, m: usize, v: usize, vmax: usize, n: i32,
  stepSize: f32, beta1: f32, oneMinusBeta1: f32, beta2: f32, oneMinusBeta2: f32, eps: f32, sqrtBc2: f32, wd: f32, decay: f32,
): void {
  const invSqrtBc2: f32 = 1 / sqrtBc2;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vb1 = f32x4.splat(beta1), vb1c = f32x4.splat(oneMinusBeta1);
    const vb2 = f32x4.splat(beta2), vb2c = f32x4.splat(oneMinusBeta2);
    const veps = f32x4.splat(eps), vstep = f32x4.splat(stepSize), vinv = f32x4.splat(invSqrtBc2);
    const vwd = f32x4.splat(wd), vdecay = f32x4.splat(decay);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      let pv = v128.load(p + o);
      const gv = madd4(vwd, pv, v128.load(g + o));
      pv = f32x4.mul(pv, vdecay);
      const mv = madd4(vb1, v128.load(m + o), f32x4.mul(vb1c, gv));
      let vv = madd4(vb2, v128.load(v + o), f32x4.mul(vb2c, f32x4.mul(gv, gv)));
      v128.store(m + o, mv);
      v128.store(v + o, vv);
      if (vmax) {
        vv = f32x4.max(v128.load(vmax + o), vv);
        v128.store(vmax + o, vv);
      }
      const denom = madd4(sqrt4(vv), vinv, veps);
      v128.store(p + o, nmadd4(vstep, f32x4.div(mv, denom), pv));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    let pv = load<f32>(p + o);
    const gv = load<f32>(g + o) + wd * pv;
    pv *= decay;
    const mv = beta1 * load<f32>(m + o) + oneMinusBeta1 * gv;
    let vv = beta2 * load<f32>(v + o) + oneMinusBeta2 * gv * gv;
    store<f32>(m + o, mv);
    store<f32>(v + o, vv);
    if (vmax) {
      vv = Mathf.max(load<f32>(vmax + o), vv);
      store<f32>(vmax + o, vv);
    }
    store<f32>(p + o, pv - stepSize * (mv / (Mathf.sqrt(vv) * invSqrtBc2 + eps)));
  }
}

/**
 * RMSprop (torch.optim): g += wd·p; sq = α·sq + (1−α)·g²; centered: ga = α·ga + (1−α)·g,
 * avg = sqrt(sq − ga²) + eps, else sqrt(sq) + eps; momentum: buf = μ·buf + g/avg, p −= lr·buf;
 * else p −= lr·g/avg. `ga` / `buf` are 0 when unused.
 */
export function rmsprop_f32(
  p: usize, g: usize, sq: usize, ga: usize, buf: usize, n: i32, lr: f32, alpha: f32, oneMinusAlpha: f32, eps: f32, momentum: f32, wd: f32,
): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const va = f32x4.splat(alpha), vac = f32x4.splat(oneMinusAlpha), veps = f32x4.splat(eps);
    const vlr = f32x4.splat(lr), vmu = f32x4.splat(momentum), vwd = f32x4.splat(wd);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const pv = v128.load(p + o);
      const gv = madd4(vwd, pv, v128.load(g + o));
      const s = madd4(va, v128.load(sq + o), f32x4.mul(f32x4.mul(vac, gv), gv));
      v128.store(sq + o, s);
      let avg: v128;
      if (ga) {
        const a = madd4(va, v128.load(ga + o), f32x4.mul(vac, gv));
        v128.store(ga + o, a);
        avg = f32x4.add(sqrt4(nmadd4(a, a, s)), veps);
      } else {
        avg = f32x4.add(sqrt4(s), veps);
      }
      if (buf) {
        const b = madd4(vmu, v128.load(buf + o), f32x4.div(gv, avg));
        v128.store(buf + o, b);
        v128.store(p + o, nmadd4(vlr, b, pv));
      } else {
        v128.store(p + o, f32x4.sub(pv, f32x4.div(f32x4.mul(vlr, gv), avg)));
      }
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const pv = load<f32>(p + o);
    const gv = load<f32>(g + o) + wd * pv;
    const s = alpha * load<f32>(sq + o) + oneMinusAlpha * gv * gv;
    store<f32>(sq + o, s);
    let avg: f32;
    if (ga) {
      const a = alpha * load<f32>(ga + o) + oneMinusAlpha * gv;
      store<f32>(ga + o, a);
      avg = Mathf.sqrt(s - a * a) + eps;
    } else {
      avg = Mathf.sqrt(s) + eps;
    }
    if (buf) {
      const b = momentum * load<f32>(buf + o) + gv / avg;
      store<f32>(buf + o, b);
      store<f32>(p + o, pv - lr * b);
    } else {
      store<f32>(p + o, pv - (lr * gv) / avg);
    }
  }
}

/** Adagrad (torch.optim): g += wd·p; sum += g²; p −= clr·g/(sqrt(sum) + eps), clr the decayed lr. */
export function adagrad_f32(p: usize, g: usize, sum: usize, n: i32, clr: f32, eps: f32, wd: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vclr = f32x4.splat(clr), veps = f32x4.splat(eps), vwd = f32x4.splat(wd);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const pv = v128.load(p + o);
      const gv = f32x4.add(v128.load(g + o), f32x4.mul(vwd, pv));
      const s = f32x4.add(v128.load(sum + o), f32x4.mul(gv, gv));
      v128.store(sum + o, s);
      v128.store(p + o, f32x4.sub(pv, f32x4.div(f32x4.mul(vclr, gv), f32x4.add(sqrt4(s), veps))));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const pv = load<f32>(p + o);
    const gv = load<f32>(g + o) + wd * pv;
    const s = load<f32>(sum + o) + gv * gv;
    store<f32>(sum + o, s);
    store<f32>(p + o, pv - (clr * gv) / (Mathf.sqrt(s) + eps));
  }
}

/**
 * Adadelta (torch.optim): g += wd·p; sq = ρ·sq + (1−ρ)·g²; δ = sqrt(acc + eps)/sqrt(sq + eps)·g;
 * acc = ρ·acc + (1−ρ)·δ²; p −= lr·δ.
 */
export function adadelta_f32(p: usize, g: usize, sq: usize, acc: usize, n: i32, lr: f32, rho: f32, oneMinusRho: f32, eps: f32, wd: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vrho = f32x4.splat(rho), vrc = f32x4.splat(oneMinusRho), veps = f32x4.splat(eps);
    const vlr = f32x4.splat(lr), vwd = f32x4.splat(wd);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const pv = v128.load(p + o);
      const gv = madd4(vwd, pv, v128.load(g + o));
      const s = madd4(vrho, v128.load(sq + o), f32x4.mul(f32x4.mul(vrc, gv), gv));
      v128.store(sq + o, s);
      const a = v128.load(acc + o);
      const delta = f32x4.mul(f32x4.div(sqrt4(f32x4.add(a, veps)), sqrt4(f32x4.add(s, veps))), gv);
      v128.store(acc + o, madd4(vrho, a, f32x4.mul(f32x4.mul(vrc, delta), delta)));
      v128.store(p + o, nmadd4(vlr, delta, pv));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const pv = load<f32>(p + o);
    const gv = load<f32>(g + o) + wd * pv;
    const s = rho * load<f32>(sq + o) + oneMinusRho * gv * gv;
    store<f32>(sq + o, s);
    const a = load<f32>(acc + o);
    const delta = (Mathf.sqrt(a + eps) / Mathf.sqrt(s + eps)) * gv;
    store<f32>(acc + o, rho * a + oneMinusRho * delta * delta);
    store<f32>(p + o, pv - lr * delta);
  }
}

/** Adamax (torch.optim): g += wd·p; m = β1·m + (1−β1)·g; u = max(β2·u, |g| + eps); p −= stepSize·m/u. */
export function adamax_f32(
  p: usize, g: usize, m: usize, u: usize, n: i32, stepSize: f32, beta1: f32, oneMinusBeta1: f32, beta2: f32, eps: f32, wd: f32,
): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vb1 = f32x4.splat(beta1), vb1c = f32x4.splat(oneMinusBeta1), vb2 = f32x4.splat(beta2);
    const veps = f32x4.splat(eps), vstep = f32x4.splat(stepSize), vwd = f32x4.splat(wd);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const pv = v128.load(p + o);
      const gv = madd4(vwd, pv, v128.load(g + o));
      const mv = madd4(vb1, v128.load(m + o), f32x4.mul(vb1c, gv));
      // f32x4.max propagates NaN as Mathf.max does in the tail
      const uv = f32x4.max(f32x4.mul(vb2, v128.load(u + o)), f32x4.add(f32x4.abs(gv), veps));
      v128.store(m + o, mv);
      v128.store(u + o, uv);
      v128.store(p + o, f32x4.sub(pv, f32x4.div(f32x4.mul(vstep, mv), uv)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const pv = load<f32>(p + o);
    const gv = load<f32>(g + o) + wd * pv;
    const mv = beta1 * load<f32>(m + o) + oneMinusBeta1 * gv;
    const uv = Mathf.max(beta2 * load<f32>(u + o), Mathf.abs(gv) + eps);
    store<f32>(m + o, mv);
    store<f32>(u + o, uv);
    store<f32>(p + o, pv - (stepSize * mv) / uv);
  }
}

/**
 * NAdam (torch.optim): g += wd·p; m, v as Adam; denom = sqrt(v / bc2) + eps;
 * p −= cGrad·g/denom + cMomentum·m/denom, with the host's cGrad = lr(1 − μ_t)/(1 − Πμ) and
 * cMomentum = lr·μ_{t+1}/(1 − Πμ·μ_{t+1}).
 */
export function nadam_f32(
  p: usize, g: usize, m: usize, v: usize, n: i32, cGrad: f32, cMomentum: f32,
  beta1: f32, oneMinusBeta1: f32, beta2: f32, oneMinusBeta2: f32, eps: f32, bc2: f32, wd: f32,
): void {
  const invBc2: f32 = 1 / bc2;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vb1 = f32x4.splat(beta1), vb1c = f32x4.splat(oneMinusBeta1);
    const vb2 = f32x4.splat(beta2), vb2c = f32x4.splat(oneMinusBeta2);
    const veps = f32x4.splat(eps), vinv = f32x4.splat(invBc2), vwd = f32x4.splat(wd);
    const vcg = f32x4.splat(cGrad), vcm = f32x4.splat(cMomentum);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const pv = v128.load(p + o);
      const gv = madd4(vwd, pv, v128.load(g + o));
      const mv = madd4(vb1, v128.load(m + o), f32x4.mul(vb1c, gv));
      const vv = madd4(vb2, v128.load(v + o), f32x4.mul(f32x4.mul(vb2c, gv), gv));
      v128.store(m + o, mv);
      v128.store(v + o, vv);
      const denom = f32x4.add(sqrt4(f32x4.mul(vv, vinv)), veps);
      const stepped = f32x4.sub(pv, f32x4.div(f32x4.mul(vcg, gv), denom));
      v128.store(p + o, f32x4.sub(stepped, f32x4.div(f32x4.mul(vcm, mv), denom)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const pv = load<f32>(p + o);
    const gv = load<f32>(g + o) + wd * pv;
    const mv = beta1 * load<f32>(m + o) + oneMinusBeta1 * gv;
    const vv = beta2 * load<f32>(v + o) + oneMinusBeta2 * gv * gv;
    store<f32>(m + o, mv);
    store<f32>(v + o, vv);
    const denom = Mathf.sqrt(vv * invBc2) + eps;
    store<f32>(p + o, pv - (cGrad * gv) / denom - (cMomentum * mv) / denom);
  }
}

/** Lion: c = β1·m + (1−β1)·g; p = p·(1 − lr·wd) − lr·sign(c); m = β2·m + (1−β2)·g. */
export function lion_f32(
  p: usize, g: usize, m: usize, n: i32, lr: f32, beta1: f32, oneMinusBeta1: f32, beta2: f32, oneMinusBeta2: f32, wd: f32,
): void {
  const decay: f32 = 1 - lr * wd;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vb1 = f32x4.splat(beta1), vb1c = f32x4.splat(oneMinusBeta1);
    const vb2 = f32x4.splat(beta2), vb2c = f32x4.splat(oneMinusBeta2);
    const vlr = f32x4.splat(lr), vdecay = f32x4.splat(decay), zero = f32x4.splat(0);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const gv = v128.load(g + o);
      const mv = v128.load(m + o);
      const c = madd4(vb1, mv, f32x4.mul(vb1c, gv));
      // sign(c) as the tail has it: 0 for 0 and NaN
      const sign = v128.or(v128.and(lanes(ONE), f32x4.gt(c, zero)), v128.and(lanes(MINUS_ONE), f32x4.lt(c, zero)));
      v128.store(p + o, nmadd4(vlr, sign, f32x4.mul(v128.load(p + o), vdecay)));
      v128.store(m + o, madd4(vb2, mv, f32x4.mul(vb2c, gv)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const gv = load<f32>(g + o);
    const mv = load<f32>(m + o);
    const c = beta1 * mv + oneMinusBeta1 * gv;
    const s: f32 = c > 0 ? 1 : c < 0 ? -1 : 0;
    store<f32>(p + o, load<f32>(p + o) * decay - lr * s);
    store<f32>(m + o, beta2 * mv + oneMinusBeta2 * gv);
  }
}

/**
 * LAMB's direction (optax scale_by_adam → add_decayed_weights), written into g:
 * m, v as Adam; u = m̂ / (sqrt(v̂) + eps) + wd·p. The trust ratio and the step follow per tensor.
 */
export function lamb_direction_f32(
  p: usize, g: usize, m: usize, v: usize, n: i32, beta1: f32, oneMinusBeta1: f32, beta2: f32, oneMinusBeta2: f32,
  eps: f32, invBc1: f32, invBc2: f32, wd: f32,
): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vb1 = f32x4.splat(beta1), vb1c = f32x4.splat(oneMinusBeta1);
    const vb2 = f32x4.splat(beta2), vb2c = f32x4.splat(oneMinusBeta2);
    const veps = f32x4.splat(eps), vbc1 = f32x4.splat(invBc1), vbc2 = f32x4.splat(invBc2), vwd = f32x4.splat(wd);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const gv = v128.load(g + o);
      const mv = madd4(vb1, v128.load(m + o), f32x4.mul(vb1c, gv));
      const vv = madd4(vb2, v128.load(v + o), f32x4.mul(f32x4.mul(vb2c, gv), gv));
      v128.store(m + o, mv);
      v128.store(v + o, vv);
      const adam = f32x4.div(f32x4.mul(mv, vbc1), f32x4.add(sqrt4(f32x4.mul(vv, vbc2)), veps));
      v128.store(g + o, madd4(vwd, v128.load(p + o), adam));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const gv = load<f32>(g + o);
    const mv = beta1 * load<f32>(m + o) + oneMinusBeta1 * gv;
    const vv = beta2 * load<f32>(v + o) + oneMinusBeta2 * gv * gv;
    store<f32>(m + o, mv);
    store<f32>(v + o, vv);
    store<f32>(g + o, (mv * invBc1) / (Mathf.sqrt(vv * invBc2) + eps) + wd * load<f32>(p + o));
  }
}

/** Σ x² over n values, in f64 (global-norm clipping, LAMB's trust ratio). */
export function sum_squares_f32(x: usize, n: i32): f64 {
  let total: f64 = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const nv = n & ~3;
    while (i < nv) {
      const end = min(i + BLOCK, nv);
      let acc = f32x4.splat(0);
      for (; i < end; i += 4) {
        const v = v128.load(x + (<usize>i << 2));
        acc = f32x4.add(acc, f32x4.mul(v, v));
      }
      total += <f64>f32x4.extract_lane(acc, 0) + <f64>f32x4.extract_lane(acc, 1) +
        <f64>f32x4.extract_lane(acc, 2) + <f64>f32x4.extract_lane(acc, 3);
    }
  }
  for (; i < n; i++) {
    const v = <f64>load<f32>(x + (<usize>i << 2));
    total += v * v;
  }
  return total;
}

/** x = clamp(x, −c, c) over n values (clipValue), NaN kept. */
export function clip_value_f32(x: usize, n: i32, c: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const hi = f32x4.splat(c), lo = f32x4.splat(-c);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(x + o, f32x4.pmax(f32x4.pmin(v128.load(x + o), hi), lo));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    store<f32>(x + o, v > c ? c : v < -c ? -c : v);
  }
}
