// Float64 reference losses, written directly from the formulas (DESIGN.md's table; PyTorch's
// CrossEntropyLoss, BCELoss and BCEWithLogitsLoss; Barron 2019) — deliberately not from the
// kernels' algebra, so that agreement means something. Each returns the per-item losses, the
// divisor of 'mean', and the gradient of the *sum* of the items (the caller scales it).

export interface ReferenceOptions {
  rows: number;
  cols: number;
  delta?: number;
  beta?: number;
  alpha?: number;
  scale?: number;
  weight?: ArrayLike<number>;
  ignoreIndex?: number;
  labelSmoothing?: number;
  posWeight?: ArrayLike<number>;
}

export interface ReferenceResult {
  items: Float64Array;
  grad: Float64Array;
  divisor: number;
}

const EPS = 1e-7;

type Elementwise = (x: number, y: number, o: ReferenceOptions) => [item: number, grad: number];

const log1p = Math.log1p;
const softplus = (t: number) => Math.max(t, 0) + log1p(Math.exp(-Math.abs(t)));

function barron(d: number, alpha: number, c: number): [number, number] {
  const z = (d / c) ** 2;
  if (alpha === 2) return [0.5 * z, d / (c * c)];
  if (alpha === 0) return [Math.log(0.5 * z + 1), (2 * d) / (d * d + 2 * c * c)];
  if (alpha === -Infinity) return [1 - Math.exp(-0.5 * z), (d / (c * c)) * Math.exp(-0.5 * z)];
  const b = Math.abs(alpha - 2);
  const base = z / b + 1;
  // b/α·(base^(α/2) − 1), with expm1/log1p to stay accurate for α near 0
  return [(b / alpha) * Math.expm1((alpha / 2) * Math.log1p(z / b)), (d / (c * c)) * base ** (alpha / 2 - 1)];
}

const ELEMENTWISE: Record<string, Elementwise> = {
  mse: (x, y) => [(x - y) ** 2, 2 * (x - y)],
  mae: (x, y) => [Math.abs(x - y), Math.sign(x - y)],
  huber: (x, y, o) => {
    const d = x - y;
    const delta = o.delta ?? 1;
    return Math.abs(d) <= delta ? [0.5 * d * d, d] : [delta * (Math.abs(d) - 0.5 * delta), delta * Math.sign(d)];
  },
  smooth_l1: (x, y, o) => {
    const d = x - y;
    const beta = o.beta ?? 1;
    if (beta === 0) return [Math.abs(d), Math.sign(d)];
    return Math.abs(d) < beta ? [(0.5 * d * d) / beta, d / beta] : [Math.abs(d) - 0.5 * beta, Math.sign(d)];
  },
  log_cosh: (x, y) => {
    const d = x - y;
    // log cosh d = |d| + log1p(e^−2|d|) − log 2, exact in float64 for the magnitudes tested
    return [Math.abs(d) + log1p(Math.exp(-2 * Math.abs(d))) - Math.LN2, Math.tanh(d)];
  },
  barron: (x, y, o) => barron(x - y, o.alpha ?? 1, o.scale ?? 1),
  binary_cross_entropy: (p, y) => [
    -(y * Math.max(Math.log(p), -100) + (1 - y) * Math.max(Math.log(1 - p), -100)),
    (p - y) / Math.max(p * (1 - p), 1e-12),
  ],
  hinge: (x, y) => {
    const t = y === 0 ? -1 : y;
    const m = 1 - t * x;
    return m > 0 ? [m, -t] : [0, 0];
  },
  squared_hinge: (x, y) => {
    const t = y === 0 ? -1 : y;
    const m = Math.max(0, 1 - t * x);
    return [m * m, -2 * t * m];
  },
  poisson: (x, y) => [x - y * Math.log(x + EPS), 1 - y / (x + EPS)],
};

