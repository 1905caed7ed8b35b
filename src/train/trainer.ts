// The training loop. Runs in whatever thread it is constructed in: the data set is copied into
// WASM memory once per fit, batches are gathered there by index, and every step (forward, loss,
// backward, optimizer update) is a sequence of kernel calls. The loop yields to the event loop
// about every 16 ms so that stop(), predict() and callbacks get their turn.

import { computeLossParts, type LossName } from '../losses.js';
import { Network } from '../model/network.js';
import { Random } from '../model/random.js';
import { type Model, modelFromSpec, scheduleOf, type TrainerSpec } from '../model/spec.js';
import type { TransformState } from '../optim/transform.js';
import type { Schedule } from '../schedules.js';
import { booleanOption, describe, knownKeys, numberOption, plainObject } from '../validate.js';
import { Heap, MAX_BLOCK_BYTES, MAX_MEMORY_BYTES, WasmArray } from '../wasm/heap.js';
import { type CheckpointState, decodeCheckpoint, encodeCheckpoint, readWeights } from '../io/checkpoint.js';
import { loadKernels } from '../wasm/load.js';
import { fitStream, type FitStream } from './fit-stream.js';
import type { ShardPool } from '../parallel/pool.js';
import { CONTROL_SLOTS, STATS, type ShardBuffers, shardRange, statsOf } from '../parallel/protocol.js';
import { sharedMemoryAvailable, toShared } from '../worker/shared-memory.js';

export interface EpochLog {
  /** Global epoch number, counted from 1 across fit calls. */
  epoch: number;
  loss: number;
  valLoss?: number;
  accuracy?: number;
  valAccuracy?: number;
  mae?: number;
  valMae?: number;
  /** Learning rate of the epoch's last step. */
  lr: number;
  ms: number;
}

export interface BatchLog {
  epoch: number;
  batch: number;
  loss: number;
}

export type StopReason = 'completed' | 'early_stopping' | 'stopped' | 'nan';

export interface History {
  epochs: EpochLog[];
  stopReason: StopReason;
}

export type Monitor = 'loss' | 'valLoss' | 'accuracy' | 'valAccuracy';

export interface EarlyStoppingOptions {
  monitor?: Monitor;
  patience?: number;
  minDelta?: number;
  restoreBestWeights?: boolean;
}

export interface FitOptions {
  epochs?: number;
  batchSize?: number;
  shuffle?: boolean;
  validationSplit?: number;
  validationData?: [Float32Array | readonly number[], Int32Array | Float32Array | readonly number[]];
  onEpochEnd?: (log: EpochLog) => void | Promise<void>;
  onBatchEnd?: (log: BatchLog) => void | Promise<void>;
  /** Minimum milliseconds between two onBatchEnd calls (default 50). */
  batchCallbackInterval?: number;
  earlyStopping?: EarlyStoppingOptions;
  /** Weight per class index (class-index losses only), as the loss's `weight`. */
  classWeight?: Record<number, number> | readonly number[];
  signal?: AbortSignal;
  /** Save during training: after every epoch, or when the monitored metric improves ('best'). */
  checkpoint?: CheckpointOptions;
}

export interface CheckpointOptions {
  every: 'epoch' | 'best';
  /** For 'best': the metric to watch (default as earlyStopping: 'valLoss' with validation data, else 'loss'). */
  monitor?: Monitor;
  /** Receives each checkpoint (safetensors bytes, as save()) and the epoch's log. */
  onSave: (bytes: Uint8Array, log: EpochLog) => void | Promise<void>;
}

export interface EvaluateResult {
  loss: number;
  accuracy?: number;
  mae?: number;
}

const FIT_KEYS = [
  'epochs', 'batchSize', 'shuffle', 'validationSplit', 'validationData', 'onEpochEnd', 'onBatchEnd',
  'batchCallbackInterval', 'earlyStopping', 'classWeight', 'signal', 'checkpoint',
];
/** Epoch logs a trainer (and its checkpoints) keep: the latest 100, about 15 KB of JSON. */
export const HISTORY_KEPT = 100;

const INDEX_LOSSES: readonly LossName[] = ['softmax_cross_entropy', 'nll'];
const ARGMAX_LOSSES: readonly LossName[] = ['softmax_cross_entropy', 'nll', 'cross_entropy'];
const BINARY_LOSSES: readonly LossName[] = ['binary_cross_entropy', 'bce_with_logits', 'hinge', 'squared_hinge'];
const YIELD_EVERY_MS = 16;

/** Checked fit/evaluate data, still in the caller's arrays (y converted to typed). */
interface CheckedData {
  rows: number;
  x: Float32Array | readonly number[];
  y: Int32Array | Float32Array;
}

/** A data set staged in WASM memory. */
interface Staged {
  rows: number;
  x: WasmArray;
  /** Class indices (i32) or targets (f32, rows × outputs). */
  y: WasmArray;
}

