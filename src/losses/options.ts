// The options of a loss: their keys and values, checked by one validator that serves both `k.loss`
// and spec parsing, so that a bad spec fails in the caller's thread before any worker starts.

import { describe, didYouMean } from '../validate.js';
import { type Heap, WasmArray } from '../wasm/heap.js';
import { checkWasmArray, type FloatValues, isNumberArray } from './inputs.js';
import { LOSSES, type LossName, type Reduction } from './records.js';

export interface LossOptions {
  /** 'mean' (default), 'sum', or 'none' (one item per element, or per row for row losses). */
  reduction?: Reduction;
  /** [rows, cols] of the input; a 1-D input is [n, 1]. */
  shape?: readonly [number, number];
  /** false: skip the gradient (`grad` is null). Default true. */
  grad?: boolean;
  /** An f32 WasmArray of the input's length that receives the gradient (the zero-copy path). */
  out?: WasmArray;
  /** huber threshold, > 0 (default 1). */
  delta?: number;
  /** smooth_l1 threshold, ≥ 0 (default 1; 0 is plain L1). */
  beta?: number;
  /** barron shape α in [−∞, ∞) (default 1). */
  alpha?: number;
  /** barron scale c > 0 (default 1). */
  scale?: number;
  /** Class weights [C] (softmax_cross_entropy, nll), or element weights [M] or [C] (binary_cross_entropy, bce_with_logits). */
  weight?: FloatValues;
  /** Target value that marks a row to skip (softmax_cross_entropy, nll; default −100). */
  ignoreIndex?: number;
  /** softmax_cross_entropy label smoothing in [0, 1] (default 0). */
  labelSmoothing?: number;
  /** bce_with_logits weight of positive examples per class [C]. */
  posWeight?: FloatValues;
}

/** The call options `k.loss` takes beside each loss's own. */
export const COMMON_OPTIONS = ['reduction', 'shape', 'grad', 'out'] as const;

/** A loss's own options, checked, with their defaults. */
export interface LossValues {
  delta: number;
  scale: number;
  beta: number;
  alpha: number;
  ignoreIndex: number;
  labelSmoothing: number;
  weight: FloatValues | undefined;
  posWeight: FloatValues | undefined;
}

/** Where loss options are checked: `k.loss` knows the data; a spec knows only its output width. */
export interface OptionContext {
  /** Columns (classes) of the input. */
  cols: number;
  /** Elements of the input, for element-wise weights; absent in a spec (any batch size): weights must be [C]. */
  elements?: number;
  /** The kernels instance WasmArray options must belong to; absent in a spec (plain data only). */
  heap?: Heap;
  /** Prefix of each option's name in messages ('loss.' in a spec). */
  prefix?: string;
}

function positive(options: LossOptions, key: 'delta' | 'scale', fallback: number, prefix: string): number {
  const value = options[key] ?? fallback;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new RangeError(`${prefix}${key} must be a positive finite number, got ${describe(value)}`);
  }
  return value;
}

function weightArray(value: unknown, what: string, heap: Heap | undefined): FloatValues {
  if (value instanceof WasmArray) {
    if (!heap) throw new TypeError(`${what} must be plain data (Float32Array, Float64Array or number[]) in a spec, got ${describe(value)}`);
    checkWasmArray(value, what, heap, 'f32');
    return value;
  }
  if (value instanceof Float32Array || value instanceof Float64Array || isNumberArray(value)) return value;
  throw new TypeError(`${what} must be a Float32Array, Float64Array, number[] or f32 WasmArray, got ${describe(value)}`);
}

/**
 * Throws a TypeError naming the first key of `options` that loss `lossName` does not take (keys set to
 * undefined count as absent). `common`: the call options (`reduction`, `shape`, …) `k.loss` takes
 * beside the loss's own; a spec's loss object takes `name` instead.
 */
export function checkLossOptionKeys(lossName: LossName, options: object, common: readonly string[], path = `loss ${lossName}`): void {
  const allowed = [...common, ...LOSSES[lossName].options];
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined && !allowed.includes(key)) {
      throw new TypeError(`unknown option ${JSON.stringify(key)} for ${path}; it takes ${allowed.join(', ')}${didYouMean(key, allowed)}`);
    }
  }
}

/**
 * Checks the per-loss options of `lossName` and returns them with defaults: the one validator behind
 * `k.loss` and spec parsing, so a bad spec fails before any worker starts.
 */
export function lossOptionValues(lossName: LossName, options: LossOptions, context: OptionContext): LossValues {
  const { cols, elements, heap, prefix = '' } = context;
  const def = LOSSES[lossName];
  const delta = lossName === 'huber' ? positive(options, 'delta', 1, prefix) : 1;
  const scale = lossName === 'barron' ? positive(options, 'scale', 1, prefix) : 1;
  let beta = 1;
  if (lossName === 'smooth_l1') {
    beta = options.beta ?? 1;
    if (typeof beta !== 'number' || !(beta >= 0) || !Number.isFinite(beta)) {
      throw new RangeError(`${prefix}beta must be a non-negative finite number, got ${describe(beta)}`);
    }
  }
  let alpha = 1;
  if (lossName === 'barron') {
    alpha = options.alpha ?? 1;
    if (typeof alpha !== 'number' || Number.isNaN(alpha) || alpha === Infinity) {
      throw new RangeError(`${prefix}alpha must be a number or -Infinity, got ${describe(alpha)}`);
    }
  }
  const ignoreIndex = options.ignoreIndex ?? -100;
  if (!Number.isInteger(ignoreIndex) || Math.abs(ignoreIndex) > 2 ** 31 - 1) {
    throw new RangeError(`${prefix}ignoreIndex must be a 32-bit integer, got ${describe(ignoreIndex)}`);
  }
  const labelSmoothing = options.labelSmoothing ?? 0;
  if (typeof labelSmoothing !== 'number' || !(labelSmoothing >= 0 && labelSmoothing <= 1)) {
    throw new RangeError(`${prefix}labelSmoothing must be in [0, 1], got ${describe(labelSmoothing)}`);
  }
  const weight = options.weight === undefined ? undefined : weightArray(options.weight, `${prefix}weight`, heap);
  const posWeight = options.posWeight === undefined ? undefined : weightArray(options.posWeight, `${prefix}posWeight`, heap);
  if (weight && def.rows && weight.length !== cols) {
    throw new RangeError(`${prefix}weight length must equal the number of classes ${cols}, got ${weight.length}`);
  }
  if (weight && !def.rows && weight.length !== cols && weight.length !== elements) {
    throw new RangeError(elements === undefined
      ? `${prefix}weight length must equal the number of outputs ${cols}, got ${weight.length}`
      : `${prefix}weight length must equal input length ${elements} or the number of columns ${cols}, got ${weight.length}`);
  }
  if (posWeight && posWeight.length !== cols) {
    throw new RangeError(`${prefix}posWeight length must equal the number of columns ${cols}, got ${posWeight.length}`);
  }
  return { delta, scale, beta, alpha, ignoreIndex, labelSmoothing, weight, posWeight };
}
