// The loss registry: every loss's options, validation and kernel call. All checks happen here, in
// TypeScript, before any kernel runs; the kernels trust what they are given.

import type { KernelExports } from './wasm/exports.js';
import { describe } from './validate.js';
import { type Heap, WasmArray } from './wasm/heap.js';

/** Names accepted by `k.loss`. */
export const LOSS_NAMES = [
  'mse', 'mae', 'huber', 'smooth_l1', 'log_cosh', 'barron',
  'cross_entropy', 'softmax_cross_entropy', 'nll', 'binary_cross_entropy', 'bce_with_logits',
  'hinge', 'squared_hinge', 'kl_div', 'poisson',
] as const;

export type LossName = (typeof LOSS_NAMES)[number];
export type Reduction = 'mean' | 'sum' | 'none';

/** Float data: Float32Array, Float64Array, number[], number[][] (rows; gives the shape) or an f32 WasmArray. */
export type FloatInput = Float32Array | Float64Array | readonly number[] | readonly (readonly number[])[] | WasmArray;
/** Class indices: Int32Array, an i32 WasmArray, or number[] of integers for `nll`. */
export type IndexInput = Int32Array | WasmArray | readonly number[];

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
  weight?: Float32Array | Float64Array | readonly number[] | WasmArray;
  /** Target value that marks a row to skip (softmax_cross_entropy, nll; default −100). */
  ignoreIndex?: number;
  /** softmax_cross_entropy label smoothing in [0, 1] (default 0). */
  labelSmoothing?: number;
  /** bce_with_logits weight of positive examples per class [C]. */
  posWeight?: Float32Array | Float64Array | readonly number[] | WasmArray;
}

export interface LossResult {
  /** The reduced loss, or a Float32Array of items for reduction 'none'. */
  value: number | Float32Array;
  /** ∂value/∂input (for 'none': of the sum of the items), or null with `grad: false`. */
  grad: Float32Array | null;
}

const COMMON_OPTIONS = ['reduction', 'shape', 'grad', 'out'] as const;

interface LossDefinition {
  /** Row losses give one item per row and 'mean' divides by rows (or a weight sum). */
  rows: boolean;
  /** 'float': target like the input; 'index': class indices; 'either': decided by the target's type. */
  target: 'float' | 'index' | 'either';
  options: readonly string[];
}

const LOSSES: Record<LossName, LossDefinition> = {
  mse: { rows: false, target: 'float', options: [] },
  mae: { rows: false, target: 'float', options: [] },
  huber: { rows: false, target: 'float', options: ['delta'] },
  smooth_l1: { rows: false, target: 'float', options: ['beta'] },
  log_cosh: { rows: false, target: 'float', options: [] },
  barron: { rows: false, target: 'float', options: ['alpha', 'scale'] },
  cross_entropy: { rows: true, target: 'float', options: [] },
  softmax_cross_entropy: { rows: true, target: 'either', options: ['weight', 'ignoreIndex', 'labelSmoothing'] },
  nll: { rows: true, target: 'index', options: ['weight', 'ignoreIndex'] },
  binary_cross_entropy: { rows: false, target: 'float', options: ['weight'] },
  bce_with_logits: { rows: false, target: 'float', options: ['weight', 'posWeight'] },
  hinge: { rows: false, target: 'float', options: [] },
  squared_hinge: { rows: false, target: 'float', options: [] },
  kl_div: { rows: true, target: 'float', options: [] },
  poisson: { rows: false, target: 'float', options: [] },
};

const BARRON_GENERAL = 0;
const BARRON_CAUCHY = 1;
const BARRON_L2 = 2;
const BARRON_WELSCH = 3;

function isNumberArray(value: unknown): value is readonly number[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'number');
}

function isNestedNumberArray(value: unknown): value is readonly (readonly number[])[] {
  return Array.isArray(value) && value.length > 0 && value.every(isNumberArray);
}

