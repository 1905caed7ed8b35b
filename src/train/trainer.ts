// The trainer: its network, optimizer, schedule, counters and history, in whatever thread it is
// constructed in, and the calls that use them (fit, evaluate, predict, save and load, weights).
// fit stages the data in WASM memory once (train/sources.ts), then runs the epoch loop
// (train/fit-loop.ts), where every step (forward, loss, backward, optimizer update) is a sequence of
// kernel calls (train/step.ts) and the loop yields to the event loop about every 16 ms so that
// stop(), predict() and callbacks get their turn.

import { type CheckpointState, decodeCheckpoint, encodeCheckpoint, readWeights } from '../io/checkpoint.js';
import { Network } from '../model/network.js';
import { type Model, modelFromSpec, scheduleOf, type TrainerSpec } from '../model/spec.js';
import type { TransformState } from '../optim/transform.js';
import { DataParallelStep } from '../parallel/coordinator.js';
import type { ShardPool } from '../parallel/pool.js';
import { runtimeName } from '../runtime.js';
import type { Schedule } from '../schedules.js';
import { describe, numberOption, plainObject } from '../validate.js';
import { Heap } from '../wasm/heap.js';
import { loadKernels } from '../wasm/load.js';
import type { Build } from '../wasm/builds.js';
import { sharedMemoryAvailable } from '../worker/shared-memory.js';
import { checkData, checkFeatures, checkRoom, featureStats, lengthOf } from './data.js';
import { Dataset } from './dataset.js';
import { Inference } from './inference.js';
import { checkLastBatch, dataOptions, isDataset, planFit } from './fit-options.js';
import { fitStream, type FitStream } from './fit-stream.js';
import { type FitHost, runEpochs, yieldToEventLoop } from './fit-loop.js';
import { arraySource, type Owned, residentSource, type SourceContext, streamSource } from './sources.js';
import { bindLoss, EVALUATION_CHUNK, GradientStep } from './step.js';
import { type BatchSource, isBatchSource } from './stream.js';
import { findLearningRate, lrFinderSettings } from './lr-finder.js';
import { measureNoiseScale, noiseScaleSettings } from './noise-scale.js';
import type { BoundLoss } from '../losses/index.js';
import type { DataOptions, EpochLog, EvaluateResult, Features, FitOptions, History, ParallelProfile, PredictOptions, Targets, TrainerInfo, TrainerMethods } from './types.js';
import type { LrFinderOptions, LrFinderResult, NoiseScaleOptions, NoiseScaleResult } from './types.js';

export type { BatchLog, CheckpointOptions, DataOptions, DatasetHandle, PredictOptions, EarlyStoppingOptions, EpochLog, EvaluateResult, Features, FitOptions, History, Monitor, ParallelProfile, StopReason, Targets, TrainerMethods } from './types.js';
export type { LrFinderOptions, LrFinderResult, LrFinderStep, NoiseScaleOptions, NoiseScaleResult } from './types.js';

export { HISTORY_KEPT } from './fit-loop.js';

/** Starts the shard workers of a data-parallel trainer (ShardPool.start). */
export type PoolStarter = (shards: number, spec: TrainerSpec, options: { build: Build }) => Promise<ShardPool>;

export { Dataset } from './dataset.js';

export class Trainer implements TrainerMethods<Dataset> {
  readonly model: Model;
  readonly #heap: Heap;
  readonly #network: Network;
  /** predict, evaluate, summary and weights; it holds the normalisation statistics. */
  readonly #inference: Inference;
  #optimizer: TransformState;
  #schedule: Schedule;
  #step = 0;
  #epoch = 0;
  #running = false;
  #stopRequested = false;
  #disposed = false;
  /** The last HISTORY_KEPT epoch logs (carried by checkpoints, so a file does not grow with training time). */
  #history: EpochLog[] = [];
  readonly #build: Build;
  /** Data-parallel training: the shard workers (null: one thread computes every gradient). */
  #pool: ShardPool | null = null;
  #parallelNote = '';
  readonly #parallelTime: ParallelProfile = { steps: 0, compute: 0, wait: 0, combine: 0, chunks: 0, ownChunks: 0 };
  /** Resident data sets made by dataset(), freed with the trainer. */
  readonly #datasets = new Set<Dataset>();

