// One batch's loss and gradient — gather → forward → bound loss → backward — as used by every
// path: the trainer's own step, the data-parallel coordinator's shard and each shard worker. The
// buffers are made once per fit and the statistics object is reused: a step allocates nothing.

import { BoundLoss, lossOptionValues } from '../losses/index.js';
import type { Network } from '../model/network.js';
import { type Model, targetWidth } from '../model/spec.js';
import type { Heap, WasmArray } from '../wasm/heap.js';

/** A data set staged in WASM memory: rows × inputSize features and their targets. */
export interface Staged {
  rows: number;
  x: WasmArray;
  /** Class indices (i32) or targets (f32, rows × outputs). */
  y: WasmArray;
  /**
   * For rows that stay put (a resident set): the same rows in shared memory under a key, made once,
   * so data-parallel shard workers copy them once and keep them across fits.
   */
  share?: () => SharedRows;
}

/** Staged rows in SharedArrayBuffers, with a key that names exactly these rows. */
export interface SharedRows {
  key: string;
  x: SharedArrayBuffer;
  y: SharedArrayBuffer;
}

/** Loss sums and metric counts of a pass over some rows (added up over batches, shards or chunks). */
export class PassStats {
  /** Sum of the loss items and what 'mean' divides it by. */
  total = 0;
  divisor = 0;
  /** Correct predictions of `counted` (classification), or Σ|output − target| over `counted` values. */
  correct = 0;
  counted = 0;
  absSum = 0;
  /** The L1/L2 penalty at the weights the pass used (training passes only). */
  penalty = 0;

  reset(): this {
    this.total = this.divisor = this.correct = this.counted = this.absSum = this.penalty = 0;
    return this;
  }

  add(other: PassStats): void {
    this.total += other.total;
    this.divisor += other.divisor;
    this.correct += other.correct;
    this.counted += other.counted;
    this.absSum += other.absSum;
  }
}

/**
 * The model's loss bound for one fit or evaluation: `classWeight` (fit's option) replaces the
 * loss's own weight; element weights are staged for up to `capacity` rows. Options were checked
 * when the spec was parsed.
 */
export function bindLoss(heap: Heap, model: Model, classIndices: boolean, capacity: number, classWeight: Float32Array | null = null): BoundLoss {
  const options = classWeight ? { ...model.lossOptions, weight: classWeight } : model.lossOptions;
  const values = lossOptionValues(model.lossName, options, { cols: model.classes, heap });
  // a sequence output [T, K] is T rows of K columns for the loss
  return new BoundLoss(heap, model.lossName, values, model.classes, classIndices, capacity * model.positions);
}

/**
 * Loss and metric counts of the network's output for `samples` rows against the targets at `targets`
 * (overwrites `into`); with `grad` the loss's gradient goes into the network's output gradient. A
 * sequence output [T, K] counts each position as a row of the loss (torch's
 * cross_entropy(out.reshape(-1, K), y.reshape(-1))): the mean runs over positions, accuracy counts them.
 */
export function measure(network: Network, loss: BoundLoss, targets: number, samples: number, grad: boolean, into: PassStats): PassStats {
  const k = network.heap.exports;
  const rows = samples * network.model.positions;
  const cols = loss.cols;
  const output = network.output.ptr;
  into.reset();
  into.total = loss.run(output, targets, rows, grad ? network.outputGradient.ptr : 0);
  into.divisor = loss.divisor;
  const { metric, thresholds } = loss.record;
  if (metric === 'argmax') {
    if (loss.indexTarget) {
      into.correct = k.count_argmax_matches_i32(output, targets, rows, cols, loss.ignoreIndex);
      into.counted = loss.keptRows(targets, rows);
    } else {
      into.correct = k.count_argmax_matches_f32(output, targets, rows, cols);
      into.counted = rows;
    }
  } else if (metric === 'binary') {
    into.counted = rows * cols;
    into.correct = k.count_binary_matches_f32(output, targets, into.counted, thresholds!.output, thresholds!.target);
  } else {
    into.counted = rows * cols;
    into.absSum = k.sum_abs_diff_f32(output, targets, into.counted);
  }
  return into;
}

/** The gradient of one batch (or one shard of it): buffers for up to `capacity` rows, made once. */
export class GradientStep {
  readonly stats = new PassStats();
  /** The batch's row indices into the staged data: the caller writes them before compute(). */
  readonly indices: WasmArray;
  readonly #batchX: WasmArray;
  readonly #batchY: WasmArray;

  constructor(readonly network: Network, readonly loss: BoundLoss, capacity: number) {
    const heap = network.heap;
    const model = network.model;
    const owned: WasmArray[] = [];
    try {
      owned.push(heap.alloc(capacity, 'i32', 'batchSize'));
      owned.push(heap.alloc(capacity * model.inputSize, model.inputKind === 'index' ? 'i32' : 'f32', 'batch'));
      owned.push(heap.alloc(capacity * targetWidth(model, loss.indexTarget), loss.indexTarget ? 'i32' : 'f32', 'batch'));
    } catch (error) {
      for (const array of owned) array.free();
      throw error;
    }
    [this.indices, this.#batchX, this.#batchY] = owned as [WasmArray, WasmArray, WasmArray];
  }

  /**
   * Gathers the `rows` rows of `data` listed in `indices`, runs forward (dropout keyed by optimizer
   * step `step` and by `firstRow`, where these rows start in the whole batch), loss and backward:
   * the network's grads hold the gradient of the mean loss over these rows plus the penalties'.
   */
  compute(data: Staged, rows: number, step: number, firstRow = 0): PassStats {
    const network = this.network;
    const k = network.heap.exports;
    const model = network.model;
    // copies 4-byte values: features and token ids alike
    k.gather_rows_f32(data.x.ptr, model.inputSize, this.indices.ptr, rows, this.#batchX.ptr);
    if (this.loss.indexTarget && model.positions === 1) k.gather_i32(data.y.ptr, this.indices.ptr, rows, this.#batchY.ptr);
    else k.gather_rows_f32(data.y.ptr, targetWidth(model, this.loss.indexTarget), this.indices.ptr, rows, this.#batchY.ptr);
    network.forward(this.#batchX.ptr, rows, step, firstRow);
    measure(network, this.loss, this.#batchY.ptr, rows, true, this.stats);
    this.stats.penalty = network.backward(this.#batchX.ptr, rows);
    return this.stats;
  }

  free(): void {
    this.indices.free();
    this.#batchX.free();
    this.#batchY.free();
  }
}

/** Loss and metric counts of the network on a whole staged data set, at inference, `chunk` rows at a time. */
export function evaluateStaged(network: Network, loss: BoundLoss, data: Staged, into: PassStats, chunk = EVALUATION_CHUNK): PassStats {
  const model = network.model;
  const width = targetWidth(model, loss.indexTarget);
  const part = new PassStats();
  into.reset();
  for (let start = 0; start < data.rows; start += chunk) {
    const rows = Math.min(chunk, data.rows - start);
    network.forward(data.x.ptr + start * model.inputSize * 4, rows);
    into.add(measure(network, loss, data.y.ptr + start * width * 4, rows, false, part));
  }
  return into;
}

/** Rows per forward pass at inference (predict, evaluate, validation). */
export const EVALUATION_CHUNK = 1024;
