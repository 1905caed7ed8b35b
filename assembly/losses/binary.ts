// Binary losses on one prediction per element (probabilities, logits or margins), value and gradient
// in one pass. Same contract as regression.ts: the host validates, `grad`/`items` may be 0, gradients
// are scaled by `gscale`, and the return value is Σ item in f64. Each loss is a class for the loop of
// reduce.ts. Per-element weights come as (pointer, step): step 1 walks an array of n values, step 0
// reads the same four equal values every time (the host writes a splatted scalar there, 1 when absent).

import { expNonPositive_f32x4, lanes, log1p_f32x4, log1pUnit_f32x4, log_f32x4, MINUS_ONE, ONE, TWO } from '../math';
import { sumItems } from './reduce';

const LOG_FLOOR = memory.data<f32>([-100]);
const BCE_TINY = memory.data<f32>([1e-12]);

// −w(y·max(log p, −100) + (1 − y)·max(log(1 − p), −100)), gradient w(p − y)/max(p(1 − p), 1e-12);
// a = gscale.
@final @unmanaged class Bce {
  // @ts-ignore: decorator
  @inline vectors(gscale: f32, _b: f32, _c: f32, which: i32): v128 {
    return which == 0 ? f32x4.splat(gscale) : which == 1 ? lanes(LOG_FLOOR) : lanes(BCE_TINY);
  }

  // @ts-ignore: decorator
  @inline lanes4(p: v128, y: v128, o: usize, grad: usize, items: usize, gs: v128, floor: v128, tiny: v128, w: usize, _pw: usize): v128 {
    const one = lanes(ONE);
    const wv = v128.load(w);
    const logP = f32x4.pmax(log_f32x4(p), floor);
    const log1mP = f32x4.pmax(log1p_f32x4(f32x4.neg(p)), floor);
    const item = f32x4.mul(wv, f32x4.sub(f32x4.mul(f32x4.sub(y, one), log1mP), f32x4.mul(y, logP)));
    if (grad) {
      const denom = f32x4.pmax(f32x4.mul(p, f32x4.sub(one, p)), tiny);
      v128.store(grad + o, f32x4.mul(f32x4.div(f32x4.mul(wv, f32x4.sub(p, y)), denom), gs));
    }
    if (items) v128.store(items + o, item);
    return item;
  }

  // @ts-ignore: decorator
  @inline lane1(p: f32, y: f32, o: usize, grad: usize, items: usize, gscale: f32, _b: f32, _c: f32, w: usize, _pw: usize): f32 {
    const wv = load<f32>(w);
    const logP = Mathf.max(Mathf.log(p), -100);
    const log1mP = Mathf.max(Mathf.log1p(-p), -100);
    const item = wv * ((y - 1) * log1mP - y * logP);
    if (grad) store<f32>(grad + o, ((wv * (p - y)) / Mathf.max(p * (1 - p), 1e-12)) * gscale);
    if (items) store<f32>(items + o, item);
    return item;
  }
}

/**
 * Binary cross-entropy on probabilities: −w(y·max(log p, −100) + (1 − y)·max(log(1 − p), −100)),
 * gradient w(p − y)/max(p(1 − p), 1e-12), as torch.nn.BCELoss.
 */
export function bce_f32(p: usize, y: usize, n: i32, w: usize, wStep: i32, grad: usize, items: usize, gscale: f32): f64 {
  return sumItems<Bce>(p, y, n, grad, items, gscale, 0, 0, w, wStep);
}

// w·((1 − y)x + L·softplus(−x)), L = 1 + (posWeight − 1)y, gradient w·((1 − y) − L·σ(−x)); a = gscale.
// softplus(−x) = max(−x, 0) + log1p(e^−|x|) stays finite for |x| ≫ 1. One division for both
// reciprocals: 1/(1+e) = (2+e)·r and 1/(2+e) = (1+e)·r, r = 1/((1+e)(2+e)).
@final @unmanaged class BceWithLogits {
  // @ts-ignore: decorator
  @inline vectors(gscale: f32, _b: f32, _c: f32, which: i32): v128 {
    return which == 0 ? f32x4.splat(gscale) : which == 1 ? lanes(ONE) : lanes(TWO);
  }

