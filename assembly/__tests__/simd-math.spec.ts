// The f32x4 math (SIMD builds only: the scalar build has no v128, and test:asp discludes this file
// from its scalar run) against f64 Math, with the error bounds documented in math.ts.
import { exp_f32x4, expm1_f32x4, log1p_f32x4, log_f32x4 } from '../math';
import { ulps } from './helpers';


function splat4(x: f32): v128 {
  return f32x4.splat(x);
}

function lane0(v: v128): f32 {
  return f32x4.extract_lane(v, 0);
}

describe('f32x4 math (SIMD build)', () => {
  it('runs on the SIMD build only (the scalar run discludes this file)', () => {
    expect(ASC_FEATURE_SIMD).toBe(true);
  });

  it('exp within 2 ulp on [-87, 88]', () => {
    let worst: f64 = 0;
    for (let i = 0; i <= 20000; i++) {
      const x = <f32>(-87.0 + 175.0 * (<f64>i / 20000.0));
      worst = Math.max(worst, ulps(lane0(exp_f32x4(splat4(x))), Math.exp(<f64>x)));
    }
    expect(worst).toBeLessThanOrEqual(2.0);
  });

  it('log within 2 ulp on [1e-38, 3e38]', () => {
    let worst: f64 = 0;
    for (let i = 0; i <= 20000; i++) {
      const x = <f32>Math.pow(10.0, -38.0 + 76.4 * (<f64>i / 20000.0));
      const want = Math.log(<f64>x);
      // absolute error near log(1) = 0, relative elsewhere
      const err = Math.abs(want) < 1 ? Math.abs(<f64>lane0(log_f32x4(splat4(x))) - want) * 8388608.0 : ulps(lane0(log_f32x4(splat4(x))), want);
      worst = Math.max(worst, err);
    }
    expect(worst).toBeLessThanOrEqual(2.0);
  });

  it('log1p within 3 ulp on (-1, 1e30]', () => {
    let worst: f64 = 0;
    for (let i = 1; i <= 20000; i++) {
      const t = <f64>i / 20000.0;
      const x = <f32>(t < 0.5 ? -1.0 + 2.0 * t * 0.999 : Math.pow(10.0, -8.0 + 76.0 * (t - 0.5)));
      const want = Math.log1p(<f64>x);
      worst = Math.max(worst, ulps(lane0(log1p_f32x4(splat4(x))), want));
    }
    expect(worst).toBeLessThanOrEqual(3.0);
  });

  it('expm1 within 3 ulp of |expm1 x| on [-87, 88]', () => {
    let worst: f64 = 0;
    for (let i = 0; i <= 20000; i++) {
      const x = <f32>(-87.0 + 175.0 * (<f64>i / 20000.0));
      if (x == 0) continue;
      worst = Math.max(worst, ulps(lane0(expm1_f32x4(splat4(x))), Math.expm1(<f64>x)));
    }
    expect(worst).toBeLessThanOrEqual(3.0);
  });

  it('special values follow IEEE', () => {
    expect(lane0(exp_f32x4(splat4(-Infinity)))).toBe(0);
    expect(lane0(exp_f32x4(splat4(Infinity)))).toBe(Infinity);
    expect(isNaN(lane0(exp_f32x4(splat4(NaN))))).toBe(true);
    expect(lane0(log_f32x4(splat4(0)))).toBe(-Infinity);
    expect(isNaN(lane0(log_f32x4(splat4(-1))))).toBe(true);
    expect(lane0(log_f32x4(splat4(Infinity)))).toBe(Infinity);
    // a subnormal: log(1e-40)
    expect(ulps(lane0(log_f32x4(splat4(<f32>1e-40))), Math.log(<f64>(<f32>1e-40)))).toBeLessThanOrEqual(2.0);
    expect(lane0(log1p_f32x4(splat4(-1)))).toBe(-Infinity);
    expect(lane0(log1p_f32x4(splat4(Infinity)))).toBe(Infinity);
  });
});