  private constructor(model: Model, heap: Heap, build: Build) {
    this.model = model;
    this.#heap = heap;
    this.#build = build;
    this.#network = new Network(heap, model);
    this.#optimizer = model.optimizer.init({
      heap, params: this.#network.params, grads: this.#network.grads, segments: this.#network.segments,
    });
    this.#inference = new Inference(model, this.#network, 4 * this.#network.size * (2 + this.#optimizer.slots.size));
    this.#schedule = scheduleOf(model);
  }

  /**
   * Validates `spec` and builds a trainer with its own WASM instance (SIMD build when supported).
   * `workers` > 1 splits every batch across this thread and `workers − 1` shard workers (needs
   * SharedArrayBuffer; without it the trainer computes alone and `info.parallel` says why), started
   * by `startPool` (ShardPool.start, passed in so that this module never loads the code that starts workers).
   */
  static async create(spec: TrainerSpec, options: { build?: Build; simd?: boolean; workers?: number; startPool?: PoolStarter } = {}): Promise<Trainer> {
    const model = modelFromSpec(spec);
    const workers = numberOption('workers', options.workers, 1, { min: 1, integer: true });
    const kernels = await loadKernels({ build: options.build, simd: options.simd });
    const trainer = new Trainer(model, new Heap(kernels.raw), kernels.build);
    if (workers > 1) {
      if (!options.startPool) {
        throw new Error('workers > 1 needs a shard pool: use createTrainer(spec, { workers })');
      } else if (!sharedMemoryAvailable()) {
        trainer.#parallelNote = `workers: ${workers} needs SharedArrayBuffer (cross-origin isolation in browsers); training in one worker`;
      } else {
        try {
          trainer.#pool = await options.startPool(workers, spec, { build: kernels.build });
        } catch (error) {
          await trainer.dispose();
          throw error;
        }
      }
    }
    return trainer;
  }

  /** Runtime facts: build, thread, parameter count. */
  get info(): TrainerInfo {
    return {
      runtime: runtimeName(), build: this.#build, worker: 'none', parameters: this.#network.size,
      workers: this.#pool?.shards ?? 1, ...(this.#parallelNote ? { parallel: this.#parallelNote } : {}),
      memory: { wasm: this.#disposed ? 0 : this.#heap.exports.memory.buffer.byteLength, datasets: this.#datasetBytes() },
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

  /** The whole training state as safetensors bytes (weights in torch's layouts, optimizer slots, metadata). */
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
    this.#restore(decodeCheckpoint(bytes, this.model, this.#network, [...this.#optimizer.slots.keys()]));
  }

  /** Puts back a whole training state (from #state() or a checkpoint). */
  #restore(state: Omit<CheckpointState, 'spec' | 'segments' | 'stateSegments'>): void {
    (this.#network.params.array as Float32Array).set(state.params);
    (this.#network.states.array as Float32Array).set(state.states);
    for (const [name, values] of state.slots) this.#optimizer.slots.get(name)!.array.set(values);
    this.#optimizer.scalars = state.optimizerScalars;
    this.#step = state.step;
    this.#epoch = state.epoch;
    this.#schedule.state = state.scheduleState;
    this.#inference.normalization = state.normalization;
    this.#history = state.history;
  }

  /**
   * Replaces the weights with tensors from safetensors bytes made elsewhere (F32, F16, BF16 or F64,
   * named `{i}.weight`, `{i}.bias`, … in torch's layouts); optimizer state and counters are kept.
   */
  async importWeights(bytes: unknown): Promise<void> {
    this.#checkAlive();
    const { params, states } = readWeights(bytes, this.#network);
    (this.#network.params.array as Float32Array).set(params);
    (this.#network.states.array as Float32Array).set(states);
  }

  #state(): CheckpointState {
    return {
      spec: this.model.spec,
      segments: this.#network.segments,
      params: (this.#network.params.array as Float32Array).slice(),
      stateSegments: this.#network.stateSegments,
      states: (this.#network.states.array as Float32Array).slice(),
      slots: new Map([...this.#optimizer.slots].map(([name, slot]) => [name, (slot.array as Float32Array).slice()])),
      optimizerScalars: { ...this.#optimizer.scalars },
      step: this.#step,
      epoch: this.#epoch,
      scheduleState: { ...this.#schedule.state },
      normalization: this.#inference.normalization,
      history: this.#history.map((log) => ({ ...log })),
    };
  }

  /** Layers, output widths and parameter counts, as a printable table. */
  summary(): string {
    return this.#inference.summary();
  }

  /** Parameters by checkpoint name (`{i}.weight` [out, in], `{i}.bias`, …), copied. */
  getWeights(): Record<string, Float32Array> {
    this.#checkAlive();
    return this.#inference.weights();
  }

  /** Replaces parameters (and states) by checkpoint name; every tensor is checked before any is written. */
  setWeights(weights: Record<string, Float32Array | readonly number[]>): void {
    this.#checkAlive();
    const w = plainObject('weights', weights);
    const network = this.#network;
    const places = new Map([
      ...network.segments.map((s) => [s.name, { segment: s, buffer: network.params }] as const),
      ...network.stateSegments.map((s) => [s.name, { segment: s, buffer: network.states }] as const),
    ]);
    for (const [name, values] of Object.entries(w)) {
      const place = places.get(name);
      if (!place) throw new RangeError(`weights has no tensor named ${JSON.stringify(name)}; names are ${[...places.keys()].join(', ')}`);
      if (!(values instanceof Float32Array) && !Array.isArray(values)) {
        throw new TypeError(`weights[${JSON.stringify(name)}] must be a Float32Array or number[], got ${describe(values)}`);
      }
      if (values.length !== place.segment.length) {
        throw new RangeError(`weights[${JSON.stringify(name)}] must have ${place.segment.length} values, got ${values.length}`);
      }
    }
    for (const [name, values] of Object.entries(w)) {
      const { segment, buffer } = places.get(name)!;
      (buffer.array as Float32Array).set(values as ArrayLike<number>, segment.offset);
    }
  }

  /** Frees the trainer's memory; later calls reject with `trainer is disposed`. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#stopRequested = true;
    this.#disposed = true;
    await this.#pool?.dispose();
    for (const dataset of this.#datasets) dataset.dispose();
    this.#datasets.clear();
    this.#optimizer.free();
    this.#network.free();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  #checkAlive(): void {
    if (this.#disposed) throw new Error('trainer is disposed');
  }

  /** fit() as an async iterator of batch and epoch events; leaving the loop early stops training. */
  fitStream(x: Features, y: Targets, options?: FitOptions): FitStream {
    return fitStream(this, x, y, options);
  }

  /**
   * Checks `x` and `y` once and copies them into this trainer's WASM memory, where fit, evaluate and
   * predict use them in place on every call (`y` may be left out for a predict-only set). The copy
   * is made before the promise is returned; `transfer` (DataOptions) changes nothing in this thread.
   */
  async dataset(x: Features, y?: Targets, options: DataOptions = {}): Promise<Dataset> {
    this.#checkAlive();
    dataOptions('dataset options', options);
    checkRoom(this.#inference.stateBytes + this.#datasetBytes(), [['x', lengthOf(x)], ['y', lengthOf(y)]]);
    const data = y === undefined ? { rows: checkFeatures(this.model, x, 'x').length / this.model.inputSize, x: checkFeatures(this.model, x, 'x'), y: null }
      : checkData(this.model, x, y, 'x', 'y');
    const dataset = new Dataset(this, this.#heap, this.model, data);
    this.#datasets.add(dataset);
    return dataset;
  }

  #datasetBytes(): number {
    let bytes = 0;
    for (const dataset of this.#datasets) bytes += dataset.disposed ? 0 : dataset.bytes;
    return bytes;
  }

  /**
   * Trains on x (rows × inputSize) and y, on a resident data set (`fit(dataset, options)`) or on a
   * stream of batches (`fit(source, options)`); resolves with this call's history.
   */
  async fit(x: Features | Dataset | BatchSource, y?: Targets | FitOptions, options: FitOptions = {}): Promise<History> {
    this.#checkAlive();
    if (this.#running) throw new Error('fit is already running');
    const resident = isDataset(x);
    const streamed = !resident && isBatchSource(x);
    const plan = planFit(this.model, resident || streamed ? (y ?? {}) : options);
    const { epochs, validationSplit } = plan;
    if (!streamed && plan.stepsPerEpoch !== null) throw new TypeError('stepsPerEpoch applies to a stream of batches, not to arrays or a data set');
    const context = this.#sourceContext();
    const source = streamed ? streamSource(context, x as BatchSource, plan)
      : resident ? residentSource(context, this.#ownDataset(x, 'x', true), plan) : arraySource(context, x as Features, y as Targets, plan);
    const trainRows = validationSplit > 0 ? source.rows - Math.floor(source.rows * validationSplit) : source.rows;
    if (trainRows < 1) throw new RangeError(`validationSplit ${validationSplit} leaves no training rows of ${source.rows}`);
    if (validationSplit > 0 && trainRows === source.rows) {
      throw new RangeError(`validationSplit ${validationSplit} of ${source.rows} rows selects no validation rows`);
    }
    if (!streamed) checkLastBatch(this.model, trainRows, plan.batchSize);
    if (this.#pool?.dead) throw new Error(`this trainer's shard workers failed (${this.#pool.dead.message}); create a new trainer, e.g. from its last save()`);

    // All checks done: from here on the trainer changes.
    this.#running = true;
    this.#stopRequested = false;
    const onAbort = () => this.stop();
    plan.signal?.addEventListener('abort', onAbort);
    if (plan.signal?.aborted) this.#stopRequested = true;
    const owned: Owned = [];
    let parallel: DataParallelStep | null = null;
    const history: History = { epochs: [], stopReason: 'completed' };
    try {
      if (this.model.normalize && this.#inference.normalization === null) {
        this.#inference.normalization = featureStats(source.features(), trainRows, this.model.inputSize);
      }
      const stats = this.#inference.normalization;
      const feed = await source.stage(stats, trainRows, owned);
      const { train } = feed;

      this.#schedule.resolveAuto(Math.max(1, epochs * feed.batchesPerEpoch));
      // the step and the bound loss grow with the largest batch (only a stream's batches vary)
      let capacity = 0;
      let loss: BoundLoss | null = null;
      let step: GradientStep | null = null;
      owned.push({ free: () => { step?.free(); loss?.free(); } });
      const ensureCapacity = (rows: number) => {
        if (rows <= capacity) return;
        step?.free();
        loss?.free();
        step = null;
        loss = bindLoss(this.#heap, this.model, feed.classIndices, Math.max(rows, EVALUATION_CHUNK), plan.classWeight);
        step = new GradientStep(this.#network, loss, rows);
        capacity = rows;
      };
      ensureCapacity(feed.capacity);
      if (this.#pool && train) parallel = await DataParallelStep.begin(this.#pool, this.#network, train, capacity, plan.classWeight, this.#parallelTime);

      await runEpochs(this.#fitHost(), {
        feed, plan, parallel,
        gradientStep: (rows) => {
          ensureCapacity(rows);
          return step!;
        },
        loss: () => loss!,
      }, history);
      return history;
    } finally {
      await parallel?.end();
      for (const item of owned) await item.free();
      plan.signal?.removeEventListener('abort', onAbort);
      this.#running = false;
      this.#stopRequested = false;
    }
  }

  /** The epoch loop's view of this trainer (train/fit-loop.ts): accessors to its private state. */
  #fitHost(): FitHost {
    const trainer = this;
    return {
      model: this.model,
      network: this.#network,
      inference: this.#inference,
      parallelTime: this.#parallelTime,
      get schedule() { return trainer.#schedule; },
      get step() { return trainer.#step; },
      get epoch() { return trainer.#epoch; },
      set epoch(value: number) { trainer.#epoch = value; },
      get history() { return trainer.#history; },
      get stopRequested() { return trainer.#stopRequested; },
      get disposed() { return trainer.#disposed; },
      applyGradient: (loss) => this.#applyGradient(loss),
      checkAlive: () => this.#checkAlive(),
      checkpoint: () => encodeCheckpoint(this.#state()),
    };
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

  /**
   * The learning-rate range test (Smith 2017, fastai's lr_find; train/lr-finder.ts) on arrays, a
   * resident data set or a stream of batches: `steps` steps of fit with the learning rate growing
   * exponentially from minLr to maxLr; resolves with the curve and a suggestion. Afterwards (also
   * when stopped) weights, running statistics, optimizer state, counters, schedule, normalisation
   * and history are exactly as before.
   */
  async findLearningRate(x: Features | Dataset | BatchSource, y?: Targets | LrFinderOptions, options?: LrFinderOptions): Promise<LrFinderResult> {
    this.#checkAlive();
    if (this.#running) throw new Error('findLearningRate is not allowed while fit is running');
    const alone = isDataset(x) || isBatchSource(x);
    const settings = lrFinderSettings(alone ? y : options, !isDataset(x) && isBatchSource(x));
    return findLearningRate({
      step: this.#step,
      stop: () => this.stop(),
      fitLeavingNoTrace: (args, schedule) => this.#leavingNoTrace(() => {
        this.#schedule = schedule;
        return (this.fit as (...a: unknown[]) => Promise<History>)(...args);
      }),
    }, x, alone ? undefined : y as Targets, settings);
  }

  /**
   * The gradient noise scale (McCandlish et al. 2018; train/noise-scale.ts) on arrays or a resident
   * data set: an estimate of the batch size beyond which larger batches stop paying off. Computes
   * gradients only (in this thread, also with data-parallel workers); the trainer is left exactly as it was.
   */
  async gradientNoiseScale(x: Features | Dataset, y?: Targets | NoiseScaleOptions, options?: NoiseScaleOptions): Promise<NoiseScaleResult> {
    this.#checkAlive();
    if (this.#running) throw new Error('gradientNoiseScale is not allowed while fit is running');
    const resident = isDataset(x);
    if (!resident && isBatchSource(x)) throw new TypeError('gradientNoiseScale needs arrays or a data set to draw its batches from, not a stream of batches');
    const settings = noiseScaleSettings(resident ? y : options);
    const context = this.#sourceContext();
    const plan = planFit(this.model, { batchSize: settings.largeBatchSize });
    const source = resident ? residentSource(context, this.#ownDataset(x, 'x', true), plan) : arraySource(context, x as Features, y as Targets, plan);
    this.#running = true;
    this.#stopRequested = false;
    const owned: Owned = [];
    try {
      return await this.#leavingNoTrace(async () => {
        if (this.model.normalize && this.#inference.normalization === null) {
          this.#inference.normalization = featureStats(source.features(), source.rows, this.model.inputSize);
        }
        const feed = await source.stage(this.#inference.normalization, source.rows, owned);
        const loss = bindLoss(this.#heap, this.model, feed.classIndices, Math.max(settings.largeBatchSize, EVALUATION_CHUNK));
        owned.push(loss);
        const step = new GradientStep(this.#network, loss, settings.largeBatchSize);
        owned.push(step);
        const big = this.#heap.alloc(this.#network.size, 'f32', 'parameters');
        owned.push(big);
        const pause = async () => {
          await yieldToEventLoop();
          return this.#stopRequested || this.#disposed;
        };
        return measureNoiseScale({ step, data: feed.train!, big, seed: this.model.seed, stepNumber: this.#step, pause }, settings);
      });
    } finally {
      for (const item of owned.reverse()) await item.free();
      this.#running = false;
      this.#stopRequested = false;
    }
  }

  /** Runs `body`, then puts the whole training state back as it was (bit for bit), the schedule object included. */
  async #leavingNoTrace<T>(body: () => Promise<T>): Promise<T> {
    const saved = this.#state();
    const schedule = this.#schedule;
    try {
      return await body();
    } finally {
      this.#schedule = schedule;
      if (!this.#disposed) this.#restore(saved);
    }
  }

  /** Data-parallel time split since the trainer was made (ms): own chunks, waiting for the shard workers, combining + update, and chunk counts. */
  parallelProfile(): ParallelProfile {
    return { ...this.#parallelTime };
  }

  /** Loss and accuracy (classification) or mae (regression) on x, y, in inference mode. */
  async evaluate(x: Features | Dataset, y?: Targets, options: DataOptions = {}): Promise<EvaluateResult> {
    this.#checkAlive();
    if (isDataset(x)) return this.#inference.evaluateDataset(this.#ownDataset(x, 'x', true));
    dataOptions('evaluate options', options);
    return this.#inference.evaluate(x, y);
  }

  /**
   * Outputs for x (rows × outputs): probabilities for softmax_cross_entropy (softmax) and
   * bce_with_logits (sigmoid), raw outputs otherwise or with `{ raw: true }`.
   */
  async predict(x: Features | Dataset, options: PredictOptions = {}): Promise<Float32Array> {
    this.#checkAlive();
    return this.#inference.predict(isDataset(x) ? this.#ownDataset(x, 'x', false) : x, options);
  }

  /** What fit's data sources need of this trainer. */
  #sourceContext(): SourceContext {
    return {
      heap: this.#heap, model: this.model, epoch: this.#epoch, parallel: this.#pool !== null,
      stateBytes: () => this.#inference.stateBytes + this.#datasetBytes(),
      normalization: () => this.#inference.normalization,
      ownDataset: (value, what, needTargets) => this.#ownDataset(value, what, needTargets),
    };
  }

  /** `value` as a live data set of this trainer (`needTargets`: fit and evaluate need y). */
  #ownDataset(value: unknown, what: string, needTargets: boolean): Dataset {
    if (!(value instanceof Dataset)) throw new TypeError(`${what} is a data set of another trainer`);
    value.check(this, what, needTargets);
    return value;
  }
}