const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** Lets queued events run: setImmediate where it exists (Node), else a MessageChannel round trip. */
function yieldToEventLoop(): Promise<void> {
  const g = globalThis as { setImmediate?: (f: () => void) => void };
  if (g.setImmediate) return new Promise((resolve) => g.setImmediate!(resolve));
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/** Starts the shard workers of a data-parallel trainer (ShardPool.start). */
export type PoolStarter = (shards: number, spec: TrainerSpec, options: { simd: boolean }) => Promise<ShardPool>;

export class Trainer {
  readonly model: Model;
  readonly #heap: Heap;
  readonly #network: Network;
  #optimizer: TransformState;
  #schedule: Schedule;
  #step = 0;
  #epoch = 0;
  #running = false;
  #stopRequested = false;
  #disposed = false;
  #normalization: { mean: Float64Array; std: Float64Array } | null = null;
  /** The last HISTORY_KEPT epoch logs (carried by checkpoints, so a file does not grow with training time). */
  #history: EpochLog[] = [];
  readonly #simd: boolean;
  /** Data-parallel training: the shard workers (null: one thread computes every gradient). */
  #pool: ShardPool | null = null;
  #parallelNote = '';
  /** Where data-parallel steps spend their time (ms, summed): own shard, waiting for the others, combining and the update. */
  #parallelTime = { steps: 0, compute: 0, wait: 0, combine: 0 };
  /** A shard worker's copy of the training set and batch buffers (set by _shardBegin). */
  #shard: { train: Staged; indices: WasmArray; batchX: WasmArray; batchY: WasmArray; classWeight: Float32Array | null } | null = null;

  private constructor(model: Model, heap: Heap, simd: boolean) {
    this.model = model;
    this.#heap = heap;
    this.#simd = simd;
    this.#network = new Network(heap, model);
    this.#optimizer = model.optimizer.init({
      heap, params: this.#network.params, grads: this.#network.grads, segments: this.#network.segments,
    });
    this.#schedule = scheduleOf(model);
  }

  /**
   * Validates `spec` and builds a trainer with its own WASM instance (SIMD build when supported).
   * `workers` > 1 splits every batch across this thread and `workers − 1` shard workers (needs
   * SharedArrayBuffer; without it the trainer computes alone and `info.parallel` says why), started
   * by `startPool` (ShardPool.start; passed in so that shard workers, which build trainers too,
   * never load the code that starts workers).
   */
  static async create(spec: TrainerSpec, options: { simd?: boolean; workers?: number; startPool?: PoolStarter } = {}): Promise<Trainer> {
    const model = modelFromSpec(spec);
    const workers = numberOption('workers', options.workers, 1, { min: 1, integer: true });
    const kernels = await loadKernels(options.simd === undefined ? {} : { simd: options.simd });
    const heap = new Heap(kernels.raw);
    const trainer = new Trainer(model, heap, kernels.simd);
    if (workers > 1) {
      if (!options.startPool) {
        throw new Error('workers > 1 needs a shard pool: use createTrainer(spec, { workers })');
      } else if (!sharedMemoryAvailable()) {
        trainer.#parallelNote = `workers: ${workers} needs SharedArrayBuffer (cross-origin isolation in browsers); training in one worker`;
      } else {
        try {
          trainer.#pool = await options.startPool(workers, spec, { simd: kernels.simd });
        } catch (error) {
          await trainer.dispose();
          throw error;
        }
      }
    }
    return trainer;
  }

  /** Runtime facts: build, thread, parameter count. */
  get info(): { runtime: string; build: 'simd' | 'scalar'; worker: string; parameters: number; workers: number; parallel?: string } {
    const runtime = typeof (globalThis as { Deno?: unknown }).Deno !== 'undefined' ? 'deno'
      : typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string' ? 'node' : 'browser';
    return {
      runtime, build: this.#simd ? 'simd' : 'scalar', worker: 'none', parameters: this.#network.size,
      workers: this.#pool?.shards ?? 1, ...(this.#parallelNote ? { parallel: this.#parallelNote } : {}),
    };
  }

  /** Optimizer steps taken so far (across fit calls). */
  get step(): number {
    return this.#step;
  }

  /** Epochs completed so far (across fit calls). */
  get epoch(): number {
    return this.#epoch;
  }

  /** Ends a running fit after the current batch; a no-op when idle or disposed. Never throws. */
  stop(): void {
    if (this.#running) this.#stopRequested = true;
  }

  /** The whole training state as safetensors bytes (weights shaped as torch.nn.Linear, optimizer slots, metadata). */
  async save(): Promise<Uint8Array> {
    this.#checkAlive();
    return encodeCheckpoint(this.#state());
  }

  /**
   * Restores a checkpoint made by save() for the same spec: weights, optimizer state, counters,
   * schedule, normalisation and history. Everything is checked before anything is changed.
   */
  async load(bytes: unknown): Promise<void> {
    this.#checkAlive();
    if (this.#running) throw new Error('load is not allowed while fit is running');
    const state = decodeCheckpoint(bytes, this.model, this.#network.segments, [...this.#optimizer.slots.keys()]);
    (this.#network.params.array as Float32Array).set(state.params);
    for (const [name, values] of state.slots) this.#optimizer.slots.get(name)!.array.set(values);
    this.#optimizer.scalars = state.optimizerScalars;
    this.#step = state.step;
    this.#epoch = state.epoch;
    this.#schedule.state = state.scheduleState;
    this.#normalization = state.normalization;
    this.#history = state.history;
  }

  /**
   * Replaces the weights with tensors from safetensors bytes made elsewhere (F32, F16, BF16 or F64,
   * named `{i}.weight` [out, in] and `{i}.bias`); optimizer state and counters are kept.
   */
  async importWeights(bytes: unknown): Promise<void> {
    this.#checkAlive();
    const params = readWeights(bytes, this.#network.segments, this.#network.size);
    (this.#network.params.array as Float32Array).set(params);
  }

  #state(): CheckpointState {
    return {
      spec: this.model.spec,
      segments: this.#network.segments,
      params: (this.#network.params.array as Float32Array).slice(),
      slots: new Map([...this.#optimizer.slots].map(([name, slot]) => [name, (slot.array as Float32Array).slice()])),
      optimizerScalars: { ...this.#optimizer.scalars },
      step: this.#step,
      epoch: this.#epoch,
      scheduleState: { ...this.#schedule.state },
      normalization: this.#normalization,
      history: this.#history.map((log) => ({ ...log })),
    };
  }

  /** Layers, output shapes and parameter counts, as a printable table. */
  summary(): string {
    const lines = ['layer  type          output   activation   params'];
    for (const layer of this.model.layers) {
      const params = layer.tensors.reduce((n, tensor) => n + tensor.shape.reduce((a, b) => a * b, 1), 0);
      lines.push(`${String(layer.index).padEnd(6)} ${layer.label.padEnd(13)} ${String(layer.outputSize).padEnd(8)} ${layer.activation.padEnd(12)} ${params}`);
    }
    lines.push(`total parameters: ${this.#network.size}`);
    return lines.join('\n');
  }

  /** Parameters by checkpoint name (`{i}.weight` [out, in], `{i}.bias`), copied. */
  getWeights(): Record<string, Float32Array> {
    this.#checkAlive();
    const weights: Record<string, Float32Array> = {};
    const p = this.#network.params.array as Float32Array;
    for (const segment of this.#network.segments) weights[segment.name] = p.slice(segment.offset, segment.offset + segment.length);
    return weights;
  }

  /** Replaces parameters by checkpoint name; every tensor is checked before any is written. */
  setWeights(weights: Record<string, Float32Array | readonly number[]>): void {
    this.#checkAlive();
    const w = plainObject('weights', weights);
    const segments = new Map(this.#network.segments.map((s) => [s.name, s]));
    for (const [name, values] of Object.entries(w)) {
      const segment = segments.get(name);
      if (!segment) throw new RangeError(`weights has no tensor named ${JSON.stringify(name)}; names are ${[...segments.keys()].join(', ')}`);
      if (!(values instanceof Float32Array) && !Array.isArray(values)) {
        throw new TypeError(`weights[${JSON.stringify(name)}] must be a Float32Array or number[], got ${describe(values)}`);
      }
      if (values.length !== segment.length) {
        throw new RangeError(`weights[${JSON.stringify(name)}] must have ${segment.length} values, got ${values.length}`);
      }
    }
    const p = this.#network.params.array as Float32Array;
    for (const [name, values] of Object.entries(w)) p.set(values as ArrayLike<number>, segments.get(name)!.offset);
  }

  /** Frees the trainer's memory; later calls reject with `trainer is disposed`. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#stopRequested = true;
    this.#disposed = true;
    await this.#pool?.dispose();
    this.#optimizer.free();
    this.#network.free();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  #checkAlive(): void {
    if (this.#disposed) throw new Error('trainer is disposed');
  }

  // ---------------------------------------------------------------------------------------------

  /** fit() as an async iterator of batch and epoch events; leaving the loop early stops training. */
  fitStream(x: unknown, y: unknown, options?: FitOptions): FitStream {
    return fitStream(this, x, y, options);
  }

  /** Trains on x (rows × inputSize) and y; resolves with this call's history. */
  async fit(x: unknown, y: unknown, options: FitOptions = {}): Promise<History> {
    this.#checkAlive();
    if (this.#running) throw new Error('fit is already running');
    const o = plainObject('options', options);
    knownKeys('fit options', o, FIT_KEYS);
    const epochs = numberOption('epochs', o.epochs, 1, { min: 0, integer: true });
    const batchSize = numberOption('batchSize', o.batchSize, 32, { min: 1, integer: true });
    const shuffle = booleanOption('shuffle', o.shuffle, true);
    const validationSplit = numberOption('validationSplit', o.validationSplit, 0, { min: 0, max: 1, maxExclusive: true });
    const interval = numberOption('batchCallbackInterval', o.batchCallbackInterval, 50, { min: 0 });
    for (const key of ['onEpochEnd', 'onBatchEnd'] as const) {
      if (o[key] !== undefined && typeof o[key] !== 'function') throw new TypeError(`${key} must be a function, got ${describe(o[key])}`);
    }
    if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw new TypeError(`signal must be an AbortSignal, got ${describe(o.signal)}`);
    if (o.validationData !== undefined && validationSplit > 0) {
      throw new TypeError('validationData and validationSplit cannot both be given');
    }
    const givenRows = Math.floor(lengthOf(x) / this.model.inputSize);
    const trainRowsAtMost = givenRows - Math.floor(givenRows * validationSplit);
    const yWidth = givenRows > 0 ? lengthOf(y) / givenRows : 0;
    const [validationX, validationY] = Array.isArray(o.validationData) ? o.validationData : [];
    this.#checkRoom([
      ['x', trainRowsAtMost * this.model.inputSize], ['y', trainRowsAtMost * yWidth],
      ['the validation rows of x', (givenRows - trainRowsAtMost) * this.model.inputSize], ['the validation rows of y', (givenRows - trainRowsAtMost) * yWidth],
      ['validationData[0]', lengthOf(validationX)], ['validationData[1]', lengthOf(validationY)],
      ['a batch', Math.min(batchSize, trainRowsAtMost) * this.model.inputSize],
    ]);
    const data = this.#checkData(x, y, 'x', 'y');
    const classWeight = this.#classWeights(o.classWeight);
    const hasValidation = o.validationData !== undefined || validationSplit > 0;
    const early = this.#earlyStopping(o.earlyStopping, hasValidation);
    const checkpoint = this.#checkpointOptions(o.checkpoint, hasValidation);
    let validation: CheckedData | null = null;
    if (o.validationData !== undefined) {
      if (!Array.isArray(o.validationData) || o.validationData.length !== 2) {
        throw new TypeError(`validationData must be [x, y], got ${describe(o.validationData)}`);
      }
      validation = this.#checkData(o.validationData[0], o.validationData[1], 'validationData[0]', 'validationData[1]');
    }
    const trainRows = validationSplit > 0 ? data.rows - Math.floor(data.rows * validationSplit) : data.rows;
    if (trainRows < 1) throw new RangeError(`validationSplit ${validationSplit} leaves no training rows of ${data.rows}`);
    if (validationSplit > 0 && trainRows === data.rows) {
      throw new RangeError(`validationSplit ${validationSplit} of ${data.rows} rows selects no validation rows`);
    }

    if (this.#pool?.dead) throw new Error(`this trainer's shard workers failed (${this.#pool.dead.message}); create a new trainer, e.g. from its last save()`);

    // All checks done: from here on the trainer changes.
    this.#running = true;
    this.#stopRequested = false;
    const onAbort = () => this.stop();
    o.signal?.addEventListener('abort', onAbort);
    if ((o.signal as AbortSignal | undefined)?.aborted) this.#stopRequested = true;
    const staged: Staged[] = [];
    const history: History = { epochs: [], stopReason: 'completed' };
    try {
      if (this.model.normalize && this.#normalization === null) this.#normalization = featureStats(data.x, trainRows, this.model.inputSize);
      const train = this.#stage(data.x, data.y, 0, trainRows);
      staged.push(train);
      let val: Staged | null = null;
      if (validationSplit > 0) val = this.#stage(data.x, data.y, trainRows, data.rows);
      else if (validation) val = this.#stage(validation.x, validation.y, 0, validation.rows);
      if (val) staged.push(val);

      const batchesPerEpoch = Math.ceil(train.rows / batchSize);
      this.#schedule.resolveAuto(Math.max(1, epochs * batchesPerEpoch));
      const order = new Int32Array(train.rows);
      const indices = this.#heap.alloc(Math.min(batchSize, train.rows), 'i32', 'batchSize');
      staged.push({ rows: 0, x: indices, y: indices });
      const batchX = this.#heap.alloc(Math.min(batchSize, train.rows) * this.model.inputSize, 'f32', 'batch');
      const batchY = this.#heap.alloc(Math.min(batchSize, train.rows) * (train.y.type === 'i32' ? 1 : this.model.outputs), train.y.type, 'batch');
      staged.push({ rows: 0, x: batchX, y: batchY });
      let shared: ShardBuffers | null = null;
      let incoming: WasmArray | null = null;
      if (this.#pool) {
        incoming = this.#heap.alloc(this.#network.size, 'f32', 'gradients');
        staged.push({ rows: 0, x: incoming, y: incoming });
        shared = this.#sharedBuffers(train, Math.min(batchSize, train.rows), classWeight);
        await this.#pool.begin(shared);
      }

      let best = early ? (early.maximize ? -Infinity : Infinity) : 0;
      let bestWeights: Float32Array | null = null;
      let wait = 0;
      let lastYield = now();
      let lastBatchCallback = -Infinity;

      for (let e = 0; e < epochs && !this.#stopRequested; e++) {
        const started = now();
        const epochNumber = this.#epoch + 1;
        for (let i = 0; i < order.length; i++) order[i] = i;
        if (shuffle) new Random(this.model.seed, 0x5eed, epochNumber).shuffle(order);
        let lossSum = 0;
        let lossDivisor = 0;
        // Keras: each batch's L1/L2 penalty at the weights that batch used, averaged over the rows
        let penaltySum = 0;
        let penaltyRows = 0;
        let correct = 0;
        let counted = 0;
        let absSum = 0;
        let lr = this.#schedule.valueAt(this.#step);
        let nan = false;
        for (let start = 0; start < train.rows; start += batchSize) {
          const rows = Math.min(batchSize, train.rows - start);
          (indices.array as Int32Array).set(order.subarray(start, start + rows));
          const result = shared
            ? await this.#trainStepParallel(shared, incoming!, train, indices, batchX, batchY, rows, classWeight)
            : this.#trainStep(train, indices, batchX, batchY, rows, classWeight);
          if (!result) {
            nan = true;
            break;
          }
          lossSum += result.total;
          lossDivisor += result.divisor;
          penaltySum += result.penalty * rows;
          penaltyRows += rows;
          correct += result.correct;
          counted += result.counted;
          absSum += result.absSum;
          lr = result.lr;
          const t = now();
          if (o.onBatchEnd && t - lastBatchCallback >= interval) {
            lastBatchCallback = t;
            await (o.onBatchEnd as (log: BatchLog) => unknown)({ epoch: epochNumber, batch: start / batchSize + 1, loss: result.loss });
          }
          if (this.#stopRequested) break;
          if (t - lastYield >= YIELD_EVERY_MS) {
            await yieldToEventLoop();
            lastYield = now();
            if (this.#stopRequested || this.#disposed) break;
          }
        }
        if (nan) {
          history.stopReason = 'nan';
          break;
        }
        if (this.#disposed) break;
        if (this.#stopRequested && lossDivisor === 0) break;
        this.#epoch = epochNumber;
        const log: EpochLog = { epoch: epochNumber, loss: lossSum / lossDivisor + (penaltyRows > 0 ? penaltySum / penaltyRows : 0), lr, ms: 0 };
        Object.assign(log, this.#metric(correct, counted, absSum));
        if (val) {
          const evaluation = this.#evaluateStaged(val, classWeight);
          log.valLoss = evaluation.loss;
          if (evaluation.accuracy !== undefined) log.valAccuracy = evaluation.accuracy;
          if (evaluation.mae !== undefined) log.valMae = evaluation.mae;
        }
        log.ms = now() - started;
        history.epochs.push(log);
        this.#history.push(log);
        if (this.#history.length > HISTORY_KEPT) this.#history.splice(0, this.#history.length - HISTORY_KEPT);
        this.#schedule.observe(log.valLoss ?? log.loss);
        if (o.onEpochEnd) await (o.onEpochEnd as (log: EpochLog) => unknown)(log);
        this.#checkAlive(); // the callback may have disposed the trainer
        if (checkpoint) {
          const value = log[checkpoint.monitor] as number;
          const improved = checkpoint.maximize ? value > checkpoint.best : value < checkpoint.best;
          if (checkpoint.every === 'epoch' || improved) {
            if (improved) checkpoint.best = value;
            await checkpoint.onSave(encodeCheckpoint(this.#state()), log);
          }
        }
        if (this.#stopRequested) {
          history.stopReason = 'stopped';
          break;
        }
        if (early) {
          const value = log[early.monitor];
          if (value === undefined) throw new RangeError(`earlyStopping.monitor ${early.monitor} is not reported for this loss`);
          const improved = early.maximize ? value > best + early.minDelta : value < best - early.minDelta;
          if (improved) {
            best = value;
            wait = 0;
            if (early.restoreBestWeights) bestWeights = (this.#network.params.array as Float32Array).slice();
          } else if (++wait > early.patience) {
            if (bestWeights) (this.#network.params.array as Float32Array).set(bestWeights);
            history.stopReason = 'early_stopping';
            break;
          }
        }
      }
      this.#checkAlive(); // disposed during fit: reject, as the worker trainer does
      if (this.#stopRequested && history.stopReason === 'completed') history.stopReason = 'stopped';
      return history;
    } finally {
      await this.#pool?.end();
      for (const s of staged) {
        s.x.free();
        if (s.y !== s.x) s.y.free();
      }
      o.signal?.removeEventListener('abort', onAbort);
      this.#running = false;
      this.#stopRequested = false;
    }
  }

  /** One optimizer step on the rows of `data` listed in `indices`; null when loss or gradient is not finite. */
  #trainStep(data: Staged, indices: WasmArray, batchX: WasmArray, batchY: WasmArray, rows: number, classWeight: Float32Array | null) {
    const result = this.#batchGradient(data, indices, batchX, batchY, rows, classWeight, this.#step, 0);
    const loss = result.total / result.divisor + result.penalty;
    const lr = this.#applyGradient(loss);
    return lr === null ? null : { ...result, loss, lr };
  }

  /**
   * Gathers the `rows` rows of `data` listed in `indices` into the batch buffers, runs forward, loss
   * and backward: the gradient (mean over these rows, plus the L1/L2 penalty's) is in the network's
   * grads. `firstRow`: where these rows start in the whole batch (dropout masks), for a shard.
   */
  #batchGradient(
    data: Staged, indices: WasmArray, batchX: WasmArray, batchY: WasmArray, rows: number, classWeight: Float32Array | null,
    step: number, firstRow: number,
  ) {
    const k = this.#heap.exports;
    k.gather_rows_f32(data.x.ptr, this.model.inputSize, indices.ptr, rows, batchX.ptr);
    if (data.y.type === 'i32') k.gather_i32(data.y.ptr, indices.ptr, rows, batchY.ptr);
    else k.gather_rows_f32(data.y.ptr, this.model.outputs, indices.ptr, rows, batchY.ptr);
    this.#network.forward(batchX.ptr, rows, step, firstRow);
    const result = this.#loss(batchY, rows, true, classWeight);
    const penalty = this.#network.backward(batchX.ptr, rows);
    return { ...result, penalty };
  }

  /**
   * The optimizer step with the gradient in the network's grads; returns its learning rate, or null
   * (nothing applied) when `loss` or the gradient is not finite.
   */
  #applyGradient(loss: number): number | null {
    const gradNormSquared = this.#heap.exports.sum_squares_f32(this.#network.grads.ptr, this.#network.size);
    // NaN guard: nothing is applied, so weights and optimizer state stay those of the last finite step.
    if (!Number.isFinite(loss) || !Number.isFinite(gradNormSquared)) return null;
    const lr = this.#schedule.valueAt(this.#step);
    this.#step++;
    this.#optimizer.update(this.#step, lr);
    return lr;
  }

  /** This fit's shared memory for the shard workers: the staged (normalised) training set and step buffers. */
  #sharedBuffers(train: Staged, batchSize: number, classWeight: Float32Array | null): ShardBuffers {
    const size = this.#network.size;
    const helpers = this.#pool!.shards - 1;
    return {
      control: new SharedArrayBuffer(CONTROL_SLOTS * 4),
      params: new SharedArrayBuffer(size * 4),
      grads: new SharedArrayBuffer(helpers * size * 4),
      stats: new SharedArrayBuffer(helpers * STATS * 8),
      indices: new SharedArrayBuffer(batchSize * 4),
      x: toShared(train.x.array as Float32Array).buffer as SharedArrayBuffer,
      y: toShared(train.y.array as Float32Array | Int32Array).buffer as SharedArrayBuffer,
      yType: train.y.type as 'i32' | 'f32',
      rows: train.rows,
      batchSize,
      classWeight,
    };
  }

  /**
   * One optimizer step with the batch split across this thread (shard 0) and the shard workers. The
   * gradients are combined in shard order, each weighted by its share of the loss divisor, which is
   * exactly the gradient of the whole batch's loss (up to float32 rounding).
   */
  async #trainStepParallel(
    shared: ShardBuffers, incoming: WasmArray, data: Staged, indices: WasmArray, batchX: WasmArray, batchY: WasmArray, rows: number,
    classWeight: Float32Array | null,
  ) {
    const k = this.#heap.exports;
    const pool = this.#pool!;
    new Float32Array(shared.params).set(this.#network.params.array as Float32Array);
    new Int32Array(shared.indices).set((indices.array as Int32Array).subarray(0, rows));
    const t0 = now();
    pool.dispatch(rows, this.#step);
    const [, own] = shardRange(0, pool.shards, rows);
    const part = own > 0
      ? this.#batchGradient(data, indices, batchX, batchY, own, classWeight, this.#step, 0)
      : { total: 0, divisor: 0, correct: 0, counted: 0, absSum: 0 };
    const t1 = now();
    await pool.collect();
    const t2 = now();
    let { total, divisor, correct, counted, absSum } = part;
    const others: [number, Float32Array][] = [];
    const size = this.#network.size;
    for (let w = 1; w < pool.shards; w++) {
      const stats = statsOf(shared, w);
      total += stats[0]!;
      divisor += stats[1]!;
      correct += stats[2]!;
      counted += stats[3]!;
      absSum += stats[4]!;
      if (stats[1]! > 0) others.push([stats[1]!, new Float32Array(shared.grads, (w - 1) * size * 4, size)]);
    }
    // grads = Σ_k (divisor_k / divisor) · grads_k, in shard order (deterministic)
    const grads = this.#network.grads;
    if (own === 0) (grads.array as Float32Array).fill(0);
    let ownWeight = own > 0 ? part.divisor / divisor : 0;
    for (const [d, g] of others) {
      (incoming.array as Float32Array).set(g);
      k.scale_add_f32(grads.ptr, ownWeight, incoming.ptr, d / divisor, size);
      ownWeight = 1;
    }
    const penalty = this.#network.penalty();
    const loss = total / divisor + penalty;
    const lr = this.#applyGradient(loss);
    if (lr === null) return null;
    const time = this.#parallelTime;
    time.steps++;
    time.compute += t1 - t0;
    time.wait += t2 - t1;
    time.combine += now() - t2;
    return { total, divisor, correct, counted, absSum, penalty, loss, lr };
  }

  /** @internal (shard workers) Copies a fit's training set, already normalised, and makes the batch buffers. */
  _shardBegin(x: Float32Array, y: Int32Array | Float32Array, rows: number, batchSize: number, classWeight: Float32Array | null): void {
    this._shardEnd();
    const owned: WasmArray[] = [];
    try {
      const alloc = (n: number, type: 'f32' | 'i32') => {
        const a = this.#heap.alloc(n, type, 'shard');
        owned.push(a);
        return a;
      };
      const xs = alloc(x.length, 'f32');
      xs.array.set(x);
      const yType = y instanceof Int32Array ? 'i32' : 'f32';
      const ys = alloc(y.length, yType);
      ys.array.set(y);
      const width = yType === 'i32' ? 1 : this.model.outputs;
      this.#shard = {
        train: { rows, x: xs, y: ys },
        indices: alloc(batchSize, 'i32'),
        batchX: alloc(batchSize * this.model.inputSize, 'f32'),
        batchY: alloc(batchSize * width, yType),
        classWeight,
      };
    } catch (error) {
      for (const a of owned) a.free();
      throw error;
    }
  }

  /** @internal (shard workers) Gradient of the batch rows listed in `rows` (starting at `firstRow` of the batch). */
  _shardGradient(params: Float32Array, rows: Int32Array, firstRow: number, step: number) {
    const s = this.#shard!;
    const n = rows.length;
    if (n === 0) return { total: 0, divisor: 0, correct: 0, counted: 0, absSum: 0, grads: this.#network.grads.array as Float32Array };
    (this.#network.params.array as Float32Array).set(params);
    (s.indices.array as Int32Array).set(rows);
    const part = this.#batchGradient(s.train, s.indices, s.batchX, s.batchY, n, s.classWeight, step, firstRow);
    return { ...part, grads: this.#network.grads.array as Float32Array };
  }

  /** Data-parallel time split since the trainer was made (ms): own shard, waiting for the shard workers, combining + update. */
  parallelProfile(): { steps: number; compute: number; wait: number; combine: number } {
    return { ...this.#parallelTime };
  }

  /** @internal (tests) Terminates shard worker `k` as a crash would. */
  async _killShardWorker(k: number): Promise<void> {
    await this.#pool?.kill(k);
  }

  /** @internal (shard workers) Frees what _shardBegin made. */
  _shardEnd(): void {
    if (!this.#shard) return;
    const { train, indices, batchX, batchY } = this.#shard;
    for (const a of [train.x, train.y, indices, batchX, batchY]) a.free();
    this.#shard = null;
  }

  /** Loss of the network output for `rows` rows against `targets`, with metric counts; grads into outputGradient when `grad`. */
  #loss(targets: WasmArray, rows: number, grad: boolean, classWeight: Float32Array | null) {
    const k = this.#heap.exports;
    const outputs = this.model.outputs;
    const output = this.#network.output;
    const input = new WasmArray(this.#heap, output.ptr, rows * outputs, 'f32');
    const target = new WasmArray(this.#heap, targets.ptr, targets.type === 'i32' ? rows : rows * outputs, targets.type);
    const options = { ...this.model.lossOptions, shape: [rows, outputs] as [number, number], grad };
    if (classWeight) (options as { weight?: Float32Array }).weight = classWeight;
    const out = grad ? new WasmArray(this.#heap, this.#network.outputGradient.ptr, rows * outputs, 'f32') : undefined;
    const { total, divisor } = computeLossParts(this.#heap, this.model.lossName, input, target, { ...options, out });
    let correct = 0;
    let counted = 0;
    let absSum = 0;
    const name = this.model.lossName;
    if (ARGMAX_LOSSES.includes(name)) {
      counted = rows;
      if (targets.type === 'i32') {
        const ignore = this.model.lossOptions.ignoreIndex ?? -100;
        correct = k.count_argmax_matches_i32(output.ptr, targets.ptr, rows, outputs, ignore);
        const labels = (targets.array as Int32Array).subarray(0, rows);
        counted = labels.reduce((n, label) => n + (label === ignore ? 0 : 1), 0);
      } else {
        correct = k.count_argmax_matches_f32(output.ptr, targets.ptr, rows, outputs);
      }
    } else if (BINARY_LOSSES.includes(name)) {
      counted = rows * outputs;
      const outThreshold = name === 'binary_cross_entropy' ? 0.5 : 0;
      const targetThreshold = name === 'hinge' || name === 'squared_hinge' ? 0 : 0.5;
      correct = k.count_binary_matches_f32(output.ptr, targets.ptr, counted, outThreshold, targetThreshold);
    } else {
      counted = rows * outputs;
      absSum = k.sum_abs_diff_f32(output.ptr, targets.ptr, counted);
    }
    return { total, divisor, correct, counted, absSum };
  }

  /** accuracy (classification losses) or mae (the others) from a pass's counts. */
  #metric(correct: number, counted: number, absSum: number): { accuracy: number } | { mae: number } {
    const name = this.model.lossName;
    return ARGMAX_LOSSES.includes(name) || BINARY_LOSSES.includes(name) ? { accuracy: correct / counted } : { mae: absSum / counted };
  }

  #evaluateStaged(data: Staged, classWeight: Float32Array | null): EvaluateResult {
    const chunk = 1024;
    let total = 0;
    let divisor = 0;
    let correct = 0;
    let counted = 0;
    let absSum = 0;
    const width = data.y.type === 'i32' ? 1 : this.model.outputs;
    for (let start = 0; start < data.rows; start += chunk) {
      const rows = Math.min(chunk, data.rows - start);
      this.#network.forward(data.x.ptr + start * this.model.inputSize * 4, rows);
      const targets = new WasmArray(this.#heap, data.y.ptr + start * width * 4, rows * width, data.y.type);
      const part = this.#loss(targets, rows, false, classWeight);
      total += part.total;
      divisor += part.divisor;
      correct += part.correct;
      counted += part.counted;
      absSum += part.absSum;
    }
    return { loss: total / divisor + this.#network.penalty(), ...this.#metric(correct, counted, absSum) };
  }

  /** Loss and accuracy (classification) or mae (regression) on x, y, in inference mode. */
  async evaluate(x: unknown, y: unknown): Promise<EvaluateResult> {
    this.#checkAlive();
    this.#checkRoom([['x', lengthOf(x)], ['y', lengthOf(y)]]);
    const data = this.#checkData(x, y, 'x', 'y');
    const staged = this.#stage(data.x, data.y, 0, data.rows);
    try {
      return this.#evaluateStaged(staged, null);
    } finally {
      staged.x.free();
      staged.y.free();
    }
  }

  /**
   * Outputs for x (rows × outputs): probabilities for softmax_cross_entropy (softmax) and
   * bce_with_logits (sigmoid), raw outputs otherwise or with `{ raw: true }`.
   */
  async predict(x: unknown, options: { raw?: boolean } = {}): Promise<Float32Array> {
    this.#checkAlive();
    const o = plainObject('options', options);
    knownKeys('predict options', o, ['raw']);
    const raw = booleanOption('raw', o.raw, false);
    this.#checkRoom([['x', lengthOf(x)]]);
    const input = this.#checkFeatures(x, 'x');
    const rows = input.length / this.model.inputSize;
    const outputs = this.model.outputs;
    const result = new Float32Array(rows * outputs);
    const staged = this.#heap.alloc(input.length, 'f32', 'x length');
    const k = this.#heap.exports;
    try {
      this.#writeFeatures(staged, input, 0, rows);
      const chunk = 1024;
      for (let start = 0; start < rows; start += chunk) {
        const n = Math.min(chunk, rows - start);
        this.#network.forward(staged.ptr + start * this.model.inputSize * 4, n);
        const out = this.#network.output;
        if (!raw && this.model.lossName === 'softmax_cross_entropy') k.softmax_forward_f32(out.ptr, out.ptr, n, outputs, false);
        if (!raw && this.model.lossName === 'bce_with_logits') k.sigmoid_forward_f32(out.ptr, out.ptr, n * outputs);
        result.set((out.array as Float32Array).subarray(0, n * outputs), start * outputs);
      }
      return result;
    } finally {
      staged.free();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Data checks and staging.

  #checkFeatures(x: unknown, what: string): Float32Array | readonly number[] {
    if (!(x instanceof Float32Array) && !(Array.isArray(x) && x.every((v) => typeof v === 'number'))) {
      throw new TypeError(`${what} must be a Float32Array (rows × inputSize, row-major) or number[], got ${describe(x)}`);
    }
    const features = x as Float32Array | readonly number[];
    if (features.length === 0 || features.length % this.model.inputSize !== 0) {
      throw new RangeError(`${what} length must be a positive multiple of inputSize ${this.model.inputSize}, got ${features.length}`);
    }
    return features;
  }

  #checkData(x: unknown, y: unknown, xName: string, yName: string): CheckedData {
    const features = this.#checkFeatures(x, xName);
    const rows = features.length / this.model.inputSize;
    const outputs = this.model.outputs;
    const indexTargets = INDEX_LOSSES.includes(this.model.lossName) && (y instanceof Int32Array || this.model.lossName === 'nll');
    if (indexTargets) {
      if (!(y instanceof Int32Array) && !(Array.isArray(y) && y.every((v) => typeof v === 'number'))) {
        throw new TypeError(`${yName} must be an Int32Array of class indices for loss ${this.model.lossName}, got ${describe(y)}`);
      }
      // Checked after copying, so that another thread (shared memory) cannot change what was checked.
      const labels = y instanceof Int32Array ? y.slice() : (y as readonly number[]);
      if (labels.length !== rows) throw new RangeError(`${yName} must have one label per row of ${xName} (${rows}), got ${labels.length}`);
      const ignore = this.model.lossOptions.ignoreIndex ?? -100;
      for (let i = 0; i < labels.length; i++) {
        const label = labels[i]!;
        if (label !== ignore && !(Number.isInteger(label) && label >= 0 && label < outputs)) {
          throw new RangeError(`labels must be in [0, ${outputs}), got ${label} at ${yName}[${i}]`);
        }
      }
      return { rows, x: features, y: labels instanceof Int32Array ? labels : Int32Array.from(labels) };
    }
    if (!(y instanceof Float32Array) && !(Array.isArray(y) && y.every((v) => typeof v === 'number'))) {
      throw new TypeError(`${yName} must be a Float32Array (rows × ${outputs}) for loss ${this.model.lossName}, got ${describe(y)}`);
    }
    const targets = y as Float32Array | readonly number[];
    if (targets.length !== rows * outputs) {
      const hint = INDEX_LOSSES.includes(this.model.lossName) && targets.length === rows ? '; class indices must be an Int32Array' : '';
      throw new RangeError(`${yName} length must be rows × outputs = ${rows} × ${outputs} = ${rows * outputs}, got ${targets.length}${hint}`);
    }
    // A NaN or infinite target would only surface as a 'nan' stop at some batch: refuse it now.
    const copied = Float32Array.from(targets);
    const bad = copied.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new RangeError(`${yName} must hold finite targets, got ${targets[bad]} at ${yName}[${bad}]`);
    return { rows, x: features, y: copied };
  }

  /**
   * Refuses, before anything is copied, data that one instance cannot hold: each staged array is
   * one WASM block (at most 1 GiB) and all of them, with the model, share wasm32's 4 GiB.
   */
  #checkRoom(arrays: [what: string, values: number][]): void {
    let bytes = 4 * this.#network.size * (2 + this.#optimizer.slots.size);
    for (const [what, values] of arrays) {
      if (4 * values > MAX_BLOCK_BYTES) {
        throw new RangeError(`${what} must fit one WASM block of at most ${MAX_BLOCK_BYTES / 4} values (1 GiB), got ${values} values`);
      }
      bytes += 4 * values;
    }
    if (bytes > MAX_MEMORY_BYTES) {
      throw new RangeError(`the data and the model need ${bytes} bytes of WASM memory; one instance holds at most ${MAX_MEMORY_BYTES} (4 GiB, wasm32)`);
    }
  }

  #classWeights(value: unknown): Float32Array | null {
    if (value === undefined) return null;
    if (!INDEX_LOSSES.includes(this.model.lossName)) {
      throw new TypeError(`classWeight applies to class-index losses (softmax_cross_entropy, nll), not ${this.model.lossName}`);
    }
    const weights = new Float32Array(this.model.outputs).fill(1);
    const entries = Array.isArray(value) ? value.map((w, i) => [String(i), w] as const) : Object.entries(plainObject('classWeight', value));
    for (const [key, w] of entries) {
      const c = Number(key);
      if (!Number.isInteger(c) || c < 0 || c >= this.model.outputs) {
        throw new RangeError(`classWeight keys must be class indices in [0, ${this.model.outputs}), got ${JSON.stringify(key)}`);
      }
      weights[c] = numberOption(`classWeight[${c}]`, w, NaN, { min: 0 });
    }
    return weights;
  }

  #checkpointOptions(value: unknown, hasValidation: boolean) {
    if (value === undefined) return null;
    const c = plainObject('checkpoint', value);
    knownKeys('checkpoint', c, ['every', 'monitor', 'onSave']);
    if (c.every !== 'epoch' && c.every !== 'best') throw new RangeError(`checkpoint.every must be 'epoch' or 'best', got ${describe(c.every)}`);
    if (typeof c.onSave !== 'function') throw new TypeError(`checkpoint.onSave must be a function, got ${describe(c.onSave)}`);
    const monitor = this.#monitor('checkpoint', c.monitor, hasValidation);
    return {
      every: c.every, monitor, maximize: monitor.endsWith('ccuracy'), best: monitor.endsWith('ccuracy') ? -Infinity : Infinity,
      onSave: c.onSave as CheckpointOptions['onSave'],
    };
  }

  /** A metric name for early stopping or checkpoints, checked against the loss and the data. */
  #monitor(path: string, value: unknown, hasValidation: boolean): Monitor {
    const monitor = (value ?? (hasValidation ? 'valLoss' : 'loss')) as Monitor;
    if (!['loss', 'valLoss', 'accuracy', 'valAccuracy'].includes(monitor)) {
      throw new RangeError(`${path}.monitor must be 'loss', 'valLoss', 'accuracy' or 'valAccuracy', got ${describe(monitor)}`);
    }
    if (monitor.startsWith('val') && !hasValidation) {
      throw new RangeError(`${path}.monitor ${monitor} needs validationSplit or validationData`);
    }
    if (monitor.endsWith('ccuracy') && !ARGMAX_LOSSES.includes(this.model.lossName) && !BINARY_LOSSES.includes(this.model.lossName)) {
      throw new RangeError(`${path}.monitor ${monitor} needs a classification loss, got ${this.model.lossName}`);
    }
    return monitor;
  }

  #earlyStopping(value: unknown, hasValidation: boolean) {
    if (value === undefined) return null;
    const e = plainObject('earlyStopping', value);
    knownKeys('earlyStopping', e, ['monitor', 'patience', 'minDelta', 'restoreBestWeights']);
    const monitor = this.#monitor('earlyStopping', e.monitor, hasValidation);
    return {
      monitor,
      maximize: monitor.endsWith('ccuracy'),
      patience: numberOption('earlyStopping.patience', e.patience, 0, { min: 0, integer: true }),
      minDelta: numberOption('earlyStopping.minDelta', e.minDelta, 0, { min: 0 }),
      restoreBestWeights: booleanOption('earlyStopping.restoreBestWeights', e.restoreBestWeights, false),
    };
  }

  /** Copies rows [from, to) of x (normalised when the spec asks) and y into WASM memory. */
  #stage(x: Float32Array | readonly number[], y: Int32Array | Float32Array, from: number, to: number): Staged {
    const rows = to - from;
    const xs = this.#heap.alloc(rows * this.model.inputSize, 'f32', 'x length');
    this.#writeFeatures(xs, x, from, rows);
    const width = y instanceof Int32Array ? 1 : this.model.outputs;
    let ys: WasmArray;
    try {
      ys = this.#heap.alloc(rows * width, y instanceof Int32Array ? 'i32' : 'f32', 'y length');
    } catch (error) {
      xs.free();
      throw error;
    }
    ys.array.set(y.subarray(from * width, to * width));
    return { rows, x: xs, y: ys };
  }

  #writeFeatures(target: WasmArray, x: Float32Array | readonly number[], from: number, rows: number): void {
    const d = this.model.inputSize;
    const view = target.array as Float32Array;
    const source = x instanceof Float32Array ? x.subarray(from * d, (from + rows) * d) : x.slice(from * d, (from + rows) * d);
    view.set(source);
    const stats = this.#normalization;
    if (!stats) return;
    for (let i = 0; i < view.length; i++) {
      const j = i % d;
      view[i] = (view[i]! - stats.mean[j]!) / stats.std[j]!;
    }
  }
}

/** The length of an array argument (0 for anything else: its type is checked later, with the values). */
function lengthOf(value: unknown): number {
  const length = (ArrayBuffer.isView(value) || Array.isArray(value)) ? (value as { length?: unknown }).length : 0;
  return typeof length === 'number' ? length : 0;
}

/** Per-feature mean and standard deviation (1 where a feature is constant) of the first `rows` rows. */
function featureStats(x: Float32Array | readonly number[], rows: number, d: number): { mean: Float64Array; std: Float64Array } {
  const mean = new Float64Array(d);
  const std = new Float64Array(d);
  for (let r = 0; r < rows; r++) for (let j = 0; j < d; j++) mean[j]! += x[r * d + j]!;
  for (let j = 0; j < d; j++) mean[j]! /= rows;
  for (let r = 0; r < rows; r++) for (let j = 0; j < d; j++) std[j]! += (x[r * d + j]! - mean[j]!) ** 2;
  for (let j = 0; j < d; j++) std[j] = Math.sqrt(std[j]! / rows) || 1;
  return { mean, std };
}
