// Vectorised elementary functions for f32x4, plus horizontal sums.
//
// exp and log are the Cephes single-precision polynomials (S. L. Moshier), evaluated four lanes at a
// time; log1p and expm1 are built on them with the classic compensation tricks. Measured maximum
// errors against float64 Math (test/math.test.ts sweeps these ranges on the SIMD build):
//   exp_f32x4   x in [-87, 88]        ≤ 2 ulp
//   log_f32x4   x in [1e-38, 3e38]    ≤ 2 ulp
//   log1p_f32x4 x in (-1, 3e38]       ≤ 3 ulp
//   expm1_f32x4 x in [-87, 88]        ≤ 3 ulp (relative to |expm1 x|)
// Special values follow IEEE: exp(-inf) = 0, exp(+inf) = +inf, log(0) = -inf, log(x < 0) = NaN,
// NaN in gives NaN out. exp flushes results below ~1.2e-38 (subnormal range) to 0.
// The scalar build and the scalar tails use Mathf, which is correctly rounded to ~1 ulp.

// @ts-ignore: decorator
@inline const LOG2E: f32 = 1.44269504088896341;
// @ts-ignore: decorator
@inline const LN2_HI: f32 = 0.693359375;
// @ts-ignore: decorator
@inline const LN2_LO: f32 = -2.12194440e-4;
// @ts-ignore: decorator
@inline const EXP_HI: f32 = 88.3762626647949;
// @ts-ignore: decorator
@inline const EXP_LO: f32 = -87.3365478515625;
// @ts-ignore: decorator
@inline const SQRT_HALF: f32 = 0.707106781186547524;

