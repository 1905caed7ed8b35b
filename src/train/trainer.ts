// The trainer: its network, optimizer, schedule, counters and history, in whatever thread it is
// constructed in, and the calls that use them (fit, evaluate, predict, save and load, weights).
// fit stages the data in WASM memory once (train/sources.ts), then runs the epoch loop
// (train/fit-loop.ts), where every step (forward, loss, backward, optimizer update) is a sequence of
// kernel calls (train/step.ts) and the loop yields to the event loop about every 16 ms so that
// stop(), predict() and callbacks get their turn.

import { type CheckpointState, decodeCheckpoint, readWeights } from '../io/checkpoint.js';
import { modelFromSpec, type Model, type TrainerSpec, trainableTarget } from '../model/spec.js';
import { DataParallelStep } from '../parallel/coordinator.js';
import type { ShardPool } from '../parallel/pool.js';
import { runtimeName } from '../runtime.js';
import { describe, numberOption, plainObject } from '../validate.js';
import { Heap } from '../wasm/heap.js';
import { loadKernels } from '../wasm/load.js';
import type { Build } from '../wasm/builds.js';
import { sharedMemoryAvailable } from '../worker/shared-memory.js';
import { checkData, checkFeatures, checkRoom, lengthOf } from './data.js';
import { Dataset } from './dataset.js';
import { checkLastBatch, dataOptions, isDataset, planFit } from './fit-options.js';
import { FitSession } from './fit-session.js';
import { fitStream, type FitStream } from './fit-stream.js';
import { type RunFlags, runEpochs, yieldToEventLoop } from './fit-loop.js';
import { arraySource, type FitSource, residentSource, type SourceContext, streamSource } from './sources.js';
import { type BatchSource, isBatchSource } from './stream.js';
import { findLearningRate, lrFinderSettings } from './lr-finder.js';
import { measureNoiseScale, noiseScaleSettings } from './noise-scale.js';
import { TrainingState } from './training-state.js';
import type { DataOptions, EvaluateResult, Features, FitOptions, History, ParallelProfile, PredictOptions, Targets, TrainerInfo, TrainerMethods } from './types.js';
import type { LrFinderOptions, LrFinderResult, NoiseScaleOptions, NoiseScaleResult } from './types.js';
import { disposedError } from './disposed.js';
import type { GenerateOptions } from './generate.js';

export type { BatchLog, CheckpointOptions, DataOptions, DatasetHandle, PredictOptions, EarlyStoppingOptions, EpochLog, EvaluateResult, Features, FitOptions, History, Monitor, ParallelProfile, StopReason, Targets, TrainerMethods } from './types.js';
export type { LrFinderOptions, LrFinderResult, LrFinderStep, NoiseScaleOptions, NoiseScaleResult } from './types.js';

export { HISTORY_KEPT } from './training-state.js';

/** Starts the shard workers of a data-parallel trainer (ShardPool.start). */
export type PoolStarter = (shards: number, spec: TrainerSpec, options: { build: Build }) => Promise<ShardPool>;

export { Dataset } from './dataset.js';

/** What stop() and dispose() tell a running fit, read between batches; stopRequested also asks an outside check (stopWhen). */
class StopFlags implements RunFlags {
  #requested = false;
  disposed = false;
  external: (() => boolean) | null = null;

  get stopRequested(): boolean {
    return this.#requested || (this.external?.() ?? false);
  }

  set stopRequested(value: boolean) {
    this.#requested = value;
  }
}