/** Everything a kernel call needs, staged in WASM memory; `release()` frees the scratch. */
class Staging {
  readonly scratch: WasmArray[] = [];
  constructor(readonly heap: Heap) {}

  /** A pointer to f32 data in WASM memory: the WasmArray itself, or a copy of plain values. */
  floats(values: Float32Array | Float64Array | readonly number[] | WasmArray, what: string): number {
    if (values instanceof WasmArray) return values.ptr;
    return this.keep(this.heap.copyIn(values, 'f32', what)).ptr;
  }

  ints(values: Int32Array | readonly number[] | WasmArray, what: string): number {
    if (values instanceof WasmArray) return values.ptr;
    return this.keep(this.heap.copyIn(values, 'i32', what)).ptr;
  }

  /** Four copies of `value`, for the kernels' step-0 weight convention. */
  splat(value: number): number {
    const block = this.keep(this.heap.alloc(4, 'f32'));
    block.array.fill(value);
    return block.ptr;
  }

  /** `values` ([cols]) repeated over `rows` rows. */
  tiled(values: ArrayLike<number>, rows: number, what: string): number {
    const cols = values.length;
    const block = this.keep(this.heap.alloc(rows * cols, 'f32', what));
    const view = block.array as Float32Array;
    view.set(values);
    for (let filled = cols; filled < view.length; filled *= 2) view.copyWithin(filled, 0, Math.min(filled, view.length - filled));
    return block.ptr;
  }

  /** A zeroed-or-not scratch array of `length` f32 values. */
  output(length: number, what: string): WasmArray {
    return this.keep(this.heap.alloc(length, 'f32', what));
  }

  keep(array: WasmArray): WasmArray {
    this.scratch.push(array);
    return array;
  }

  release(): void {
    for (const array of this.scratch) array.free();
    this.scratch.length = 0;
  }
}

/** Flattens a Float input and reports its length and, for nested rows, its shape. */
function readFloatInput(
  value: unknown, what: string, heap: Heap,
): { data: Float32Array | Float64Array | readonly number[] | WasmArray; length: number; shape?: [number, number] } {
  if (value instanceof WasmArray) {
    checkWasmArray(value, what, heap, 'f32');
    return { data: value, length: value.length };
  }
  if (value instanceof Float32Array || value instanceof Float64Array) return { data: value, length: value.length };
  if (isNumberArray(value)) return { data: value, length: value.length };
  if (isNestedNumberArray(value)) {
    const cols = value[0]!.length;
    value.forEach((row, i) => {
      if (row.length !== cols) throw new RangeError(`${what}[${i}] must have ${cols} values like ${what}[0], got ${row.length}`);
    });
    return { data: value.flat(), length: value.length * cols, shape: [value.length, cols] };
  }
  throw new TypeError(
    `${what} must be a Float32Array, Float64Array, number[], number[][] or f32 WasmArray, got ${describe(value)}`,
  );
}

function checkWasmArray(array: WasmArray, what: string, heap: Heap, type: 'f32' | 'i32'): void {
  if (!array.live) throw new TypeError(`${what} is a freed WasmArray`);
  if (array.heap !== heap) throw new TypeError(`${what} is a WasmArray of another kernels instance`);
  if (array.type !== type) throw new TypeError(`${what} must be an ${type} WasmArray, got ${array.type}`);
}

function checkShape(shape: unknown, length: number): [number, number] {
  if (
    !Array.isArray(shape) || shape.length !== 2 ||
    !shape.every((v) => typeof v === 'number' && Number.isInteger(v) && v > 0)
  ) {
    throw new RangeError(`shape must be [rows, cols] of positive integers, got ${Array.isArray(shape) ? `[${shape.join(', ')}]` : describe(shape)}`);
  }
  if (shape[0] * shape[1] !== length) {
    throw new RangeError(`shape [${shape[0]}, ${shape[1]}] must multiply to the input length ${length}, got ${shape[0] * shape[1]}`);
  }
  return [shape[0], shape[1]];
}

