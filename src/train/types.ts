// The public types of training: the data fit, evaluate and predict take, fit's options, the logs it
// reports, its history, evaluate's result.

import type { Build } from '../wasm/builds.js';
import type { GenerateOptions } from './generate.js';
/**
 * Input rows: Float32Array, Float64Array or number[] (rows × inputSize, row-major), number[][] (one
 * array per row), or Int32Array / number[] of token ids for a model whose first layer is an embedding.
 */
export type Features = Float32Array | Float64Array | Int32Array | readonly number[] | readonly (readonly number[])[];

/**
 * Targets: Int32Array or number[] of class indices (one per row) for class-index losses, else
 * Float32Array, Float64Array or number[] (rows × outputs) or number[][] (one array per row).
 */
export type Targets = Int32Array | Float32Array | Float64Array | readonly number[] | readonly (readonly number[])[];

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

export interface CheckpointOptions {
  every: 'epoch' | 'best';
  /** For 'best': the metric to watch (default as earlyStopping: 'valLoss' with validation data, else 'loss'). */
  monitor?: Monitor;
  /** Receives each checkpoint (safetensors bytes, as save()) and the epoch's log. */
  onSave: (bytes: Uint8Array, log: EpochLog) => void | Promise<void>;
}

export interface FitOptions {
  epochs?: number;
  batchSize?: number;
  shuffle?: boolean;
  validationSplit?: number;
  /** Validation rows: [x, y], or a resident data set of the same trainer (trainer.dataset(x, y)). */
  validationData?: [Features, Targets] | DatasetHandle;
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
  /**
   * Shuffle the rows (seeded by the spec's seed and the epochs trained so far) before validationSplit
   * takes the last ones; default false: the last rows as given, as Keras.
   */
  shuffleBeforeSplit?: boolean;
  /** A stream of batches: batches per epoch (default: one pass over the source per epoch). */
  stepsPerEpoch?: number;
  /** See DataOptions.transfer (x, y and validationData's arrays). */
  transfer?: boolean;
}

/** What every call that takes arrays accepts, in this thread and in a worker alike. */
export interface DataOptions {
  /**
   * Move the arrays' buffers to the worker instead of copying them (default false): they are detached
   * in the caller. Arrays are always copied (or moved) before the call returns, so a later change
   * to them never reaches a running call; in this thread nothing moves and the flag changes nothing.
   */
  transfer?: boolean;
}

/** predict's options. */
export interface PredictOptions extends DataOptions {
  /** Raw outputs instead of probabilities (default false). */
  raw?: boolean;
}

/** Runtime facts of a trainer. */
export interface TrainerInfo {
  runtime: string;
  /** The WASM build: 'relaxed' (fused multiply-add), 'simd' or 'scalar'. */
  build: Build;
  /** 'none' (this thread), 'worker_threads' or 'web-worker'. */
  worker: string;
  parameters: number;
  workers: number;
  /** Why data-parallel training is off, when it was asked for. */
  parallel?: string;
  /** Bytes: the trainer's whole WASM memory, and the part its resident data sets hold (a worker trainer: as of its last call). */
  memory?: { wasm: number; datasets: number };
}

/** A resident data set (trainer.dataset(x, y?)): its rows live in the trainer's memory until disposed. */
export interface DatasetHandle {
  readonly rows: number;
  dispose(): void | Promise<void>;
}

export interface EvaluateResult {
  loss: number;
  accuracy?: number;
  mae?: number;
}

/** Data-parallel time split (ms, summed): own chunks, waiting for the shard workers, combining + update; and chunk counts. */
export interface ParallelProfile {
  steps: number;
  /** ms the trainer's thread spent computing its own chunks. */
  compute: number;
  /** ms it waited for chunks the shard workers had claimed. */
  wait: number;
  /** ms it spent adding the chunk gradients, plus the optimizer update. */
  combine: number;
  /** Chunks of all steps (each batch is split into chunks: 1–4 per thread, by batch size and network; parallel/protocol.ts). */
  chunks: number;
  /** Of those, the chunks the trainer's own thread computed (the shard workers computed the rest). */
  ownChunks: number;
}

/** Batches from a stream (train/stream.ts): an (async) iterable of { x, y }, or a function that gives one per pass. */
type StreamOfBatches = Iterable<{ x: Features; y: Targets }> | AsyncIterable<{ x: Features; y: Targets }> | (() => Iterable<{ x: Features; y: Targets }> | AsyncIterable<{ x: Features; y: Targets }>);

/**
 * The methods every trainer offers, in this thread (Trainer) or in a worker (WorkerTrainer, whose
 * methods all return promises), with every form of their arguments: both classes implement it, so
 * neither can drift from the other. `D` is the trainer's own resident data set type.
 */
