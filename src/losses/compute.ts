// `k.loss`: every argument checked in TypeScript (names, lengths, shapes, class indices, options),
// the data staged in WASM memory, then the bound loss runs and the results are copied out.

import { choiceOption, describe, notOneOf } from '../validate.js';
import type { Heap } from '../wasm/heap.js';
import { WasmArray } from '../wasm/heap.js';
import { BoundLoss } from './bound.js';
import { checkShape, checkWasmArray, type IndexInput, isNumberArray, readFloatInput } from './inputs.js';
import { checkLossOptionKeys, COMMON_OPTIONS, type LossOptions, lossOptionValues } from './options.js';
import { LOSS_NAMES, LOSSES, type LossName, type Reduction } from './records.js';
import { Staging } from './staging.js';

const REDUCTIONS: readonly Reduction[] = ['mean', 'sum', 'none'];

export interface LossResult {
  /** The reduced loss, or a Float32Array of items for reduction 'none'. */
  value: number | Float32Array;
  /** ∂value/∂input (for 'none': of the sum of the items), or null with `grad: false`. */
  grad: Float32Array | null;
}

/**
 * `loss()`'s result as its `options` decide it: `value` a number unless `reduction: 'none'`, `grad`
 * a Float32Array unless `grad: false`; both unions when the options are only known as LossOptions.
 */
export interface LossResultOf<O extends LossOptions> extends LossResult {
  // keyof, not `O extends { reduction?: … }`: an object of optional keys only matches what shares one
  value: 'reduction' extends keyof O
    ? O['reduction'] extends 'mean' | 'sum' | undefined ? number : O['reduction'] extends 'none' ? Float32Array : number | Float32Array
    : number;
  grad: 'grad' extends keyof O
    ? O['grad'] extends true | undefined ? Float32Array : O['grad'] extends false ? null : Float32Array | null
    : Float32Array;
}

/** Computes loss `name` of `input` against `target` with the kernels of one instance. */
export function computeLoss(heap: Heap, name: unknown, input: unknown, target: unknown, options: LossOptions = {}): LossResult {
  const { value, grad } = computeLossParts(heap, name, input, target, options);
  return { value, grad };
}

/** computeLoss, plus the sum of the items and the divisor 'mean' uses (for losses over many batches). */
export function computeLossParts(
  heap: Heap, name: unknown, input: unknown, target: unknown, options: LossOptions = {},
): LossResult & { total: number; divisor: number } {
  if (typeof name !== 'string' || !(LOSS_NAMES as readonly string[]).includes(name)) {
    throw notOneOf('loss name', name, LOSS_NAMES);
  }
  const lossName = name as LossName;
  const def = LOSSES[lossName];
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`options must be an object, got ${describe(options)}`);
  }
  checkLossOptionKeys(lossName, options, COMMON_OPTIONS);

  const reduction = choiceOption('reduction', options.reduction ?? 'mean', REDUCTIONS);
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
  let indexData: IndexInput | undefined;
  let floatTarget: ReturnType<typeof readFloatInput> | undefined;
  if (indexTarget) {
    if (target instanceof WasmArray) checkWasmArray(target, 'target', heap, 'i32');
    indexData = target as IndexInput;
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
  const values = lossOptionValues(lossName, options, { cols, elements: n, heap });
  if (options.ignoreIndex !== undefined && lossName === 'softmax_cross_entropy' && !indexTarget) {
    throw new TypeError('ignoreIndex applies to class-index targets only; the target holds probabilities');
  }
  // Class indices: every target in [0, C) or ignoreIndex.
  if (indexData) {
    const indices = indexData instanceof WasmArray ? indexData.array : indexData;
    for (let i = 0; i < indices.length; i++) {
      const t = indices[i]!;
      if (t === values.ignoreIndex) continue;
      if (!Number.isInteger(t) || t < 0 || t >= cols) {
        throw new RangeError(`target[${i}] must be a class index in [0, ${cols}) or ignoreIndex ${values.ignoreIndex}, got ${t}`);
      }
    }
  }

  const staging = new Staging(heap);
  let bound: BoundLoss | undefined;
  try {
    const xp = staging.floats(x.data, 'input');
    const yp = indexData ? staging.ints(indexData, 'target') : staging.floats(floatTarget!.data, 'target');
    const gradArray = wantGrad ? out ?? staging.output(n, 'gradient') : undefined;
    const itemsArray = reduction === 'none' ? staging.output(def.rows ? rows : n, 'items') : undefined;
    bound = new BoundLoss(heap, lossName, values, cols, indexTarget, rows);
    const total = bound.run(xp, yp, rows, gradArray?.ptr ?? 0, itemsArray?.ptr ?? 0, reduction === 'mean' ? 'mean' : 'sum');
    const divisor = bound.divisor;
    const value = itemsArray
      ? (itemsArray.array as Float32Array).slice()
      : reduction === 'mean' ? total / divisor : total;
    let grad: Float32Array | null = null;
    if (gradArray) grad = gradArray === out ? (out.array as Float32Array) : (gradArray.array as Float32Array).slice();
    return { value, grad, total, divisor };
  } finally {
    bound?.free();
    staging.release();
  }
}
