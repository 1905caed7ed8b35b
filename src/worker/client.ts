// The caller's side of a worker trainer: a plain object (not the raw Comlink proxy, which would turn
// every property, Symbol.asyncDispose included, into a remote call) that tracks pending calls and
// rejects them all when the worker dies, so nothing ever hangs.

import { spawnWorker, type SpawnedWorker } from '#worker-spawn';
import * as Comlink from 'comlink';
import { type Model, modelFromSpec, type TrainerSpec, trainableTarget } from '../model/spec.js';
import { DATASET, dataOptions, isDataset, planFit } from '../train/fit-options.js';
import { type BatchSource, isBatchSource } from '../train/stream.js';
import { fitStream, type FitStream } from '../train/fit-stream.js';
import type { DataOptions, DatasetHandle, EvaluateResult, Features, FitOptions, History, ParallelProfile, PredictOptions, Targets, TrainerMethods } from '../train/types.js';
import { booleanOption, knownKeys, plainObject } from '../validate.js';
import { crossingHooks, type DataRequest, type DatasetRef, type Hooks, rebuildError, type Reply, servePulls, splitFit, type TrainerApi, type TrainerInfo } from './protocol.js';
import { PendingCalls } from './spawned.js';
import { disposedError } from '../train/disposed.js';
import { sharedMemoryAvailable } from './shared-memory.js';
import { TransitBuffers } from './transit.js';
import { lrFinderSettings } from '../train/lr-finder.js';
import { noiseScaleSettings } from '../train/noise-scale.js';
import { checkGenerate, type GenerateOptions } from '../train/generate.js';
import type { LrFinderOptions, LrFinderResult, NoiseScaleOptions, NoiseScaleResult } from '../train/types.js';
import type { Build } from '../wasm/builds.js';

/** fit's options in a worker: the same as in this thread (`transfer` is one of them). */
export type RemoteFitOptions = FitOptions;

export interface WorkerTrainerOptions {
  /** Serve the worker file yourself (CSP, CDN): the URL of dist/worker/entry.web.js (or entry.node.js). */
  workerUrl?: string | URL;
  /** The WASM build the worker loads (default: the fastest the engine runs). */
  build?: Build;
  /** Data-parallel training: split every batch across this many workers (default 1). */
  workers?: number;
}

/** A trainer running in a worker; every method returns a promise. */
export class WorkerTrainer implements TrainerMethods<WorkerDataset> {
  readonly model: Model;
  readonly #worker: SpawnedWorker;
  #remote: Comlink.Remote<TrainerApi>;
  readonly #calls: PendingCalls;
  /** The buffers the caller's arrays cross in, reused call after call (transit.ts). */
  readonly #transit = new TransitBuffers();
  /**
   * Shared memory the worker reads between batches (null without SharedArrayBuffer): stop() writes
   * the id of the latest stoppable call into it, and every call with an id up to it ends. A stop
   * message alone reaches the worker only when it next reads its messages, batches later.
   */
  readonly #stopFlag = sharedMemoryAvailable() ? new Int32Array(new SharedArrayBuffer(4)) : null;
  /** Ids of stoppable calls (fit, findLearningRate, gradientNoiseScale), counted from 1. */
  #runs = 0;
  #info: TrainerInfo = { runtime: '', build: 'simd', worker: '', parameters: 0, workers: 1 };
  #disposed = false;

