// Vectorised elementary functions for f32x4, plus horizontal sums and row reductions.
//
// exp and log are the Cephes single-precision polynomials (S. L. Moshier), evaluated four lanes at a
// time; log1p and expm1 are built on them with the classic compensation tricks. Maximum errors
// against float64 Math, measured by assembly/__tests__/simd-math.spec.ts over the ranges below:
//   exp_f32x4   x in [-87, 88]        ≤ 2 ulp
//   log_f32x4   x in [1e-38, 3e38]    ≤ 2 ulp
//   log1p_f32x4 x in (-1, 3e38]       ≤ 3 ulp
//   expm1_f32x4 x in [-87, 88]        ≤ 3 ulp (relative to |expm1 x|)
//   log1pUnit_f32x4 x in [0, 1]       ≤ 2 ulp
// Special values follow IEEE: exp(-inf) = 0, exp(+inf) = +inf, log(0) = -inf, log(x < 0) = NaN,
// NaN in gives NaN out. exp flushes results below ~1.2e-38 (subnormal range) to 0.
// The scalar build and the scalar tails use Mathf, which is correctly rounded to ~1 ulp.
//
// Constants come from a pool in linear memory, loaded with v128.load32_splat (one vbroadcastss):
// V8 (checked on Node 20) re-materialises every v128.const inside a loop with three instructions,
// one of them a slow general-register → vector move, which made exp-heavy kernels twice as slow.
// pmin/pmax (one instruction each on x86) are used where NaN must flow through: they return their
// first operand when either is NaN.

/**
 * Elements per f32x4 partial sum before it is added into the f64 total: long sums keep float32's
 * rounding error per block, not per array.
 */
// @ts-ignore: decorator
@inline export const BLOCK: i32 = 1024;

/** Four lanes of the 32-bit constant stored at `ptr` (from `memory.data`). */
// @ts-ignore: decorator
@inline
export function lanes(ptr: usize): v128 {
  return v128.load32_splat(ptr);
}

/**
 * a·b + c in four lanes. The relaxed build (ASC_FEATURE_RELAXED_SIMD) uses f32x4.relaxed_madd, a fused
 * multiply-add where the CPU has one (rounded once, so results differ from the SIMD build's in the
 * last bit); the SIMD build multiplies and adds (rounded twice).
 */
