// A loss bound once to its checked options, its weights (staged in WASM memory) and the widest
// batch it will see. run() takes pointers only: the training hot path neither validates nor
// allocates. `k.loss` binds, runs and copies out; a trainer binds once per fit.

import type { KernelExports } from '../wasm/exports.js';
import type { Heap } from '../wasm/heap.js';
import { WasmArray } from '../wasm/heap.js';
import type { FloatValues } from './inputs.js';
import type { LossValues } from './options.js';
import { LOSSES, type LossName, type LossRecord } from './records.js';
import { Staging } from './staging.js';

const BARRON_GENERAL = 0;
const BARRON_CAUCHY = 1;
const BARRON_L2 = 2;
const BARRON_WELSCH = 3;

/** Weights in the kernels' (pointer, step) form: step 0 reads four equal values. */
type Weights = [pointer: number, step: number];

export class BoundLoss {
  readonly record: LossRecord;
  /** What 'mean' divided by in the last run: Σ w[t] over kept rows (index targets), rows (row losses) or elements. */
  divisor = 0;
  readonly #k: KernelExports;
  readonly #staging: Staging;
  readonly #values: LossValues;
  readonly #barronMode: number;
  readonly #classWeights: Weights;
  readonly #weightTotal: number;
  readonly #elementWeights: Weights;
  readonly #posWeights: Weights;
  /** A splat of ones: counts kept rows with the weight-sum kernel. */
  readonly #ones: number;

  /**
   * `values` from lossOptionValues (checked); outputs have `cols` columns; `indexTarget` says the
   * targets are class indices; element weights of [C] are tiled over `capacityRows` rows once.
   */
  constructor(
    heap: Heap, readonly name: LossName, values: LossValues, readonly cols: number, readonly indexTarget: boolean, capacityRows: number,
  ) {
    this.record = LOSSES[name];
    this.#k = heap.exports;
    this.#values = values;
    const staging = new Staging(heap);
    this.#staging = staging;
    try {
      this.#ones = staging.splat(1);
      const { weight, posWeight } = values;
      const plain = (w: FloatValues) => (w instanceof WasmArray ? (w.array as Float32Array) : w);
      this.#classWeights = this.record.rows && weight ? [staging.floats(weight, 'weight'), 1] : [this.#ones, 0];
      let total = cols;
      if (this.record.rows && weight) {
        total = 0;
        for (const w of plain(weight)) total += Math.fround(w);
      }
      this.#weightTotal = total;
      const elementWeights = (w: FloatValues | undefined, what: string): Weights => {
        if (!w) return [this.#ones, 0];
        if (w.length !== cols) return [staging.floats(w, what), 1]; // one weight per element (k.loss)
        if (cols === 1) return [staging.splat(plain(w)[0]!), 0];
        return [staging.tiled(plain(w), capacityRows, what), 1];
      };
      this.#elementWeights = this.record.rows ? [this.#ones, 0] : elementWeights(weight, 'weight');
      this.#posWeights = elementWeights(posWeight, 'posWeight');
    } catch (error) {
      staging.release();
      throw error;
    }
    // Within float32 reach of a limit, use the limit: |α| < 1e-6 differs from Cauchy by about
    // α·log(z)/4 relative (< 1e-5), while b/α would overflow float32 for subnormal α.
    const alpha32 = Math.fround(values.alpha);
    this.#barronMode = alpha32 === 2 ? BARRON_L2 : Math.abs(alpha32) < 1e-6 ? BARRON_CAUCHY
      : values.alpha === -Infinity ? BARRON_WELSCH : BARRON_GENERAL;
  }

  /** The class index that marks a row to skip. */
  get ignoreIndex(): number {
    return this.#values.ignoreIndex;
  }

  /** Rows of `rows` index targets at `target` that are not ignoreIndex. */
  keptRows(target: number, rows: number): number {
    return this.#k.index_weight_sum_i32(target, rows, this.#ones, 0, this.#values.ignoreIndex);
  }

  /**
   * The loss of rows × cols values at `input` against the targets at `target`: returns the sum of
   * the items and sets `divisor`; writes the gradient of the mean ('sum': of the sum) into `grad`
   * and the items into `items` where those pointers are not 0.
   */
  run(input: number, target: number, rows: number, grad: number, items = 0, reduction: 'mean' | 'sum' = 'mean'): number {
    const k = this.#k;
    const cols = this.cols;
    const n = rows * cols;
    const [wp, wStep] = this.#classWeights;
    const { delta, beta, alpha, scale, ignoreIndex, labelSmoothing } = this.#values;
    const divisor = this.indexTarget ? k.index_weight_sum_i32(target, rows, wp, wStep, ignoreIndex) : this.record.rows ? rows : n;
    this.divisor = divisor;
    const gscale = reduction === 'mean' ? 1 / divisor : 1;
    switch (this.name) {
      case 'mse': return k.mse_f32(input, target, n, grad, items, gscale);
      case 'mae': return k.mae_f32(input, target, n, grad, items, gscale);
      case 'huber': return k.huber_f32(input, target, n, grad, items, gscale, delta, 1);
      case 'smooth_l1':
        return beta === 0 ? k.mae_f32(input, target, n, grad, items, gscale) : k.huber_f32(input, target, n, grad, items, gscale, beta, 1 / beta);
      case 'log_cosh': return k.log_cosh_f32(input, target, n, grad, items, gscale);
      case 'barron': return k.barron_f32(input, target, n, grad, items, gscale, alpha, scale, this.#barronMode);
      case 'cross_entropy': return k.cross_entropy_f32(input, target, rows, cols, grad, items, gscale);
      case 'kl_div': return k.kl_div_f32(input, target, rows, cols, grad, items, gscale);
      case 'softmax_cross_entropy':
        return this.indexTarget
          ? k.softmax_cross_entropy_index_f32(input, target, rows, cols, wp, wStep, this.#weightTotal, ignoreIndex, labelSmoothing, grad, items, gscale)
          : k.softmax_cross_entropy_prob_f32(input, target, rows, cols, wp, wStep, labelSmoothing, grad, items, gscale);
      case 'nll': return k.nll_f32(input, target, rows, cols, wp, wStep, ignoreIndex, grad, items, gscale);
      case 'binary_cross_entropy': {
        const [ep, eStep] = this.#elementWeights;
        return k.bce_f32(input, target, n, ep, eStep, grad, items, gscale);
      }
      case 'bce_with_logits': {
        const [ep, eStep] = this.#elementWeights;
        const [pp, pStep] = this.#posWeights;
        return k.bce_with_logits_f32(input, target, n, ep, eStep, pp, pStep, grad, items, gscale);
      }
      case 'hinge': return k.hinge_f32(input, target, n, grad, items, gscale, 1);
      case 'squared_hinge': return k.hinge_f32(input, target, n, grad, items, gscale, 2);
      case 'poisson': return k.poisson_f32(input, target, n, grad, items, gscale);
    }
  }

  /** Frees the staged weights. */
  free(): void {
    this.#staging.release();
  }
}