export interface TrainerMethods<D extends DatasetHandle = DatasetHandle> {
  readonly info: TrainerInfo;
  /** Checks x (and y) and copies them into the trainer's memory once: fit, evaluate and predict then name the set. */
  dataset(x: Features, y?: Targets, options?: DataOptions): Promise<D>;
  fit(x: Features, y: Targets, options?: FitOptions): Promise<History>;
  fit(data: D | StreamOfBatches, options?: FitOptions): Promise<History>;
  stop(): void;
  predict(x: Features | D, options?: PredictOptions): Promise<Float32Array>;
  /**
   * Samples `steps` token ids after the prompt `ids` from a model that maps ids [T] to per-position
   * logits [T, V] (in a worker: one round trip for all of them); see GenerateOptions.
   */
  generate(ids: Int32Array | readonly number[], options: GenerateOptions): Promise<Int32Array>;
  evaluate(x: Features, y: Targets, options?: DataOptions): Promise<EvaluateResult>;
  evaluate(data: D): Promise<EvaluateResult>;
  getWeights(): Record<string, Float32Array> | Promise<Record<string, Float32Array>>;
  setWeights(weights: Record<string, Float32Array>): void | Promise<void>;
  summary(): string | Promise<string>;
  parallelProfile(): ParallelProfile | Promise<ParallelProfile>;
  save(): Promise<Uint8Array>;
  load(bytes: Uint8Array): Promise<void>;
  importWeights(bytes: Uint8Array): Promise<void>;
  /** Freezes (false) or unfreezes (true) a layer, by index or name, between fits. */
  setTrainable(layer: number | string, trainable: boolean): void | Promise<void>;
  dispose(): Promise<void>;
  /** The learning-rate range test; the trainer is left exactly as it was. */
  findLearningRate(x: Features, y: Targets, options?: LrFinderOptions): Promise<LrFinderResult>;
  findLearningRate(data: D | StreamOfBatches, options?: LrFinderOptions): Promise<LrFinderResult>;
  /** The gradient noise scale (a batch-size estimate); the trainer is left exactly as it was. */
  gradientNoiseScale(x: Features, y: Targets, options?: NoiseScaleOptions): Promise<NoiseScaleResult>;
  gradientNoiseScale(data: D, options?: NoiseScaleOptions): Promise<NoiseScaleResult>;
}

/** Options of `findLearningRate` (fastai's lr_find defaults). */
export interface LrFinderOptions extends DataOptions {
  /** The first step's learning rate (default 1e-7). */
  minLr?: number;
  /** The last step's learning rate (default 10). */
  maxLr?: number;
  /** Steps from minLr to maxLr (default 100, at least 10); the test ends sooner when the loss diverges. */
  steps?: number;
  /** Rows per step for arrays and data sets (default 32, as fit); a stream's batches keep their size. */
  batchSize?: number;
  /** Weight of the past in the loss's moving average (default 0.98, fastai's; 0: no smoothing). */
  smoothing?: number;
  /** Called after every step, in order, before findLearningRate resolves. */
  onStep?: (log: LrFinderStep) => void | Promise<void>;
}

/** One step of the range test. */
export interface LrFinderStep {
  /** Steps done, counted from 1. */
  step: number;
  lr: number;
  /** The batch's loss (data loss + L1/L2 penalties) at the weights before this step's update. */
  loss: number;
  /** The bias-corrected moving average of `loss` up to this step (what the divergence rule watches). */
  smoothedLoss: number;
}

/** The range test's curve and its suggestion. */
export interface LrFinderResult {
  /** The learning rate of each step taken. */
  lrs: number[];
  /**
   * Each step's loss (as `onStep`'s `loss`), smoothed by the bias-corrected moving average run
   * forwards and then backwards, so the curve is not shifted towards larger rates.
   */
  losses: number[];
  /**
   * fastai's `steep` suggestion: the rate where the smoothed loss falls fastest per unit of log(lr)
   * on its way to its lowest point, leaving out the first tenth of the steps and the last five
   * (smoothed without them); NaN when fewer than two points remain (the loss diverged almost at once:
   * lower minLr).
   */
  suggestion: number;
}

/** Options of `gradientNoiseScale`. */
export interface NoiseScaleOptions extends DataOptions {
  /** Rows of the small batches (default 32). */
  smallBatchSize?: number;
  /** Rows of the large batches (default 8 × smallBatchSize); more than smallBatchSize. */
  largeBatchSize?: number;
  /** Large batches to average over (default 20). */
  batches?: number;
}

/** The gradient noise scale (McCandlish et al. 2018) and the two estimates it is the ratio of. */
export interface NoiseScaleResult {
  /**
   * B_simple = tr(Σ) / |G|² from the two estimates below: the batch size beyond which larger batches
   * stop paying off (the critical batch size is about this). The paper's B_noise = tr(HΣ)/(GᵀHG)
   * needs the Hessian H and is not computed; B_simple equals it when H is a multiple of the identity,
   * and is what the paper itself measures.
   */
  bSimple: number;
  /** Unbiased estimate of |G|², the squared norm of the whole data set's gradient (may come out ≤ 0 when it is within its noise: use more batches). */
  gradNormSq: number;
  /** Unbiased estimate of tr(Σ), the summed variance of one row's gradient. */
  trace: number;
  /** Large batches measured (fewer than asked when stopped). */
  batches: number;
}

// Both trainers have `[Symbol.asyncDispose]` (for `await using`), and their .d.ts files import this
// one. Declared here, it type-checks for a program whose lib lacks esnext.disposable (TypeScript
// < 5.2, a target below ESNext) and that has no @types/node, a browser app's usual case; written as
// lib.esnext.disposable.d.ts and @types/node write it, so it merges with theirs.
declare global {
  interface SymbolConstructor {
    readonly asyncDispose: unique symbol;
  }
}