function positive(options: LossOptions, key: 'delta' | 'scale', fallback: number, prefix: string): number {
  const value = options[key] ?? fallback;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new RangeError(`${prefix}${key} must be a positive finite number, got ${describe(value)}`);
  }
  return value;
}

function weightArray(
  value: unknown, what: string, heap: Heap | undefined,
): Float32Array | Float64Array | readonly number[] | WasmArray {
  if (value instanceof WasmArray) {
    if (!heap) throw new TypeError(`${what} must be plain data (Float32Array, Float64Array or number[]) in a spec, got ${describe(value)}`);
    checkWasmArray(value, what, heap, 'f32');
    return value;
  }
  if (value instanceof Float32Array || value instanceof Float64Array || isNumberArray(value)) return value;
  throw new TypeError(`${what} must be a Float32Array, Float64Array, number[] or f32 WasmArray, got ${describe(value)}`);
}

/** Where loss options are checked: `k.loss` knows the data; a spec knows only its output width. */
interface OptionContext {
  /** Columns (classes) of the input. */
  cols: number;
  /** Elements of the input, for element-wise weights; absent in a spec (any batch size): weights must be [C]. */
  elements?: number;
  /** The kernels instance WasmArray options must belong to; absent in a spec (plain data only). */
  heap?: Heap;
  /** Prefix of each option's name in messages ('loss.' in a spec). */
  prefix?: string;
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
      throw new TypeError(`unknown option ${JSON.stringify(key)} for ${path}; it takes ${allowed.join(', ')}`);
    }
  }
}

/**
 * Checks the per-loss options of `lossName` and returns them with defaults: the
 * one validator behind `k.loss` and spec parsing, so a bad spec fails before any worker starts.
 */