/** The reference loss `name` of `x` against `y` (float targets, or class indices for the index losses). */
export function referenceLoss(name: string, x: ArrayLike<number>, y: ArrayLike<number>, o: ReferenceOptions): ReferenceResult {
  const { rows, cols } = o;
  const n = x.length;
  const grad = new Float64Array(n);
  if (name in ELEMENTWISE || name === 'bce_with_logits') {
    const items = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const j = i % cols;
      let w = 1;
      if (o.weight) w = o.weight.length === n ? o.weight[i]! : o.weight[j]!;
      let item: number, g: number;
      if (name === 'bce_with_logits') {
        // torch: (1 − y)·x + (1 + (pw − 1)·y)·softplus(−x), times the weight
        const pw = o.posWeight ? o.posWeight[j]! : 1;
        const l = 1 + (pw - 1) * y[i]!;
        item = (1 - y[i]!) * x[i]! + l * softplus(-x[i]!);
        g = 1 - y[i]! - l / (1 + Math.exp(x[i]!));
      } else {
        [item, g] = ELEMENTWISE[name]!(x[i]!, y[i]!, o);
      }
      items[i] = w * item;
      grad[i] = w * g;
    }
    return { items, grad, divisor: n };
  }
  const items = new Float64Array(rows);
  if (name === 'cross_entropy' || name === 'kl_div') {
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < cols; j++) {
        const i = r * cols + j;
        const q = x[i]!;
        const p = y[i]!;
        if (name === 'cross_entropy') {
          if (p !== 0) items[r]! -= p * Math.log(Math.max(q, EPS));
          grad[i] = q < EPS ? 0 : -p / q;
        } else {
          if (p !== 0) items[r]! += p * Math.log(p / Math.max(q, EPS));
          grad[i] = q < EPS ? 0 : -p / q;
        }
      }
    }
    return { items, grad, divisor: rows };
  }
  const w = (c: number) => (o.weight ? o.weight[c]! : 1);
  const ignore = o.ignoreIndex ?? -100;
  if (name === 'nll') {
    let divisor = 0;
    for (let r = 0; r < rows; r++) {
      const t = y[r]!;
      if (t === ignore) continue;
      items[r] = -w(t) * x[r * cols + t]!;
      grad[r * cols + t] = -w(t);
      divisor += w(t);
    }
    return { items, grad, divisor };
  }
  if (name === 'softmax_cross_entropy') {
    const eps = o.labelSmoothing ?? 0;
    const indexTargets = y instanceof Int32Array;
    let divisor = indexTargets ? 0 : rows;
    for (let r = 0; r < rows; r++) {
      const row = Array.from({ length: cols }, (_, j) => x[r * cols + j]!);
      const mx = Math.max(...row);
      const lse = mx + Math.log(row.reduce((s, v) => s + Math.exp(v - mx), 0));
      const logp = row.map((v) => v - lse);
      const p = logp.map(Math.exp);
      // target distribution q and the weight of each class term, as torch builds them
      let q: number[];
      if (indexTargets) {
        const t = y[r]!;
        if (t === ignore) continue;
        divisor += w(t);
        // torch: (1 − ε)·w_t·(−logp_t) + ε/C·Σ_j w_j·(−logp_j)
        items[r] = (1 - eps) * w(t) * -logp[t]!;
        // (the smoothing term only when ε > 0: 0·(−log 0) for a −∞ logit would be NaN)
        if (eps > 0) items[r]! += (eps / cols) * logp.reduce((s, lp, j) => s - w(j) * lp, 0);
        for (let j = 0; j < cols; j++) {
          const a = (1 - eps) * w(t) * (p[j]! - (j === t ? 1 : 0));
          const b = (eps / cols) * (p[j]! * Array.from({ length: cols }, (_, k) => w(k)).reduce((s, v) => s + v, 0) - w(j));
          grad[r * cols + j] = a + b;
        }
        continue;
      } else {
        q = row.map((_, j) => (1 - eps) * y[r * cols + j]! + eps / cols);
      }
      items[r] = -q.reduce((s, qj, j) => s + w(j) * qj * logp[j]!, 0);
      const total = q.reduce((s, qj, j) => s + w(j) * qj, 0);
      for (let j = 0; j < cols; j++) grad[r * cols + j] = total * p[j]! - w(j) * q[j]!;
    }
    return { items, grad, divisor };
  }
  throw new Error(`no reference for ${name}`);
}