/** e^x for four lanes. */
// @ts-ignore: decorator
@inline
export function exp_f32x4(x: v128): v128 {
  const xc = f32x4.max(f32x4.min(x, f32x4.splat(EXP_HI)), f32x4.splat(EXP_LO));
  const n = f32x4.nearest(f32x4.mul(xc, f32x4.splat(LOG2E)));
  let r = f32x4.sub(xc, f32x4.mul(n, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(LN2_LO)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  const r2 = f32x4.mul(r, r);
  const y = f32x4.add(f32x4.add(f32x4.mul(p, r2), r), f32x4.splat(1));
  // 2^n built in the exponent field; n is in [-126, 127] after the clamp.
  const pow2n = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  let result = f32x4.mul(y, pow2n);
  result = v128.bitselect(f32x4.splat(Infinity), result, f32x4.gt(x, f32x4.splat(88.72283935546875)));
  result = v128.bitselect(f32x4.splat(0), result, f32x4.lt(x, f32x4.splat(EXP_LO)));
  // NaN lanes: the clamp already propagated NaN through min/max into r and y.
  return result;
}

/** Natural logarithm for four lanes. */
// @ts-ignore: decorator
@inline
export function log_f32x4(x: v128): v128 {
  // Subnormals: scale by 2^23 so the exponent field is meaningful, and take 23 off the exponent.
  const tiny = f32x4.lt(x, f32x4.splat(1.17549435e-38));
  const xs = v128.bitselect(f32x4.mul(x, f32x4.splat(8388608.0)), x, tiny);
  const bits = xs;
  let e = i32x4.sub(i32x4.shr_u(bits, 23), i32x4.splat(126));
  e = i32x4.sub(e, v128.and(tiny, i32x4.splat(23)));
  // mantissa in [0.5, 1)
  let m = v128.or(v128.and(bits, i32x4.splat(0x007fffff)), i32x4.splat(0x3f000000));
  const small = f32x4.lt(m, f32x4.splat(SQRT_HALF));
  // if m < sqrt(1/2): e -= 1, m = 2m - 1, else m = m - 1
  e = i32x4.add(e, small); // true lanes are -1
  m = f32x4.sub(f32x4.add(m, v128.and(m, small)), f32x4.splat(1));
  const ef = f32x4.convert_i32x4_s(e);
  const z = f32x4.mul(m, m);
  let p = f32x4.splat(7.0376836292e-2);
  p = f32x4.add(f32x4.mul(p, m), f32x4.splat(-1.1514610310e-1));
  p = f32x4.add(f32x4.mul(p, m), f32x4.splat(1.1676998740e-1));
  p = f32x4.add(f32x4.mul(p, m), f32x4.splat(-1.2420140846e-1));
  p = f32x4.add(f32x4.mul(p, m), f32x4.splat(1.4249322787e-1));
  p = f32x4.add(f32x4.mul(p, m), f32x4.splat(-1.6668057665e-1));
  p = f32x4.add(f32x4.mul(p, m), f32x4.splat(2.0000714765e-1));
  p = f32x4.add(f32x4.mul(p, m), f32x4.splat(-2.4999993993e-1));
  p = f32x4.add(f32x4.mul(p, m), f32x4.splat(3.3333331174e-1));
  let y = f32x4.mul(f32x4.mul(p, m), z);
  y = f32x4.add(y, f32x4.mul(ef, f32x4.splat(LN2_LO)));
  y = f32x4.sub(y, f32x4.mul(z, f32x4.splat(0.5)));
  let result = f32x4.add(f32x4.add(m, y), f32x4.mul(ef, f32x4.splat(LN2_HI)));
  result = v128.bitselect(f32x4.splat(Infinity), result, f32x4.eq(x, f32x4.splat(Infinity)));
  result = v128.bitselect(f32x4.splat(-Infinity), result, f32x4.eq(x, f32x4.splat(0)));
  // x < 0 or NaN: NaN
  result = v128.bitselect(f32x4.splat(NaN), result, v128.not(f32x4.ge(x, f32x4.splat(0))));
  return result;
}

/** log(1 + x) for four lanes, accurate for small |x|. */
// @ts-ignore: decorator
@inline
export function log1p_f32x4(x: v128): v128 {
  const u = f32x4.add(x, f32x4.splat(1));
  // log(u) + (x - (u - 1)) / u recovers the bits of x lost when forming u (Goldberg's trick);
  // when u == 1 the correction is exactly x.
  const correction = f32x4.div(f32x4.sub(x, f32x4.sub(u, f32x4.splat(1))), u);
  const finite = v128.and(f32x4.lt(u, f32x4.splat(Infinity)), f32x4.gt(u, f32x4.splat(0)));
  return f32x4.add(log_f32x4(u), v128.and(correction, finite));
}

/** e^x - 1 for four lanes, accurate for small |x|. */
// @ts-ignore: decorator
@inline
export function expm1_f32x4(x: v128): v128 {
  // |x| < 0.35: Taylor series to x^8 (truncation < 2e-9 relative); else exp(x) - 1 loses at most
  // a factor 1 / (1 - e^-0.35) ≈ 3.4 in relative error.
  let p = f32x4.splat(2.48015873e-5); // 1/8!
  p = f32x4.add(f32x4.mul(p, x), f32x4.splat(1.98412698e-4)); // 1/7!
  p = f32x4.add(f32x4.mul(p, x), f32x4.splat(1.38888889e-3)); // 1/6!
  p = f32x4.add(f32x4.mul(p, x), f32x4.splat(8.33333333e-3)); // 1/5!
  p = f32x4.add(f32x4.mul(p, x), f32x4.splat(4.16666667e-2)); // 1/4!
  p = f32x4.add(f32x4.mul(p, x), f32x4.splat(1.66666667e-1)); // 1/3!
  p = f32x4.add(f32x4.mul(p, x), f32x4.splat(0.5));
  const series = f32x4.add(f32x4.mul(f32x4.mul(p, x), x), x);
  const big = f32x4.sub(exp_f32x4(x), f32x4.splat(1));
  return v128.bitselect(series, big, f32x4.lt(f32x4.abs(x), f32x4.splat(0.35)));
}

/** Sum of the four lanes, in f64. */
// @ts-ignore: decorator
@inline
export function hsum_f32x4(v: v128): f64 {
  return (
    <f64>f32x4.extract_lane(v, 0) +
    <f64>f32x4.extract_lane(v, 1) +
    <f64>f32x4.extract_lane(v, 2) +
    <f64>f32x4.extract_lane(v, 3)
  );
}

/** Largest of the four lanes (NaN if any lane is NaN). */
// @ts-ignore: decorator
@inline
export function hmax_f32x4(v: v128): f32 {
  const a = f32x4.max(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  const b = f32x4.max(a, v128.shuffle<f32>(a, a, 1, 0, 3, 2));
  return f32x4.extract_lane(b, 0);
}

/** log cosh x for one value, stable for large |x| and accurate near 0. */
export function logCosh(x: f32): f32 {
  const a = Mathf.abs(x);
  if (a < 0.3) {
    // log cosh a = a²/2 − a⁴/12 + a⁶/45 − 17a⁸/2520 + O(a¹⁰)
    const z = a * a;
    return z * (0.5 + z * (-0.0833333333 + z * (0.0222222222 + z * -0.00674603175)));
  }
  return a + Mathf.log1p(Mathf.exp(-2 * a)) - 0.693147180559945;
}

/** log cosh for four lanes (same split as logCosh). */
// @ts-ignore: decorator
@inline
export function logCosh_f32x4(x: v128): v128 {
  const a = f32x4.abs(x);
  const z = f32x4.mul(a, a);
  let p = f32x4.splat(-0.00674603175);
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(0.0222222222));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-0.0833333333));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(0.5));
  const series = f32x4.mul(p, z);
  const large = f32x4.sub(
    f32x4.add(a, log1p_f32x4(exp_f32x4(f32x4.mul(a, f32x4.splat(-2))))),
    f32x4.splat(0.693147180559945),
  );
  return v128.bitselect(series, large, f32x4.lt(a, f32x4.splat(0.3)));
}

/** tanh x for one value, from expm1 so it is accurate near 0. */
export function tanhf(x: f32): f32 {
  const a = Mathf.abs(x);
  const t = Mathf.expm1(-2 * a); // in (-1, 0]
  const r: f32 = -t / (2 + t);
  return x < 0 ? -r : r;
}

/** tanh for four lanes. */
// @ts-ignore: decorator
@inline
export function tanh_f32x4(x: v128): v128 {
  const a = f32x4.abs(x);
  const t = expm1_f32x4(f32x4.mul(a, f32x4.splat(-2)));
  const r = f32x4.div(f32x4.neg(t), f32x4.add(f32x4.splat(2), t));
  // copy the sign of x onto r (r >= 0)
  return v128.or(r, v128.and(x, i32x4.splat(0x80000000)));
}