  // @ts-ignore: decorator
  @inline lanes4(x: v128, y: v128, o: usize, grad: usize, items: usize, gs: v128, one: v128, two: v128, w: usize, pw: usize): v128 {
    const zero = f32x4.splat(0);
    const wv = v128.load(w);
    const l = f32x4.add(one, f32x4.mul(f32x4.sub(v128.load(pw), one), y));
    const e = expNonPositive_f32x4(f32x4.neg(f32x4.abs(x)));
    const onePlusE = f32x4.add(one, e);
    const twoPlusE = f32x4.add(two, e);
    const r = f32x4.div(one, f32x4.mul(onePlusE, twoPlusE));
    const softplusNegX = f32x4.add(f32x4.pmax(f32x4.neg(x), zero), log1pUnit_f32x4(e, f32x4.mul(onePlusE, r)));
    const oneMinusY = f32x4.sub(one, y);
    const item = f32x4.mul(wv, f32x4.add(f32x4.mul(oneMinusY, x), f32x4.mul(l, softplusNegX)));
    if (grad) {
      // σ(−x) = e/(1+e) for x ≥ 0, 1/(1+e) for x < 0
      const sigNegX = f32x4.mul(v128.bitselect(e, one, f32x4.ge(x, zero)), f32x4.mul(twoPlusE, r));
      v128.store(grad + o, f32x4.mul(f32x4.mul(wv, f32x4.sub(oneMinusY, f32x4.mul(l, sigNegX))), gs));
    }
    if (items) v128.store(items + o, item);
    return item;
  }

  // @ts-ignore: decorator
  @inline lane1(x: f32, y: f32, o: usize, grad: usize, items: usize, gscale: f32, _b: f32, _c: f32, w: usize, pw: usize): f32 {
    const wv = load<f32>(w);
    const l: f32 = 1 + (load<f32>(pw) - 1) * y;
    const e = Mathf.exp(-Mathf.abs(x));
    const item = wv * ((1 - y) * x + l * (Mathf.max(-x, 0) + Mathf.log1p(e)));
    if (grad) store<f32>(grad + o, wv * (1 - y - l * ((x >= 0 ? e : 1) / (1 + e))) * gscale);
    if (items) store<f32>(items + o, item);
    return item;
  }
}

/** Binary cross-entropy on logits with weights w and pos_weight pw, as torch.nn.BCEWithLogitsLoss (see above). */
export function bce_with_logits_f32(
  x: usize, y: usize, n: i32, w: usize, wStep: i32, pw: usize, pwStep: i32, grad: usize, items: usize, gscale: f32,
): f64 {
  return sumItems<BceWithLogits>(x, y, n, grad, items, gscale, 0, 0, w, wStep, pw, pwStep);
}

// The power of HingeOf, as a type: known when the loop is compiled, so no loop tests it per element.
class Power1 {}
class Power2 {}

// max(0, 1 − t·x) (power 1) or its square (power 2), t = y with 0 read as −1; gradient −t or
// −2t·max(0, 1 − t·x) where the margin is violated. a = −gscale or −2·gscale.
@final @unmanaged class HingeOf<P> {
  // @ts-ignore: decorator
  @inline vectors(gs: f32, _b: f32, _c: f32, which: i32): v128 {
    return which == 0 ? f32x4.splat(gs) : which == 1 ? lanes(ONE) : lanes(MINUS_ONE);
  }

  // @ts-ignore: decorator
  @inline lanes4(x: v128, y: v128, o: usize, grad: usize, items: usize, gs: v128, one: v128, minusOne: v128, _w: usize, _pw: usize): v128 {
    const zero = f32x4.splat(0);
    const t = v128.bitselect(minusOne, y, f32x4.eq(y, zero));
    const m = f32x4.pmax(f32x4.sub(one, f32x4.mul(t, x)), zero);
    const squared = idof<P>() == idof<Power2>();
    const item = squared ? f32x4.mul(m, m) : m;
    if (grad) v128.store(grad + o, f32x4.mul(squared ? f32x4.mul(t, m) : v128.and(t, f32x4.gt(m, zero)), gs));
    if (items) v128.store(items + o, item);
    return item;
  }

  // @ts-ignore: decorator
  @inline lane1(x: f32, y: f32, o: usize, grad: usize, items: usize, gs: f32, _b: f32, _c: f32, _w: usize, _pw: usize): f32 {
    const t: f32 = y == 0 ? -1 : y;
    const m = Mathf.max(1 - t * x, 0);
    const squared = idof<P>() == idof<Power2>();
    const item = squared ? m * m : m;
    if (grad) store<f32>(grad + o, (squared ? t * m : m > 0 ? t : 0) * gs);
    if (items) store<f32>(items + o, item);
    return item;
  }
}

/**
 * Hinge loss max(0, 1 − t·x) (power 1) or its square (power 2), t = y with 0 read as −1;
 * gradient −t (power 1) or −2t·max(0, 1 − t·x) (power 2) where the margin is violated.
 */
export function hinge_f32(x: usize, y: usize, n: i32, grad: usize, items: usize, gscale: f32, power: i32): f64 {
  if (power == 2) return sumItems<HingeOf<Power2>>(x, y, n, grad, items, -2 * gscale, 0, 0);
  return sumItems<HingeOf<Power1>>(x, y, n, grad, items, -gscale, 0, 0);
}