  private constructor(model: Model, worker: SpawnedWorker) {
    this.model = model;
    this.#worker = worker;
    this.#calls = new PendingCalls((busy) => worker.keepAlive(busy));
    this.#remote = Comlink.wrap<TrainerApi>(worker.endpoint);
    worker.onDeath((error) => this.#kill(error));
  }

  /** Validates `spec` in this thread, then starts a worker and builds the trainer there. */
  static async create(spec: TrainerSpec, options: WorkerTrainerOptions = {}): Promise<WorkerTrainer> {
    const model = modelFromSpec(spec); // spec errors are reported before any worker starts
    const trainer = new WorkerTrainer(model, spawnWorker(options.workerUrl));
    try {
      const init = {
        ...(options.build === undefined ? {} : { build: options.build }), ...(options.workers === undefined ? {} : { workers: options.workers }),
        ...(trainer.#stopFlag ? { stopFlag: trainer.#stopFlag.buffer as SharedArrayBuffer } : {}),
      };
      const info = await trainer.#call(() => trainer.#remote.init(spec, init));
      trainer.#info = { ...info, worker: trainer.#worker.kind };
    } catch (error) {
      await trainer.dispose();
      throw error;
    }
    return trainer;
  }

  /** Runtime, build, worker kind and parameter count (memory as of the last call). */
  get info(): TrainerInfo {
    return { ...this.#info };
  }

  #kill(error: Error): void {
    if (!this.#calls.fail(error)) return;
    this.#transit.clear();
    this.#remote[Comlink.releaseProxy]?.();
  }

  #call<T>(run: () => Promise<T>): Promise<T> {
    // after dispose() #remote is disposedRemote(): run() rejects with an error naming the call
    if (this.#disposed) return run();
    return this.#calls.track(run, rebuildError);
  }

  /** A call that takes data: its reply's info is kept and its buffers go back to the transit pool. */
  async #request<T>(run: () => Promise<Reply<T>>): Promise<T> {
    const reply = await this.#call(run);
    this.#info = { ...reply.info, worker: this.#worker.kind };
    this.#transit.reclaim(reply.buffers);
    return reply.result;
  }

  /**
   * `x` and `y` as they cross: a data set by its id, typed arrays copied into reused buffers (or moved
   * with `move`) before this returns, so a later change to the caller's arrays never reaches the worker.
   */
  #pack<O>(x: unknown, y: unknown, options: O, move: boolean, hooks: Hooks = {}): { request: DataRequest<O>; moved: ArrayBuffer[]; hooks: Hooks | undefined } {
    const moved: ArrayBuffer[] = [];
    const request: DataRequest<O> = { options, run: ++this.#runs };
    if (x !== undefined) request.x = isDataset(x) ? this.#ref(x, 'x') : this.#transit.carry(x, move, moved) as Features;
    if (y !== undefined) request.y = this.#transit.carry(y, move, moved) as Targets;
    const validation = (options as { validationData?: unknown }).validationData;
    if (Array.isArray(validation)) {
      (options as { validationData?: unknown }).validationData = validation.map((v) => this.#transit.carry(v, move, moved));
    }
    const crossing = crossingHooks(hooks);
    if (crossing.names.length > 0) request.hooks = crossing.names;
    return { request, moved, hooks: crossing.proxy };
  }

  /**
   * A resident data set in the worker: x and y cross once (moved with `{ transfer: true }`), then fit,
   * evaluate and predict name it instead of sending rows again.
   */
  async dataset(x: Features, y?: Targets, options: DataOptions = {}): Promise<WorkerDataset> {
    const { transfer } = dataOptions('dataset options', options);
    const { request, moved } = this.#pack(x, y, {}, transfer);
    const { id, rows } = await this.#request(() => this.#remote.dataset(Comlink.transfer(request, moved)));
    return new WorkerDataset(this, id, rows, async () => {
      // a set whose trainer is gone (disposed, or its worker died) has no memory left to free
      if (this.#calls.error) return;
      try {
        await this.#request(() => this.#remote.disposeDataset(id));
      } catch (error) {
        if (!this.#calls.error) throw error;
      }
    });
  }

  /** `value` as a reference to one of this trainer's data sets, or an error naming `what`. */
  #ref(value: unknown, what: string): DatasetRef {
    if (!(value instanceof WorkerDataset) || value.trainer !== this) throw new TypeError(`${what} is a data set of another trainer`);
    if (value.disposed) throw new Error(`${what} is a disposed data set`);
    return { dataset: value.id };
  }

  /** Turns `signal`'s abort into stop() for as long as `run` runs. */
  async #abortable<T>(signal: AbortSignal | null | undefined, run: () => Promise<T>): Promise<T> {
    const abort = () => this.stop();
    signal?.addEventListener('abort', abort);
    if (signal?.aborted) queueMicrotask(abort);
    try {
      return await run();
    } finally {
      signal?.removeEventListener('abort', abort);
    }
  }

  /**
   * Trains in the worker on x and y, on a resident data set (`fit(dataset, options)`) or on a stream
   * of batches (`fit(source, options)`); callbacks run in this thread, and `signal` aborts like
   * stop(). Options are checked here first.
   */
  fit(x: Features, y: Targets, options?: FitOptions): Promise<History>;
  fit(data: WorkerDataset | BatchSource, options?: FitOptions): Promise<History>;
  async fit(x: Features | WorkerDataset | BatchSource, y?: Targets | FitOptions, options: FitOptions = {}): Promise<History> {
    const alone = isDataset(x) || isBatchSource(x);
    const given = plainObject('options', (alone ? y : options) ?? {}) as FitOptions;
    const plan = planFit(this.model, given);
    const { data, hooks, signal } = splitFit(given, (value) => this.#ref(value, 'validationData'));
    const streamed = !isDataset(x) && isBatchSource(x);
    if (streamed) hooks.pull = servePulls(x);
    const packed = this.#pack(streamed ? undefined : x, alone ? undefined : y, data, plan.transfer, hooks);
    return this.#abortable(signal, () => this.#request(() => this.#remote.fit(Comlink.transfer(packed.request, packed.moved), packed.hooks)));
  }

  /** fit() as an async iterator of batch and epoch events; leaving the loop early stops training. */
  fitStream(x: Features, y: Targets, options?: FitOptions): FitStream {
    return fitStream(this, x, y, options);
  }

  /**
   * The learning-rate range test in the worker (Trainer.findLearningRate): options are checked here
   * first, onStep runs in this thread; the worker's trainer is left exactly as it was.
   */
  findLearningRate(x: Features, y: Targets, options?: LrFinderOptions): Promise<LrFinderResult>;
  findLearningRate(data: WorkerDataset | BatchSource, options?: LrFinderOptions): Promise<LrFinderResult>;
  async findLearningRate(x: Features | WorkerDataset | BatchSource, y?: Targets | LrFinderOptions, options?: LrFinderOptions): Promise<LrFinderResult> {
    const alone = isDataset(x) || isBatchSource(x);
    const streamed = !isDataset(x) && isBatchSource(x);
    const given = ((alone ? y : options) ?? {}) as LrFinderOptions;
    lrFinderSettings(given, streamed);
    const { onStep, transfer, ...data } = given;
    const hooks: Hooks = { onStep, pull: streamed ? servePulls(x) : undefined };
    const packed = this.#pack(streamed ? undefined : x, alone ? undefined : y, data, transfer === true, hooks);
    return this.#request(() => this.#remote.findLearningRate(Comlink.transfer(packed.request, packed.moved), packed.hooks));
  }

  /** The gradient noise scale, computed in the worker (Trainer.gradientNoiseScale); options are checked here first. */
  gradientNoiseScale(x: Features, y: Targets, options?: NoiseScaleOptions): Promise<NoiseScaleResult>;
  gradientNoiseScale(data: WorkerDataset, options?: NoiseScaleOptions): Promise<NoiseScaleResult>;
  async gradientNoiseScale(x: Features | WorkerDataset, y?: Targets | NoiseScaleOptions, options?: NoiseScaleOptions): Promise<NoiseScaleResult> {
    const resident = isDataset(x);
    if (!resident && isBatchSource(x)) throw new TypeError('gradientNoiseScale needs arrays or a data set to draw its batches from, not a stream of batches');
    const given = ((resident ? y : options) ?? {}) as NoiseScaleOptions;
    noiseScaleSettings(given);
    const { transfer, ...data } = given;
    const packed = this.#pack(x, resident ? undefined : y, data, transfer === true);
    return this.#request(() => this.#remote.gradientNoiseScale(Comlink.transfer(packed.request, packed.moved)));
  }

  /** Ends a running fit after the current batch; a no-op when idle, dead or disposed. Never throws. */
  stop(): void {
    if (this.#calls.error) return;
    if (this.#stopFlag) Atomics.store(this.#stopFlag, 0, this.#runs);
    this.#remote.stop().catch(() => {});
  }

  /** Token ids sampled after `ids`, all in the worker (one round trip); arguments are checked here first. See Trainer.generate. */
  async generate(ids: Int32Array | readonly number[], options: GenerateOptions): Promise<Int32Array> {
    const { prompt, ...settings } = checkGenerate(this.model, ids, options);
    return this.#call(() => this.#remote.generate(Comlink.transfer(prompt, [prompt.buffer as ArrayBuffer]), settings));
  }

  /** Outputs for x (rows × outputs); see Trainer.predict. */
  async predict(x: Features | WorkerDataset, options: PredictOptions = {}): Promise<Float32Array> {
    const o = plainObject('options', options);
    knownKeys('predict options', o, ['raw', 'transfer']);
    const raw = booleanOption('raw', o.raw, false);
    const packed = this.#pack(x, undefined, { raw }, booleanOption('transfer', o.transfer, false));
    return this.#request(() => this.#remote.predict(Comlink.transfer(packed.request, packed.moved)));
  }

  /** Loss and accuracy or mae on x, y (or a data set), in inference mode. */
  evaluate(x: Features, y: Targets, options?: DataOptions): Promise<EvaluateResult>;
  evaluate(data: WorkerDataset): Promise<EvaluateResult>;
  async evaluate(x: Features | WorkerDataset, y?: Targets, options: DataOptions = {}): Promise<EvaluateResult> {
    const { transfer } = dataOptions('evaluate options', options);
    const packed = this.#pack(x, y, {}, transfer);
    return this.#request(() => this.#remote.evaluate(Comlink.transfer(packed.request, packed.moved)));
  }

  getWeights(): Promise<Record<string, Float32Array>> {
    return this.#call(() => this.#remote.getWeights());
  }

  setWeights(weights: Record<string, Float32Array>): Promise<void> {
    return this.#call(() => this.#remote.setWeights(weights));
  }

  /** Freezes (false) or unfreezes (true) a layer, by index or name, between fits (arguments checked here first). */
  async setTrainable(layer: number | string, trainable: boolean): Promise<void> {
    trainableTarget(this.model, layer, trainable);
    return this.#call(() => this.#remote.setTrainable(layer, trainable));
  }

  /** Data-parallel time split (ms): own chunks, waiting for the shard workers, combining + update; chunks and the trainer thread's share. */
  parallelProfile(): Promise<ParallelProfile> {
    return this.#call(() => this.#remote.parallelProfile());
  }

  summary(): Promise<string> {
    return this.#call(() => this.#remote.summary());
  }

  /** The whole training state as safetensors bytes. */
  save(): Promise<Uint8Array> {
    return this.#call(() => this.#remote.save());
  }

  /** Restores a checkpoint from save() (same spec); checked completely before anything changes. */
  load(bytes: Uint8Array): Promise<void> {
    return this.#call(() => this.#remote.load(bytes));
  }

  /** Replaces the weights with safetensors tensors made elsewhere (F32, F16, BF16). */
  importWeights(bytes: Uint8Array): Promise<void> {
    return this.#call(() => this.#remote.importWeights(bytes));
  }

  /** Terminates the worker; pending calls reject with `trainer is disposed`, later ones with `<call>: trainer is disposed` and the way on. */
  async dispose(): Promise<void> {
    if (this.#calls.error) return;
    this.#kill(new Error('trainer is disposed'));
    this.#disposed = true;
    this.#remote = disposedRemote();
    await this.#worker.terminate();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

/** A resident data set in a worker trainer's memory (from `trainer.dataset(x, y?)`). */
export class WorkerDataset implements DatasetHandle {
  readonly [DATASET] = true;
  #disposed = false;

  /** @internal made by WorkerTrainer.dataset */
  constructor(readonly trainer: WorkerTrainer, readonly id: number, readonly rows: number, readonly release: () => Promise<void>) {}

  get disposed(): boolean {
    return this.#disposed;
  }

  /** Frees the set's memory in the worker. Disposing twice is a no-op. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    await this.release();
    this.#disposed = true;
  }
}

/** A stand-in for a disposed trainer's remote API: every method rejects with disposedError naming the call (TrainerApi's names are the public ones). */
function disposedRemote(): Comlink.Remote<TrainerApi> {
  return new Proxy({}, { get: (_, method) => () => Promise.reject(disposedError(String(method))) }) as Comlink.Remote<TrainerApi>;
}
