// Float64 reference implementations of the optimizer updates, written from torch.optim's documented
// algorithms (torch/optim/{sgd,adam,adamw,rmsprop,adagrad,adadelta,adamax,nadam}.py, single-tensor
// path) and, for Lion and LAMB which torch lacks, from optax (alias.py: lion, lamb; transform.py:
// scale_by_lion, scale_by_adam, add_decayed_weights, scale_by_trust_ratio). Defaults are restated
// here from those sources rather than imported, so a wrong default in src/ shows up as a mismatch.
// Nothing here calls the library: it is the oracle the WASM kernels are checked against.

/** One tensor's range in the flat parameter vector (LAMB's trust ratio is per tensor). */
export interface ReferenceSegment {
  offset: number;
  length: number;
}

/** A float64 optimizer over a flat parameter vector of fixed length. */
export interface ReferenceOptimizer {
  /** Step `t` (1-based) with learning rate `lr`: updates `params` in place; `grads` is not modified. */
  step(params: Float64Array, grads: Float64Array, t: number, lr: number): void;
  /** State tensors under torch's names (exp_avg, exp_avg_sq, momentum_buffer, …). */
  readonly slots: Record<string, Float64Array>;
  /** Scalar state (NAdam's mu_product). */
  readonly scalars: Record<string, number>;
  /** How many steps clipping changed the gradient (clipValue / clipGlobalNorm), for test coverage. */
  readonly clippedSteps: number;
}

/** The optimizer spec as the library takes it (learningRate is passed per step instead). */
export interface ReferenceSpec {
  name: string;
  [option: string]: unknown;
}

type Update = (p: Float64Array, g: Float64Array, t: number, lr: number) => void;

const option = (spec: ReferenceSpec, key: string, fallback: number): number =>
  spec[key] === undefined ? fallback : (spec[key] as number);
const flag = (spec: ReferenceSpec, key: string): boolean => spec[key] === true;

/** A reference optimizer for `spec` over `n` parameters split into `segments`. */
export function referenceOptimizer(spec: ReferenceSpec, n: number, segments: readonly ReferenceSegment[]): ReferenceOptimizer {
  const slots: Record<string, Float64Array> = {};
  const scalars: Record<string, number> = {};
  const slot = (name: string, fill = 0) => (slots[name] = new Float64Array(n).fill(fill));
  const update = build(spec, n, segments, slot, scalars);
  const clipValue = spec.clipValue as number | undefined;
  const clipNorm = spec.clipGlobalNorm as number | undefined;
  let clippedSteps = 0;
  return {
    slots,
    scalars,
    get clippedSteps() {
      return clippedSteps;
    },
    step(params, grads, t, lr) {
      const g = Float64Array.from(grads);
      let clipped = false;
      // Same order as the library's chain: value clipping, then global-norm clipping, then the update.
      if (clipValue !== undefined) {
        for (let i = 0; i < n; i++) {
          const c = Math.min(Math.max(g[i]!, -clipValue), clipValue);
          if (c !== g[i]) clipped = true;
          g[i] = c;
        }
      }
      if (clipNorm !== undefined) {
        // torch.nn.utils.clip_grad_norm_: coefficient max_norm / (total_norm + 1e-6), clamped to ≤ 1.
        const coefficient = clipNorm / (Math.sqrt(sumSquares(g, 0, n)) + 1e-6);
        if (coefficient < 1) {
          for (let i = 0; i < n; i++) g[i]! *= coefficient;
          clipped = true;
        }
      }
      if (clipped) clippedSteps++;
      update(params, g, t, lr);
    },
  };
}

function sumSquares(x: Float64Array, offset: number, length: number): number {
  let total = 0;
  for (let i = offset; i < offset + length; i++) total += x[i]! * x[i]!;
  return total;
}

