// What the PyTorch golden-file tests share: the error metrics (the same as the generators'
// distance()) and the tolerance rule — K times how far torch's float32 run lands from its float64
// run on the same case, at least FLOOR (a handful of float32 roundings, 2⁻²⁴ ≈ 6e-8 each).

export const K = 8;
export const FLOOR = 1e-6;

/** max |a − r| / max |r| over one array (Infinity when a is missing or of another length). */
export function relArray(a: ArrayLike<number> | undefined, r: ArrayLike<number>): number {
  if (!a || a.length !== r.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < r.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - r[i]!));
    scale = Math.max(scale, Math.abs(r[i]!));
  }
  return diff / Math.max(scale, 1e-30);
}

/** max over i of |a_i − r_i| / |r_i| (Infinity for another length). */
export function relEach(a: readonly number[], r: readonly number[]): number {
  if (a.length !== r.length) return Infinity;
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - r[i]!) / Math.max(Math.abs(r[i]!), 1e-30)), 0);
}