export function lossOptionValues(lossName: LossName, options: LossOptions, context: OptionContext) {
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

/** Computes loss `name` of `input` against `target` with the kernels of one instance. */
export function computeLoss(
  heap: Heap, name: unknown, input: unknown, target: unknown, options: LossOptions = {},
): LossResult {
  const { value, grad } = computeLossParts(heap, name, input, target, options);
  return { value, grad };
}

/** computeLoss, plus the sum of the items and the divisor 'mean' uses (for losses over many batches). */
export function computeLossParts(
  heap: Heap, name: unknown, input: unknown, target: unknown, options: LossOptions = {},
): LossResult & { total: number; divisor: number } {
  const k: KernelExports = heap.exports;
  if (typeof name !== 'string' || !(LOSS_NAMES as readonly string[]).includes(name)) {
    throw new TypeError(`loss name must be one of ${LOSS_NAMES.join(', ')}; got ${describe(name)}`);
  }
  const lossName = name as LossName;
  const def = LOSSES[lossName];
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`options must be an object, got ${describe(options)}`);
  }
  checkLossOptionKeys(lossName, options, COMMON_OPTIONS);

  const reduction = options.reduction ?? 'mean';
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') {
    throw new RangeError(`reduction must be 'mean', 'sum' or 'none', got ${describe(reduction)}`);
  }
  const wantGrad = options.grad ?? true;
  if (typeof wantGrad !== 'boolean') throw new TypeError(`grad must be a boolean, got ${describe(wantGrad)}`);

  const x = readFloatInput(input, 'input', heap);
  const n = x.length;
  if (n === 0) throw new RangeError('input must not be empty, got length 0');

  // Targets: class indices (Int32Array, i32 WasmArray; number[] for nll) or floats like the input.
  const indexTarget =
    target instanceof Int32Array ||
    (target instanceof WasmArray && target.type === 'i32') ||
    (def.target === 'index' && isNumberArray(target));
  if (def.target === 'index' && !indexTarget) {
    throw new TypeError(`target of loss ${lossName} must be class indices (Int32Array, i32 WasmArray or number[]), got ${describe(target)}`);
  }
  if (def.target === 'float' && indexTarget) {
    throw new TypeError(`target of loss ${lossName} must be float values like the input, got ${describe(target)}`);
  }

  let shape = x.shape;
  if (options.shape !== undefined) shape = checkShape(options.shape, n);

  let rows: number;
  let cols: number;
  let indexData: Int32Array | readonly number[] | WasmArray | undefined;
  let floatTarget: ReturnType<typeof readFloatInput> | undefined;
  if (indexTarget) {
    if (target instanceof WasmArray) checkWasmArray(target, 'target', heap, 'i32');
    indexData = target as Int32Array | readonly number[] | WasmArray;
    const m = indexData.length;
    if (shape) {
      [rows, cols] = shape;
      if (m !== rows) throw new RangeError(`target length must equal the number of rows ${rows}, got ${m}`);
    } else {
      if (m === 0 || n % m !== 0) {
        throw new RangeError(`target length must divide the input length ${n} (classes = input length ÷ target length), got ${m}`);
      }
      rows = m;
      cols = n / m;
    }
  } else {
    floatTarget = readFloatInput(target, 'target', heap);
    if (floatTarget.length !== n) {
      throw new RangeError(`target length must equal input length ${n}, got ${floatTarget.length}`);
    }
    shape ??= floatTarget.shape;
    [rows, cols] = shape ?? [n, 1];
  }

  let out: WasmArray | undefined;
  if (options.out !== undefined) {
    if (!(options.out instanceof WasmArray)) throw new TypeError(`out must be an f32 WasmArray, got ${describe(options.out)}`);
    checkWasmArray(options.out, 'out', heap, 'f32');
    if (!wantGrad) throw new TypeError('out cannot be used with grad: false');
    if (options.out.length !== n) throw new RangeError(`out length must equal input length ${n}, got ${options.out.length}`);
    if (options.out === input || options.out === target) throw new TypeError('out must not be the input or target array');
    out = options.out;
  }

  // Per-loss options, all checked before anything is staged.
  const { delta, scale, beta, alpha, ignoreIndex, labelSmoothing, weight, posWeight } = lossOptionValues(
    lossName, options, { cols, elements: n, heap },
  );
  if (options.ignoreIndex !== undefined && lossName === 'softmax_cross_entropy' && !indexTarget) {
    throw new TypeError('ignoreIndex applies to class-index targets only; the target holds probabilities');
  }

  // Class indices: every target in [0, C) or ignoreIndex; the 'mean' divisor is Σ w[t] over kept rows.
  let divisor = def.rows ? rows : n;
  if (indexData) {
    const indices = indexData instanceof WasmArray ? indexData.array : indexData;
    const classWeights = weight instanceof WasmArray ? weight.array : weight;
    let weightSum = 0;
    for (let i = 0; i < indices.length; i++) {
      const t = indices[i]!;
      if (t === ignoreIndex) continue;
      if (!Number.isInteger(t) || t < 0 || t >= cols) {
        throw new RangeError(`target[${i}] must be a class index in [0, ${cols}) or ignoreIndex ${ignoreIndex}, got ${t}`);
      }
      weightSum += classWeights ? Math.fround(classWeights[t]!) : 1;
    }
    divisor = weightSum;
  }
  const gscale = reduction === 'mean' ? 1 / divisor : 1;

  const staging = new Staging(heap);
  try {
    const xp = staging.floats(x.data, 'input');
    const yp = indexData ? staging.ints(indexData, 'target') : staging.floats(floatTarget!.data, 'target');
    const gradArray = wantGrad ? out ?? staging.output(n, 'gradient') : undefined;
    const gp = gradArray?.ptr ?? 0;
    const itemsArray = reduction === 'none' ? staging.output(def.rows ? rows : n, 'items') : undefined;
    const ip = itemsArray?.ptr ?? 0;

    // Weight arrays in the kernels' (pointer, step) form: step 0 reads four equal values.
    const classWeights = (): [number, number] => (weight ? [staging.floats(weight, 'weight'), 1] : [staging.splat(1), 0]);
    const elementWeights = (values: typeof weight): [number, number] => {
      if (!values) return [staging.splat(1), 0];
      if (values.length === n) return [staging.floats(values, 'weight'), 1];
      const plain = values instanceof WasmArray ? values.array : values;
      if (cols === 1) return [staging.splat(plain[0]!), 0];
      return [staging.tiled(plain, rows, 'weight'), 1];
    };

    let total: number;
    switch (lossName) {
      case 'mse': total = k.mse_f32(xp, yp, n, gp, ip, gscale); break;
      case 'mae': total = k.mae_f32(xp, yp, n, gp, ip, gscale); break;
      case 'huber': total = k.huber_f32(xp, yp, n, gp, ip, gscale, delta, 1); break;
      case 'smooth_l1':
        total = beta === 0 ? k.mae_f32(xp, yp, n, gp, ip, gscale) : k.huber_f32(xp, yp, n, gp, ip, gscale, beta, 1 / beta);
        break;
      case 'log_cosh': total = k.log_cosh_f32(xp, yp, n, gp, ip, gscale); break;
      case 'barron': {
        // Within float32 reach of a limit, use the limit: |α| < 1e-6 differs from Cauchy by about
        // α·log(z)/4 relative (< 1e-5), while b/α would overflow float32 for subnormal α.
        const alpha32 = Math.fround(alpha);
        const mode = alpha32 === 2 ? BARRON_L2 : Math.abs(alpha32) < 1e-6 ? BARRON_CAUCHY
          : alpha === -Infinity ? BARRON_WELSCH : BARRON_GENERAL;
        total = k.barron_f32(xp, yp, n, gp, ip, gscale, alpha, scale, mode);
        break;
      }
      case 'cross_entropy': total = k.cross_entropy_f32(xp, yp, rows, cols, gp, ip, gscale); break;
      case 'kl_div': total = k.kl_div_f32(xp, yp, rows, cols, gp, ip, gscale); break;
      case 'softmax_cross_entropy': {
        const [wp, wStep] = classWeights();
        if (indexData) {
          const plain = weight instanceof WasmArray ? weight.array : weight;
          let weightTotal = cols;
          if (plain) {
            weightTotal = 0;
            for (let j = 0; j < plain.length; j++) weightTotal += Math.fround(plain[j]!);
          }
          total = k.softmax_cross_entropy_index_f32(
            xp, yp, rows, cols, wp, wStep, weightTotal, ignoreIndex, labelSmoothing, gp, ip, gscale,
          );
        } else {
          total = k.softmax_cross_entropy_prob_f32(xp, yp, rows, cols, wp, wStep, labelSmoothing, gp, ip, gscale);
        }
        break;
      }
      case 'nll': {
        const [wp, wStep] = classWeights();
        total = k.nll_f32(xp, yp, rows, cols, wp, wStep, ignoreIndex, gp, ip, gscale);
        break;
      }
      case 'binary_cross_entropy': {
        const [wp, wStep] = elementWeights(weight);
        total = k.bce_f32(xp, yp, n, wp, wStep, gp, ip, gscale);
        break;
      }
      case 'bce_with_logits': {
        const [wp, wStep] = elementWeights(weight);
        const [pwp, pwStep] = elementWeights(posWeight);
        total = k.bce_with_logits_f32(xp, yp, n, wp, wStep, pwp, pwStep, gp, ip, gscale);
        break;
      }
      case 'hinge': total = k.hinge_f32(xp, yp, n, gp, ip, gscale, 1); break;
      case 'squared_hinge': total = k.hinge_f32(xp, yp, n, gp, ip, gscale, 2); break;
      case 'poisson': total = k.poisson_f32(xp, yp, n, gp, ip, gscale); break;
    }

    const value = itemsArray
      ? (itemsArray.array as Float32Array).slice()
      : reduction === 'mean' ? total / divisor : total;
    let grad: Float32Array | null = null;
    if (gradArray) grad = gradArray === out ? (out.array as Float32Array) : (gradArray.array as Float32Array).slice();
    return { value, grad, total, divisor };
  } finally {
    staging.release();
  }
}