export class Trainer implements TrainerMethods<Dataset> {
  readonly model: Model;
  readonly #heap: Heap;
  /** Network, optimizer, schedule, counters, history: what fit trains and save() writes. */
  readonly #state: TrainingState;
  #running = false;
  /** stop() and dispose() set these; a running fit reads them between batches. */
  readonly #flags = new StopFlags();
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
    this.#state = new TrainingState(model, heap);
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
      runtime: runtimeName(), build: this.#build, worker: 'none', parameters: this.#state.network.size,
      workers: this.#pool?.shards ?? 1, ...(this.#parallelNote ? { parallel: this.#parallelNote } : {}),
      memory: { wasm: this.#flags.disposed ? 0 : this.#heap.exports.memory.buffer.byteLength, datasets: this.#datasetBytes() },
    };
  }

  /** Optimizer steps taken so far (across fit calls). */
  get step(): number {
    return this.#state.step;
  }

  /** Epochs completed so far (across fit calls). */
  get epoch(): number {
    return this.#state.epoch;
  }

  /** Ends a running fit after the current batch; a no-op when idle or disposed. Never throws. */
  stop(): void {
    if (this.#running) this.#flags.stopRequested = true;
  }

  /**
   * @internal (a worker trainer's shared stop flag, src/worker/api.ts) `check` is read with stop()'s
   * flag between batches of the next fit, range test or noise estimate, until the returned function
   * is called; a call while one runs changes nothing. A flag in shared memory is seen at the next batch,
   * where a stop message would wait until the worker next reads its messages.
   */
  stopWhen(check: () => boolean): () => void {
    if (this.#running) return () => {};
    this.#flags.external = check;
    return () => {
      if (this.#flags.external === check) this.#flags.external = null;
    };
  }

  /** The whole training state as safetensors bytes (weights in torch's layouts, optimizer slots, metadata). */
  async save(): Promise<Uint8Array> {
    this.#checkAlive('save');
    return this.#state.checkpoint();
  }

  /**
   * Restores a checkpoint made by save() for the same spec (layers frozen or not, as the file has
   * them): weights, optimizer state, counters, schedule, normalisation and history. Everything is
   * checked before anything is changed.
   */
  async load(bytes: unknown): Promise<void> {
    this.#checkAlive('load');
    if (this.#running) throw new Error('load is not allowed while fit is running');
    this.#state.restore(decodeCheckpoint(bytes, this.model, this.#state.network, this.#state.slotNames));
  }

  /**
   * Freezes (`false`) or unfreezes (`true`) a layer's tensors between fits, by its index in
   * spec.layers or its `name`: a frozen layer's tensors get no optimizer slots, no update and no
   * weight gradients (batchnorm then runs on its running statistics); gradients still flow through
   * it to the layers before. Optimizer state of tensors that stay trainable is kept.
   */
  setTrainable(layer: number | string, trainable: boolean): void {
    this.#checkAlive('setTrainable');
    if (this.#running) throw new Error('setTrainable is not allowed while fit is running');
    this.#state.setTrainable(trainableTarget(this.model, layer, trainable), trainable);
  }

  /**
   * Replaces the weights with tensors from safetensors bytes made elsewhere (F32, F16, BF16 or F64,
   * named `{i}.weight`, `{i}.bias`, … in torch's layouts); optimizer state and counters are kept.
   */
  async importWeights(bytes: unknown): Promise<void> {
    this.#checkAlive('importWeights');
    const network = this.#state.network;
    const { params, states } = readWeights(bytes, network);
    (network.params.array as Float32Array).set(params);
    (network.states.array as Float32Array).set(states);
  }

  /** Layers, their inputs, output shapes and parameter counts (trainable and frozen), as a printable table. */
  summary(): string {
    return this.#state.inference.summary();
  }

  /** Parameters by checkpoint name (`{i}.weight` [out, in], `{i}.bias`, …), copied. */
  getWeights(): Record<string, Float32Array> {
    this.#checkAlive('getWeights');
    return this.#state.inference.weights();
  }

  /** Replaces parameters (and states) by checkpoint name; every tensor is checked before any is written. */
  setWeights(weights: Record<string, Float32Array | readonly number[]>): void {
    this.#checkAlive('setWeights');
    const w = plainObject('weights', weights);
    const network = this.#state.network;
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

  /** Frees the trainer's memory; later calls reject with `<call>: trainer is disposed` and the way on. */
  async dispose(): Promise<void> {
    if (this.#flags.disposed) return;
    this.#flags.stopRequested = true;
    this.#flags.disposed = true;
    await this.#pool?.dispose();
    for (const dataset of this.#datasets) dataset.dispose();
    this.#datasets.clear();
    this.#state.free();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  /**
   * Throws once the trainer is disposed: disposedError(`call`) for a call made after dispose(); a call
   * that was running when dispose() came (no `call`) rejects with `trainer is disposed`, as in a worker.
   */
  #checkAlive(call?: string): void {
    if (this.#flags.disposed) throw call === undefined ? new Error('trainer is disposed') : disposedError(call);
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
    this.#checkAlive('dataset');
    dataOptions('dataset options', options);
    checkRoom(this.#state.inference.stateBytes + this.#datasetBytes(), [['x', lengthOf(x)], ['y', lengthOf(y)]]);
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
    this.#checkAlive('fit');
    if (this.#running) throw new Error('fit is already running');
    const resident = isDataset(x);
    const streamed = !resident && isBatchSource(x);
    const plan = planFit(this.model, resident || streamed ? (y ?? {}) : options);
    const { epochs, validationSplit } = plan;
    if (!streamed && plan.stepsPerEpoch !== null) throw new TypeError('stepsPerEpoch applies to a stream of batches, not to arrays or a data set');
    const source = this.#source(x, y, plan);
    const trainRows = validationSplit > 0 ? source.rows - Math.floor(source.rows * validationSplit) : source.rows;
    if (trainRows < 1) throw new RangeError(`validationSplit ${validationSplit} leaves no training rows of ${source.rows}`);
    if (validationSplit > 0 && trainRows === source.rows) {
      throw new RangeError(`validationSplit ${validationSplit} of ${source.rows} rows selects no validation rows`);
    }
    if (!streamed) checkLastBatch(this.model, trainRows, plan.batchSize);
    if (this.#pool?.dead) throw new Error(`this trainer's shard workers failed (${this.#pool.dead.message}); create a new trainer, e.g. from its last save()`);

    // All checks done: from here on the trainer changes.
    const onAbort = () => this.stop();
    plan.signal?.addEventListener('abort', onAbort);
    const history: History = { epochs: [], stopReason: 'completed' };
    try {
      await this.#exclusive(async () => {
        if (plan.signal?.aborted) this.#flags.stopRequested = true;
        const session = await FitSession.open(this.#state, source, trainRows, plan.classWeight);
        let parallel: DataParallelStep | null = null;
        try {
          const { train } = session.feed;
          this.#state.schedule.resolveAuto(Math.max(1, epochs * session.feed.batchesPerEpoch));
          if (this.#pool && train) {
            parallel = await DataParallelStep.begin(
              this.#pool, this.#state.network, train, session.feed.capacity, plan.classWeight, this.#parallelTime, this.#state.trainableFlags(),
            );
          }
          await runEpochs(this.#state, this.#flags, { session, plan, parallel, parallelTime: this.#parallelTime }, history);
        } finally {
          await parallel?.end();
          await session.close();
        }
      });
      return history;
    } finally {
      plan.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Runs `body` as the one running call: stop() applies to it; the flags are reset after. */
  async #exclusive<T>(body: () => Promise<T>): Promise<T> {
    this.#running = true;
    this.#flags.stopRequested = false;
    try {
      return await body();
    } finally {
      this.#running = false;
      this.#flags.stopRequested = false;
    }
  }

  /** Where a fit's rows come from: a resident set, a stream, or arrays (checked now, in the caller's thread). */
  #source(x: unknown, y: unknown, plan: ReturnType<typeof planFit>): FitSource {
    const context = this.#sourceContext();
    if (isDataset(x)) return residentSource(context, this.#ownDataset(x, 'x', true), plan);
    if (isBatchSource(x)) return streamSource(context, x as BatchSource, plan);
    return arraySource(context, x as Features, y as Targets, plan);
  }

  /**
   * The learning-rate range test (Smith 2017, fastai's lr_find; train/lr-finder.ts) on arrays, a
   * resident data set or a stream of batches: `steps` steps of fit with the learning rate growing
   * exponentially from minLr to maxLr; resolves with the curve and a suggestion. Afterwards (also
   * when stopped) weights, running statistics, optimizer state, counters, schedule, normalisation
   * and history are exactly as before.
   */
  async findLearningRate(x: Features | Dataset | BatchSource, y?: Targets | LrFinderOptions, options?: LrFinderOptions): Promise<LrFinderResult> {
    this.#checkAlive('findLearningRate');
    if (this.#running) throw new Error('findLearningRate is not allowed while fit is running');
    const alone = isDataset(x) || isBatchSource(x);
    const settings = lrFinderSettings(alone ? y : options, !isDataset(x) && isBatchSource(x));
    return findLearningRate({
      step: this.#state.step,
      stop: () => this.stop(),
      fitLeavingNoTrace: (args, schedule) => this.#leavingNoTrace(() => {
        this.#state.schedule = schedule;
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
    this.#checkAlive('gradientNoiseScale');
    if (this.#running) throw new Error('gradientNoiseScale is not allowed while fit is running');
    const resident = isDataset(x);
    if (!resident && isBatchSource(x)) throw new TypeError('gradientNoiseScale needs arrays or a data set to draw its batches from, not a stream of batches');
    const settings = noiseScaleSettings(resident ? y : options);
    const plan = planFit(this.model, { batchSize: settings.largeBatchSize });
    const source = this.#source(x, y, plan);
    return this.#exclusive(() => this.#leavingNoTrace(async () => {
      const session = await FitSession.open(this.#state, source, source.rows);
      const big = this.#heap.alloc(this.#state.trainableSize, 'f32', 'parameters');
      try {
        const pause = async () => {
          await yieldToEventLoop();
          return this.#flags.stopRequested || this.#flags.disposed;
        };
        return await measureNoiseScale({
          step: session.gradientStep(settings.largeBatchSize), data: session.feed.train!, big, gradient: () => this.#state.gatherGradient(),
          seed: this.model.seed, stepNumber: this.#state.step, pause,
        }, settings);
      } finally {
        big.free();
        await session.close();
      }
    }));
  }

  /** Runs `body`, then puts the whole training state back as it was (bit for bit), the schedule object included. */
  async #leavingNoTrace<T>(body: () => Promise<T>): Promise<T> {
    const saved: CheckpointState = this.#state.snapshot();
    const schedule = this.#state.schedule;
    try {
      return await body();
    } finally {
      this.#state.schedule = schedule;
      if (!this.#flags.disposed) this.#state.restore(saved);
    }
  }

  /** Data-parallel time split since the trainer was made (ms): own chunks, waiting for the shard workers, combining + update, and chunk counts. */
  parallelProfile(): ParallelProfile {
    return { ...this.#parallelTime };
  }

  /** Loss and accuracy (classification) or mae (regression) on x, y, in inference mode. */
  async evaluate(x: Features | Dataset, y?: Targets, options: DataOptions = {}): Promise<EvaluateResult> {
    this.#checkAlive('evaluate');
    if (isDataset(x)) return this.#state.inference.evaluateDataset(this.#ownDataset(x, 'x', true));
    dataOptions('evaluate options', options);
    return this.#state.inference.evaluate(x, y);
  }

  /**
   * Outputs for x (rows × outputs): probabilities for softmax_cross_entropy (softmax) and
   * bce_with_logits (sigmoid), raw outputs otherwise or with `{ raw: true }`.
   */
  /** Token ids sampled after the prompt `ids` (src/train/generate.ts); the model must map ids to per-position logits. */
  async generate(ids: Int32Array | readonly number[], options: GenerateOptions): Promise<Int32Array> {
    this.#checkAlive('generate');
    return this.#state.inference.generate(ids, options);
  }

  async predict(x: Features | Dataset, options: PredictOptions = {}): Promise<Float32Array> {
    this.#checkAlive('predict');
    return this.#state.inference.predict(isDataset(x) ? this.#ownDataset(x, 'x', false) : x, options);
  }

  /** What fit's data sources need of this trainer. */
  #sourceContext(): SourceContext {
    const inference = this.#state.inference;
    return {
      heap: this.#heap, model: this.model, epoch: this.#state.epoch, parallel: this.#pool !== null,
      stateBytes: () => inference.stateBytes + this.#datasetBytes(),
      normalization: () => inference.normalization,
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
