// Float64 references of torch's one-layer LSTM and GRU (batch_first, zero initial state), written
// from torch's documented formulas (torch.nn.LSTM / torch.nn.GRU), not from descent's code:
//   LSTM  i, f, o = σ(W_i·x + b_i + U_i·h + c_i), g = tanh(…);  c = f⊙c₋ + i⊙g;  h = o⊙tanh c
//   GRU   r, z = σ(…);  n = tanh(W_n·x + b_in + r⊙(U_n·h₋ + b_hn));  h = (1 − z)⊙n + z⊙h₋
// Weights by tensor name (weight_ih_l0 [G·U, C], weight_hh_l0 [G·U, U], bias_ih_l0, bias_hh_l0 [G·U]).

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

export interface RecurrentShape {
  type: 'lstm' | 'gru';
  rows: number;
  steps: number;
  channels: number;
  units: number;
  returnSequences: boolean;
}

/** W·v + b for W [out, n] row-major, v starting at `offset` of `values`. */
function affine(w: ArrayLike<number>, b: ArrayLike<number>, values: ArrayLike<number>, offset: number, n: number, out: number): Float64Array {
  const y = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let s = b[o]!;
    for (let j = 0; j < n; j++) s += w[o * n + j]! * values[offset + j]!;
    y[o] = s;
  }
  return y;
}

/** The layer's output for rows × [T, C] inputs `x`: rows × [units] (last step) or rows × [T, units]. */
export function recurrentReference(s: RecurrentShape, w: Record<string, ArrayLike<number>>, x: ArrayLike<number>): Float64Array {
  const { rows, steps: T, channels: C, units: U } = s;
  const [wih, whh, bih, bhh] = [w.weight_ih_l0!, w.weight_hh_l0!, w.bias_ih_l0!, w.bias_hh_l0!];
  const G = s.type === 'lstm' ? 4 : 3;
  const out = new Float64Array(rows * (s.returnSequences ? T * U : U));
  for (let r = 0; r < rows; r++) {
    let h = new Float64Array(U);
    let c = new Float64Array(U);
    for (let t = 0; t < T; t++) {
      const a = affine(wih, bih, x, (r * T + t) * C, C, G * U);
      const b = affine(whh, bhh, h, 0, U, G * U);
      const next = new Float64Array(U);
      if (s.type === 'lstm') {
        const cNext = new Float64Array(U);
        for (let j = 0; j < U; j++) {
          const [i, f, g, o] = [0, 1, 2, 3].map((k) => a[k * U + j]! + b[k * U + j]!) as [number, number, number, number];
          cNext[j] = sigmoid(f) * c[j]! + sigmoid(i) * Math.tanh(g);
          next[j] = sigmoid(o) * Math.tanh(cNext[j]!);
        }
        c = cNext;
      } else {
        for (let j = 0; j < U; j++) {
          const rg = sigmoid(a[j]! + b[j]!);
          const z = sigmoid(a[U + j]! + b[U + j]!);
          const n = Math.tanh(a[2 * U + j]! + rg * b[2 * U + j]!);
          next[j] = (1 - z) * n + z * h[j]!;
        }
      }
      h = next;
      if (s.returnSequences) out.set(h, (r * T + t) * U);
    }
    if (!s.returnSequences) out.set(h, r * U);
  }
  return out;
}
