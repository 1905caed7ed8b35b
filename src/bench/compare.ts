// How closely a result must agree with the plain-JS reference before it is timed.

/** Relative tolerance between a float32 kernel's loss and the float64 plain-JS value. */
export const VALUE_RTOL = 1e-3;

/** Largest |a − b| over the largest |b|: the error of a result relative to its scale. */
export function relativeMaxError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let error = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    error = Math.max(error, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return error / (scale || 1);
}