// @ts-ignore: decorator
@inline
export function madd4(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** c − a·b in four lanes (relaxed_nmadd in the relaxed build); see madd4. */
// @ts-ignore: decorator
@inline
export function nmadd4(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_nmadd(a, b, c);
  return f32x4.sub(c, f32x4.mul(a, b));
}

export const ONE = memory.data<f32>([1]);
export const TWO = memory.data<f32>([2]);
export const HALF = memory.data<f32>([0.5]);
export const MINUS_ONE = memory.data<f32>([-1]);
export const MINUS_HALF = memory.data<f32>([-0.5]);
export const MINUS_TWO = memory.data<f32>([-2]);
export const INF = memory.data<f32>([Infinity]);
export const NAN = memory.data<f32>([NaN]);
export const LN2 = memory.data<f32>([0.693147180559945]);

/** Keras' epsilon: the floor of probabilities under a log and the offset of Poisson rates. */
// @ts-ignore: decorator
@inline export const EPS: f32 = 1e-7;
export const EPS_LANES = memory.data<f32>([EPS]);

const EXP_HI = memory.data<f32>([88.3762626647949]);
const EXP_LO = memory.data<f32>([-87.3365478515625]);
const EXP_OVERFLOW = memory.data<f32>([88.72283935546875]);
const LOG2E = memory.data<f32>([1.44269504088896341]);
const ROUND_SHIFTER = memory.data<f32>([12582912.0]); // 1.5 · 2^23
const EXP_BIAS = memory.data<i32>([127 - 0x4b400000]);
const LN2_HI = memory.data<f32>([0.693359375]);
const LN2_LO = memory.data<f32>([-2.12194440e-4]);
const EXP_P = memory.data<f32>([1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1]);

/** e^x for four lanes. */
// @ts-ignore: decorator
@inline
export function exp_f32x4(x: v128): v128 {
  const xc = f32x4.pmax(f32x4.pmin(x, lanes(EXP_HI)), lanes(EXP_LO));
  let result = expClamped(xc);
  result = v128.bitselect(lanes(INF), result, f32x4.gt(x, lanes(EXP_OVERFLOW)));
  return v128.andnot(result, f32x4.lt(x, lanes(EXP_LO)));
}

/** e^x for lanes known to be ≤ 0 (underflow gives ~1e-38 instead of 0): no overflow handling needed. */
// @ts-ignore: decorator
@inline
export function expNonPositive_f32x4(x: v128): v128 {
  return expClamped(f32x4.pmax(x, lanes(EXP_LO)));
}

/** e^x for lanes known to be ≤ 0 (or NaN), with exact 0 below the normal range (as for −inf logits). */
// @ts-ignore: decorator
@inline
export function expNonPositiveFlush_f32x4(x: v128): v128 {
  return v128.andnot(expClamped(f32x4.pmax(x, lanes(EXP_LO))), f32x4.lt(x, lanes(EXP_LO)));
}

// e^x for x already clamped to [EXP_LO, EXP_HI]: x = n·ln2 + r, e^x = 2^n · P(r).
// @ts-ignore: decorator
@inline
function expClamped(xc: v128): v128 {
  // Round x·log2(e) to the nearest integer n by adding 1.5·2^23: n lands in the low mantissa bits.
  const shifted = f32x4.add(f32x4.mul(xc, lanes(LOG2E)), lanes(ROUND_SHIFTER));
  const n = f32x4.sub(shifted, lanes(ROUND_SHIFTER));
  let r = nmadd4(n, lanes(LN2_HI), xc);
  r = nmadd4(n, lanes(LN2_LO), r);
  // P(r) = c5 + c4·r + c3·r² + c2·r³ + c1·r⁴ + c0·r⁵ by Estrin's scheme: three independent pairs
  // joined by r² and r⁴, half the dependent steps of Horner's rule (these kernels are latency-bound).
  const r2 = f32x4.mul(r, r);
  const r4 = f32x4.mul(r2, r2);
  // madd4: fused in the relaxed build (shorter chains, one rounding per step).
  const low = madd4(lanes(EXP_P + 16), r, lanes(EXP_P + 20));
  const mid = madd4(lanes(EXP_P + 8), r, lanes(EXP_P + 12));
  const high = madd4(lanes(EXP_P), r, lanes(EXP_P + 4));
  const p = madd4(high, r4, madd4(mid, r2, low));
  const y = f32x4.add(madd4(p, r2, r), lanes(ONE));
  // 2^n built in the exponent field from the integer bits of `shifted`; n is in [-126, 127].
  const pow2n = i32x4.shl(i32x4.add(shifted, lanes(EXP_BIAS)), 23);
  return f32x4.mul(y, pow2n);
}

const MIN_NORMAL = memory.data<f32>([1.17549435e-38]);
const TWO_POW_23 = memory.data<f32>([8388608.0]);
const TWENTY_THREE = memory.data<i32>([23]);
const EXPONENT_OFFSET = memory.data<i32>([126]);
const MANTISSA_MASK = memory.data<i32>([0x007fffff]);
const HALF_BITS = memory.data<i32>([0x3f000000]);
const SQRT_HALF = memory.data<f32>([0.707106781186547524]);
const LOG_P = memory.data<f32>([
  7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1,
  -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1,
]);

/** Natural logarithm for four lanes. */
// @ts-ignore: decorator
@inline
export function log_f32x4(x: v128): v128 {
  // Subnormals: scale by 2^23 so the exponent field is meaningful, and take 23 off the exponent.
  const tiny = f32x4.lt(x, lanes(MIN_NORMAL));
  const bits = v128.bitselect(f32x4.mul(x, lanes(TWO_POW_23)), x, tiny);
  let e = i32x4.sub(i32x4.shr_u(bits, 23), lanes(EXPONENT_OFFSET));
  e = i32x4.sub(e, v128.and(tiny, lanes(TWENTY_THREE)));
  // mantissa in [0.5, 1)
  let m = v128.or(v128.and(bits, lanes(MANTISSA_MASK)), lanes(HALF_BITS));
  // if m < sqrt(1/2): e -= 1, m = 2m - 1, else m = m - 1
  const small = f32x4.lt(m, lanes(SQRT_HALF));
  e = i32x4.add(e, small); // true lanes are -1
  m = f32x4.sub(f32x4.add(m, v128.and(m, small)), lanes(ONE));
  const ef = f32x4.convert_i32x4_s(e);
  const z = f32x4.mul(m, m);
  // P(m) = a0 + a1·m + … + a8·m⁸ (LOG_P lists a8 … a0) by Estrin's scheme
  const m4 = f32x4.mul(z, z);
  const m8 = f32x4.mul(m4, m4);
  const a01 = madd4(lanes(LOG_P + 28), m, lanes(LOG_P + 32));
  const a23 = madd4(lanes(LOG_P + 20), m, lanes(LOG_P + 24));
  const a45 = madd4(lanes(LOG_P + 12), m, lanes(LOG_P + 16));
  const a67 = madd4(lanes(LOG_P + 4), m, lanes(LOG_P + 8));
  const low = madd4(a23, z, a01);
  const high = madd4(a67, z, a45);
  const p = madd4(lanes(LOG_P), m8, madd4(high, m4, low));
  let y = f32x4.mul(f32x4.mul(p, m), z);
  y = f32x4.add(y, f32x4.mul(ef, lanes(LN2_LO)));
  y = f32x4.sub(y, f32x4.mul(z, lanes(HALF)));
  let result = f32x4.add(f32x4.add(m, y), f32x4.mul(ef, lanes(LN2_HI)));
  result = v128.bitselect(lanes(INF), result, f32x4.eq(x, lanes(INF)));
  result = v128.bitselect(f32x4.neg(lanes(INF)), result, f32x4.eq(x, f32x4.splat(0)));
  // x < 0 or NaN: NaN
  return v128.bitselect(lanes(NAN), result, v128.not(f32x4.ge(x, f32x4.splat(0))));
}

/** log(1 + x) for four lanes, accurate for small |x|. */
// @ts-ignore: decorator
@inline
export function log1p_f32x4(x: v128): v128 {
  const u = f32x4.add(x, lanes(ONE));
  // log(u) + (x - (u - 1)) / u recovers the bits of x lost when forming u (Goldberg's trick);
  // when u == 1 the correction is exactly x.
  const correction = f32x4.div(f32x4.sub(x, f32x4.sub(u, lanes(ONE))), u);
  const finite = v128.and(f32x4.lt(u, lanes(INF)), f32x4.gt(u, f32x4.splat(0)));
  return f32x4.add(log_f32x4(u), v128.and(correction, finite));
}

// 1/(2k + 1) for k = 6 … 1: the series of 2·atanh(s)/(2s) in z = s².
const ATANH_P = memory.data<f32>([1.0 / 13, 1.0 / 11, 1.0 / 9, 1.0 / 7, 1.0 / 5, 1.0 / 3]);

/**
 * log(1 + x) for lanes with x in [0, 1] (as in softplus, log(1 + e^−|t|)): the series
 * log(1 + x) = 2·atanh(s), s = x/(2 + x) ≤ 1/3, needs no range reduction; `inv2px` is 1/(2 + x).
 */
// @ts-ignore: decorator
@inline
export function log1pUnit_f32x4(x: v128, inv2px: v128): v128 {
  const s = f32x4.mul(x, inv2px);
  const z = f32x4.mul(s, s);
  // 1 + z/3 + z²/5 + … + z⁶/13 by Estrin's scheme (truncation < (1/9)^7/15 ≈ 1.4e-8 relative)
  const z2 = f32x4.mul(z, z);
  const z4 = f32x4.mul(z2, z2);
  const a = f32x4.add(f32x4.mul(lanes(ATANH_P + 20), z), lanes(ONE)); // 1 + z/3
  const b = f32x4.add(f32x4.mul(lanes(ATANH_P + 12), z), lanes(ATANH_P + 16)); // 1/5 + z/7
  const c = f32x4.add(f32x4.mul(lanes(ATANH_P + 4), z), lanes(ATANH_P + 8)); // 1/9 + z/11
  const d = f32x4.add(c, f32x4.mul(lanes(ATANH_P), z2)); // + z²/13
  const p = f32x4.add(f32x4.add(a, f32x4.mul(b, z2)), f32x4.mul(d, z4));
  return f32x4.mul(f32x4.add(s, s), p);
}

const EXPM1_P = memory.data<f32>([
  2.48015873e-5, 1.98412698e-4, 1.38888889e-3, 8.33333333e-3, 4.16666667e-2, 1.66666667e-1, 0.5,
]); // 1/8! … 1/2!
const EXPM1_SERIES_LIMIT = memory.data<f32>([0.35]);

/** e^x - 1 for four lanes, accurate for small |x|. */
// @ts-ignore: decorator
@inline
export function expm1_f32x4(x: v128): v128 {
  // |x| < 0.35: Taylor series to x^8 (truncation < 2e-9 relative); else exp(x) - 1 loses at most
  // a factor 1 / (1 - e^-0.35) ≈ 3.4 in relative error.
  let p = lanes(EXPM1_P);
  p = f32x4.add(f32x4.mul(p, x), lanes(EXPM1_P + 4));
  p = f32x4.add(f32x4.mul(p, x), lanes(EXPM1_P + 8));
  p = f32x4.add(f32x4.mul(p, x), lanes(EXPM1_P + 12));
  p = f32x4.add(f32x4.mul(p, x), lanes(EXPM1_P + 16));
  p = f32x4.add(f32x4.mul(p, x), lanes(EXPM1_P + 20));
  p = f32x4.add(f32x4.mul(p, x), lanes(EXPM1_P + 24));
  const series = f32x4.add(f32x4.mul(f32x4.mul(p, x), x), x);
  const big = f32x4.sub(exp_f32x4(x), lanes(ONE));
  return v128.bitselect(series, big, f32x4.lt(f32x4.abs(x), lanes(EXPM1_SERIES_LIMIT)));
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

/** Largest of `cols` floats at x (NaN if any is NaN). */
// @ts-ignore: decorator
@inline
export function rowMax_f32(x: usize, cols: i32): f32 {
  let j = 0;
  let mx: f32 = -Infinity;
  if (ASC_FEATURE_SIMD) {
    if (cols >= 4) {
      // pmax is one instruction but drops NaN, so NaN lanes are tracked on the side.
      let mv = f32x4.splat(-Infinity);
      let nan = f32x4.splat(0);
      for (; j + 4 <= cols; j += 4) {
        const v = v128.load(x + (<usize>j << 2));
        mv = f32x4.pmax(mv, v);
        nan = v128.or(nan, f32x4.ne(v, v));
      }
      mx = v128.any_true(nan) ? NaN : hmax_f32x4(mv);
    }
  }
  for (; j < cols; j++) mx = Mathf.max(mx, load<f32>(x + (<usize>j << 2)));
  return mx;
}

/** Σ e^(x_j − mx) over `cols` floats at x (mx the row's max), in f64; writes each e^(x_j − mx) into `exps` unless it is 0. */
// @ts-ignore: decorator
@inline
export function rowSumExp(x: usize, cols: i32, mx: f32, exps: usize): f64 {
  let j = 0;
  let s: f64 = 0;
  if (ASC_FEATURE_SIMD) {
    const mv = f32x4.splat(mx);
    let acc = f32x4.splat(0);
    for (; j + 4 <= cols; j += 4) {
      const o = <usize>j << 2;
      const e = expNonPositiveFlush_f32x4(f32x4.sub(v128.load(x + o), mv));
      acc = f32x4.add(acc, e);
      if (exps) v128.store(exps + o, e);
    }
    s = hsum_f32x4(acc);
  }
  for (; j < cols; j++) {
    const o = <usize>j << 2;
    const e = Mathf.exp(load<f32>(x + o) - mx);
    s += e;
    if (exps) store<f32>(exps + o, e);
  }
  return s;
}

// log cosh a = a²/2 − a⁴/12 + a⁶/45 − 17a⁸/2520 + O(a¹⁰) below LOG_COSH_SERIES_LIMIT, where the
// large-|a| form a + log1p(e^−2a) − log 2 would cancel.
const LOG_COSH_P = memory.data<f32>([-0.00674603175, 0.0222222222, -0.0833333333, 0.5]);
const LOG_COSH_SERIES_LIMIT = memory.data<f32>([0.3]);

/** log cosh x for one value, stable for large |x| and accurate near 0. */
export function logCosh(x: f32): f32 {
  const a = Mathf.abs(x);
  if (a < 0.3) {
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
  let p = lanes(LOG_COSH_P);
  p = f32x4.add(f32x4.mul(p, z), lanes(LOG_COSH_P + 4));
  p = f32x4.add(f32x4.mul(p, z), lanes(LOG_COSH_P + 8));
  p = f32x4.add(f32x4.mul(p, z), lanes(LOG_COSH_P + 12));
  const series = f32x4.mul(p, z);
  const e = expNonPositive_f32x4(f32x4.mul(a, lanes(MINUS_TWO)));
  const inv2pe = f32x4.div(lanes(ONE), f32x4.add(e, lanes(TWO)));
  const large = f32x4.sub(f32x4.add(a, log1pUnit_f32x4(e, inv2pe)), lanes(LN2));
  return v128.bitselect(series, large, f32x4.lt(a, lanes(LOG_COSH_SERIES_LIMIT)));
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
  const t = expm1_f32x4(f32x4.mul(a, lanes(MINUS_TWO)));
  const r = f32x4.div(f32x4.neg(t), f32x4.add(lanes(TWO), t));
  // copy the sign of x onto r (r >= 0)
  return v128.or(r, v128.and(x, i32x4.splat(0x80000000)));
}