function build(
  spec: ReferenceSpec, n: number, segments: readonly ReferenceSegment[],
  slot: (name: string, fill?: number) => Float64Array, scalars: Record<string, number>,
): Update {
  const wd = option(spec, 'weightDecay', spec.name === 'adamw' ? 1e-2 : 0);
  switch (spec.name) {
    case 'sgd': {
      // torch SGD: d = g + wd·p; buf = d on the first step, else μ·buf + (1 − dampening)·d;
      // d = nesterov ? d + μ·buf : buf; p −= lr·d.
      const momentum = option(spec, 'momentum', 0), dampening = option(spec, 'dampening', 0);
      const nesterov = flag(spec, 'nesterov');
      const buf = momentum !== 0 ? slot('momentum_buffer') : null;
      return (p, g, t, lr) => {
        for (let i = 0; i < n; i++) {
          let d = g[i]! + wd * p[i]!;
          if (buf) {
            buf[i] = t === 1 ? d : momentum * buf[i]! + (1 - dampening) * d;
            d = nesterov ? d + momentum * buf[i]! : buf[i]!;
          }
          p[i]! -= lr * d;
        }
      };
    }
    case 'adam':
    case 'adamw': {
      // torch Adam (L2: g += wd·p) / AdamW (p ← p·(1 − lr·wd) first); m, v EMAs; AMSGrad keeps the
      // running max of v; p −= lr/(1 − β1^t) · m / (sqrt(v̂max or v)/sqrt(1 − β2^t) + eps).
      const beta1 = option(spec, 'beta1', 0.9), beta2 = option(spec, 'beta2', 0.999), eps = option(spec, 'epsilon', 1e-8);
      const decoupled = spec.name === 'adamw';
      const m = slot('exp_avg'), v = slot('exp_avg_sq');
      const vmax = flag(spec, 'amsgrad') ? slot('max_exp_avg_sq') : null;
      return (p, g, t, lr) => {
        const bc1 = 1 - beta1 ** t, bc2 = 1 - beta2 ** t;
        for (let i = 0; i < n; i++) {
          let gi = g[i]!;
          if (decoupled) p[i]! *= 1 - lr * wd;
          else gi += wd * p[i]!;
          m[i] = beta1 * m[i]! + (1 - beta1) * gi;
          v[i] = beta2 * v[i]! + (1 - beta2) * gi * gi;
          let second = v[i]!;
          if (vmax) second = vmax[i] = Math.max(vmax[i]!, v[i]!);
          p[i]! -= (lr / bc1) * m[i]! / (Math.sqrt(second) / Math.sqrt(bc2) + eps);
        }
      };
    }
    case 'rmsprop': {
      // torch RMSprop: g += wd·p; sq = α·sq + (1−α)·g²; centered: ga = α·ga + (1−α)·g, avg = sqrt(sq − ga²) + eps,
      // else sqrt(sq) + eps; momentum: buf = μ·buf + g/avg, p −= lr·buf; else p −= lr·g/avg.
      const alpha = option(spec, 'alpha', 0.99), eps = option(spec, 'epsilon', 1e-8), momentum = option(spec, 'momentum', 0);
      const sq = slot('square_avg');
      const ga = flag(spec, 'centered') ? slot('grad_avg') : null;
      const buf = momentum > 0 ? slot('momentum_buffer') : null;
      return (p, g, _t, lr) => {
        for (let i = 0; i < n; i++) {
          const gi = g[i]! + wd * p[i]!;
          sq[i] = alpha * sq[i]! + (1 - alpha) * gi * gi;
          let avg: number;
          if (ga) {
            ga[i] = alpha * ga[i]! + (1 - alpha) * gi;
            avg = Math.sqrt(sq[i]! - ga[i]! * ga[i]!) + eps;
          } else {
            avg = Math.sqrt(sq[i]!) + eps;
          }
          if (buf) {
            buf[i] = momentum * buf[i]! + gi / avg;
            p[i]! -= lr * buf[i]!;
          } else {
            p[i]! -= (lr * gi) / avg;
          }
        }
      };
    }
    case 'adagrad': {
      // torch Adagrad: g += wd·p; clr = lr/(1 + (t − 1)·lr_decay); sum += g²; p −= clr·g/(sqrt(sum) + eps).
      const lrDecay = option(spec, 'lrDecay', 0), eps = option(spec, 'epsilon', 1e-10);
      const sum = slot('sum', option(spec, 'initialAccumulatorValue', 0));
      return (p, g, t, lr) => {
        const clr = lr / (1 + (t - 1) * lrDecay);
        for (let i = 0; i < n; i++) {
          const gi = g[i]! + wd * p[i]!;
          sum[i]! += gi * gi;
          p[i]! -= (clr * gi) / (Math.sqrt(sum[i]!) + eps);
        }
      };
    }
    case 'adadelta': {
      // torch Adadelta: g += wd·p; sq = ρ·sq + (1−ρ)·g²; δ = sqrt(acc + eps)/sqrt(sq + eps)·g;
      // acc = ρ·acc + (1−ρ)·δ²; p −= lr·δ.
      const rho = option(spec, 'rho', 0.9), eps = option(spec, 'epsilon', 1e-6);
      const sq = slot('square_avg'), acc = slot('acc_delta');
      return (p, g, _t, lr) => {
        for (let i = 0; i < n; i++) {
          const gi = g[i]! + wd * p[i]!;
          sq[i] = rho * sq[i]! + (1 - rho) * gi * gi;
          const delta = (Math.sqrt(acc[i]! + eps) / Math.sqrt(sq[i]! + eps)) * gi;
          acc[i] = rho * acc[i]! + (1 - rho) * delta * delta;
          p[i]! -= lr * delta;
        }
      };
    }
    case 'adamax': {
      // torch Adamax: g += wd·p; m = β1·m + (1−β1)·g; u = max(β2·u, |g| + eps); p −= lr/(1 − β1^t)·m/u.
      const beta1 = option(spec, 'beta1', 0.9), beta2 = option(spec, 'beta2', 0.999), eps = option(spec, 'epsilon', 1e-8);
      const m = slot('exp_avg'), u = slot('exp_inf');
      return (p, g, t, lr) => {
        const clr = lr / (1 - beta1 ** t);
        for (let i = 0; i < n; i++) {
          const gi = g[i]! + wd * p[i]!;
          m[i] = beta1 * m[i]! + (1 - beta1) * gi;
          u[i] = Math.max(beta2 * u[i]!, Math.abs(gi) + eps);
          p[i]! -= (clr * m[i]!) / u[i]!;
        }
      };
    }
    case 'nadam': {
      // torch NAdam: μ_t = β1(1 − ½·0.96^(t·ψ)), μ_{t+1} likewise, Πμ *= μ_t (state 'mu_product');
      // m, v as Adam; denom = sqrt(v/(1 − β2^t)) + eps;
      // p −= lr(1 − μ_t)/(1 − Πμ)·g/denom + lr·μ_{t+1}/(1 − Πμ·μ_{t+1})·m/denom.
      const beta1 = option(spec, 'beta1', 0.9), beta2 = option(spec, 'beta2', 0.999), eps = option(spec, 'epsilon', 1e-8);
      const psi = option(spec, 'momentumDecay', 4e-3);
      const m = slot('exp_avg'), v = slot('exp_avg_sq');
      scalars.mu_product = 1;
      return (p, g, t, lr) => {
        const mu = beta1 * (1 - 0.5 * 0.96 ** (t * psi));
        const muNext = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi));
        const product = (scalars.mu_product! *= mu);
        const bc2 = 1 - beta2 ** t;
        for (let i = 0; i < n; i++) {
          const gi = g[i]! + wd * p[i]!;
          m[i] = beta1 * m[i]! + (1 - beta1) * gi;
          v[i] = beta2 * v[i]! + (1 - beta2) * gi * gi;
          const denom = Math.sqrt(v[i]! / bc2) + eps;
          p[i]! -= ((lr * (1 - mu)) / (1 - product)) * gi / denom;
          p[i]! -= ((lr * muNext) / (1 - product * muNext)) * m[i]! / denom;
        }
      };
    }
    case 'lion': {
      // optax.lion = chain(scale_by_lion(b1, b2), add_decayed_weights(wd), scale(−lr)):
      // u = sign(β1·m + (1−β1)·g) + wd·p; p −= lr·u; then m = β2·m + (1−β2)·g.
      const beta1 = option(spec, 'beta1', 0.9), beta2 = option(spec, 'beta2', 0.99);
      const m = slot('exp_avg');
      return (p, g, _t, lr) => {
        for (let i = 0; i < n; i++) {
          const direction = Math.sign(beta1 * m[i]! + (1 - beta1) * g[i]!);
          p[i]! -= lr * (direction + wd * p[i]!);
          m[i] = beta2 * m[i]! + (1 - beta2) * g[i]!;
        }
      };
    }
    case 'lamb': {
      // optax.lamb = chain(scale_by_adam(b1, b2, eps), add_decayed_weights(wd), scale_by_trust_ratio(),
      // scale(−lr)): u = m̂/(sqrt(v̂) + eps) + wd·p; per tensor, u *= ‖p‖/‖u‖ (1 when either norm is 0).
      const beta1 = option(spec, 'beta1', 0.9), beta2 = option(spec, 'beta2', 0.999), eps = option(spec, 'epsilon', 1e-6);
      const m = slot('exp_avg'), v = slot('exp_avg_sq');
      return (p, g, t, lr) => {
        const bc1 = 1 - beta1 ** t, bc2 = 1 - beta2 ** t;
        const u = new Float64Array(n);
        for (let i = 0; i < n; i++) {
          m[i] = beta1 * m[i]! + (1 - beta1) * g[i]!;
          v[i] = beta2 * v[i]! + (1 - beta2) * g[i]! * g[i]!;
          u[i] = m[i]! / bc1 / (Math.sqrt(v[i]! / bc2) + eps) + wd * p[i]!;
        }
        for (const { offset, length } of segments) {
          const paramNorm = Math.sqrt(sumSquares(p, offset, length));
          const updateNorm = Math.sqrt(sumSquares(u, offset, length));
          const ratio = paramNorm === 0 || updateNorm === 0 ? 1 : paramNorm / updateNorm;
          for (let i = offset; i < offset + length; i++) p[i]! -= lr * ratio * u[i]!;
        }
      };
    }
    default:
      throw new Error(`reference: no optimizer named ${spec.name}`);
  }
}
