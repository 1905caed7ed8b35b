// The caller's side of a worker trainer: a plain object (not the raw Comlink proxy, which would turn
// every property, Symbol.asyncDispose included, into a remote call) that tracks pending calls and
// rejects them all when the worker dies, so nothing ever hangs.

import { spawnWorker, type SpawnedWorker } from '#worker-spawn';
import * as Comlink from 'comlink';
import { type Model, modelFromSpec, type TrainerSpec } from '../model/spec.js';
import { DATASET, isDataset, planFit } from '../train/fit-options.js';
import { type BatchSource, isBatchSource } from '../train/stream.js';
import { fitStream, type FitStream } from '../train/fit-stream.js';
import type { DatasetHandle, EvaluateResult, Features, FitOptions, History, ParallelProfile, Targets, TrainerMethods } from '../train/types.js';
import { booleanOption, knownKeys, plainObject } from '../validate.js';
import { type DatasetRef, rebuildError, servePulls, splitFit, type TrainerApi, type TrainerInfo } from './protocol.js';
import { PendingCalls } from './spawned.js';
import { disposedError } from '../train/disposed.js';
import { lrFinderSettings } from '../train/lr-finder.js';
import { noiseScaleSettings } from '../train/noise-scale.js';
import type { LrFinderOptions, LrFinderResult, NoiseScaleOptions, NoiseScaleResult } from '../train/types.js';
import type { Build } from '../wasm/builds.js';

export interface RemoteFitOptions extends FitOptions {
  /** Move x and y to the worker instead of copying them (the caller's buffers are detached). */
  transfer?: boolean;
}

export interface WorkerTrainerOptions {
  /** Serve the worker file yourself (CSP, CDN): the URL of dist/worker/entry.web.js (or entry.node.js). */
  workerUrl?: string | URL;
  /** The WASM build the worker loads (default: the fastest the engine runs). */
  build?: Build;
  /** Data-parallel training: split every batch across this many workers (default 1). */
  workers?: number;
}

/** A trainer running in a worker; every method returns a promise. */
export class WorkerTrainer implements TrainerMethods {
  readonly model: Model;
  readonly #worker: SpawnedWorker;
  #remote: Comlink.Remote<TrainerApi>;
  readonly #calls: PendingCalls;
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
      const init = { ...(options.build === undefined ? {} : { build: options.build }), ...(options.workers === undefined ? {} : { workers: options.workers }) };
      const info = await trainer.#call(() => trainer.#remote.init(spec, init));
      trainer.#info = { ...info, worker: trainer.#worker.kind };
    } catch (error) {
      await trainer.dispose();
      throw error;
    }
    return trainer;
  }

  /** Runtime, build, worker kind and parameter count. */
  get info(): TrainerInfo {
    return { ...this.#info };
  }

  #kill(error: Error): void {
    if (!this.#calls.fail(error)) return;
    this.#remote[Comlink.releaseProxy]?.();
  }

  #call<T>(run: () => Promise<T>): Promise<T> {
    // after dispose() #remote is disposedRemote(): run() rejects with an error naming the call
    if (this.#disposed) return run();
    return this.#calls.track(run, rebuildError);
  }

  /**
   * A resident data set in the worker: x and y cross once (moved with `{ transfer: true }`), then fit,
   * evaluate and predict name it instead of sending rows again.
   */
  async dataset(x: Features, y?: Targets, options: { transfer?: boolean } = {}): Promise<WorkerDataset> {
    const o = plainObject('options', options);
    knownKeys('dataset options', o, ['transfer']);
    const [xs, ys] = [wholeBuffer(x), wholeBuffer(y)];
    const moved = booleanOption('transfer', o.transfer, false) ? transferable(xs, ys) : [];
    const { id, rows, info } = await this.#call(() => this.#remote.dataset(Comlink.transfer(xs, moved) as Features, ys as Targets | undefined));
    this.#info = { ...info, worker: this.#worker.kind };
    return new WorkerDataset(this, id, rows, async () => {
      const after = await this.#call(() => this.#remote.disposeDataset(id));
      this.#info = { ...after, worker: this.#worker.kind };
    });
  }

  /** Reads the worker's info again (its memory changes with fits), then gives back `result`. */
  async #refreshInfo<T>(result: T): Promise<T> {
    const info = await this.#call(() => this.#remote.info());
    this.#info = { ...info, worker: this.#worker.kind };
    return result;
  }

  /** `value` as a reference to one of this trainer's data sets, or an error naming `what`. */
  #ref(value: unknown, what: string): DatasetRef {
    if (!(value instanceof WorkerDataset) || value.trainer !== this) throw new TypeError(`${what} is a data set of another trainer`);
    if (value.disposed) throw new Error(`${what} is a disposed data set`);
    return { dataset: value.id };
  }

  /**
   * Trains in the worker on x and y, or on a resident data set (`fit(dataset, options)`); callbacks
   * run in this thread, and `signal` aborts like stop(). Options are checked here first.
   */
  async fit(x: Features | WorkerDataset | BatchSource, y?: Targets | RemoteFitOptions, options: RemoteFitOptions = {}): Promise<History> {
    const resident = isDataset(x);
    const streamed = !resident && isBatchSource(x);
    const { transfer, ...fitOptions } = plainObject('options', (resident || streamed ? y : options) ?? {}) as RemoteFitOptions;
    const move = booleanOption('transfer', transfer, false);
    planFit(this.model, fitOptions);
    const { data, callbacks, signal } = splitFit(fitOptions as FitOptions, (value) => this.#ref(value, 'validationData'));
    if (streamed) {
      const pull = Comlink.proxy(servePulls(x));
      const abort = () => this.stop();
      signal?.addEventListener('abort', abort);
      if (signal?.aborted) queueMicrotask(abort);
      try {
        return await this.#refreshInfo(await this.#call(() => this.#remote.fitStreamed(data, ...callbacks, pull)));
      } finally {
        signal?.removeEventListener('abort', abort);
      }
    }
    const xs = resident ? this.#ref(x, 'x') : wholeBuffer(x);
    const ys = resident ? undefined : wholeBuffer(y);
    const abort = () => this.stop();
    signal?.addEventListener('abort', abort);
    if (signal?.aborted) queueMicrotask(abort);
    try {
      const moved = move ? transferable(xs, ys) : [];
      return await this.#refreshInfo(await this.#call(() => this.#remote.fit(Comlink.transfer(xs, moved) as Features, ys as Targets | undefined, data, ...callbacks)));
    } finally {
      signal?.removeEventListener('abort', abort);
    }
  }

  /** fit() as an async iterator of batch and epoch events; leaving the loop early stops training. */
  fitStream(x: Features, y: Targets, options?: RemoteFitOptions): FitStream {
    return fitStream(this, x, y, options);
  }

  /**
   * The learning-rate range test in the worker (Trainer.findLearningRate): options are checked here
   * first, onStep runs in this thread; the worker's trainer is left exactly as it was.
   */
  async findLearningRate(x: Features | WorkerDataset | BatchSource, y?: Targets | LrFinderOptions, options?: LrFinderOptions): Promise<LrFinderResult> {
    const resident = isDataset(x);
    const streamed = !resident && isBatchSource(x);
    const given = ((resident || streamed ? y : options) ?? {}) as LrFinderOptions;
    lrFinderSettings(given, streamed);
    const { onStep, ...data } = given;
    const step = onStep ? Comlink.proxy(onStep) : undefined;
    if (streamed) return this.#refreshInfo(await this.#call(() => this.#remote.findLearningRate(undefined, undefined, data, step, Comlink.proxy(servePulls(x)))));
    const xs = resident ? this.#ref(x, 'x') : wholeBuffer(x) as Features;
    return this.#refreshInfo(await this.#call(() => this.#remote.findLearningRate(xs, resident ? undefined : wholeBuffer(y) as Targets, data, step)));
  }

  /** The gradient noise scale, computed in the worker (Trainer.gradientNoiseScale); options are checked here first. */
  async gradientNoiseScale(x: Features | WorkerDataset, y?: Targets | NoiseScaleOptions, options?: NoiseScaleOptions): Promise<NoiseScaleResult> {
    const resident = isDataset(x);
    if (!resident && isBatchSource(x)) throw new TypeError('gradientNoiseScale needs arrays or a data set to draw its batches from, not a stream of batches');
    const given = ((resident ? y : options) ?? {}) as NoiseScaleOptions;
    noiseScaleSettings(given);
    const xs = resident ? this.#ref(x, 'x') : wholeBuffer(x) as Features;
    return this.#refreshInfo(await this.#call(() => this.#remote.gradientNoiseScale(xs, resident ? undefined : wholeBuffer(y) as Targets, given)));
  }

  /** Ends a running fit after the current batch; a no-op when idle, dead or disposed. Never throws. */
  stop(): void {
    if (this.#calls.error) return;
    this.#remote.stop().catch(() => {});
  }

  async predict(x: Features | WorkerDataset, options?: { raw?: boolean }): Promise<Float32Array> {
    const xs = isDataset(x) ? this.#ref(x, 'x') : wholeBuffer(x) as Features;
    return this.#call(() => this.#remote.predict(xs, options));
  }

  async evaluate(x: Features | WorkerDataset, y?: Targets): Promise<EvaluateResult> {
    const xs = isDataset(x) ? this.#ref(x, 'x') : wholeBuffer(x) as Features;
    return this.#call(() => this.#remote.evaluate(xs, wholeBuffer(y) as Targets | undefined));
  }

  getWeights(): Promise<Record<string, Float32Array>> {
    return this.#call(() => this.#remote.getWeights());
  }

  setWeights(weights: Record<string, Float32Array>): Promise<void> {
    return this.#call(() => this.#remote.setWeights(weights));
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

/** A stand-in for a disposed trainer's remote API: every method rejects with disposedError naming the public call. */
function disposedRemote(): Comlink.Remote<TrainerApi> {
  const publicName: Record<string, string> = { fitStreamed: 'fit', disposeDataset: 'dataset.dispose' };
  const reject = (method: string) => () => Promise.reject(disposedError(publicName[method] ?? method));
  return new Proxy({}, { get: (_, method) => reject(String(method)) }) as Comlink.Remote<TrainerApi>;
}

/** The buffers of `values` that can move to the worker: typed arrays' own buffers, never shared memory. */
function transferable(...values: unknown[]): ArrayBuffer[] {
  return values.filter((v): v is ArrayBufferView => ArrayBuffer.isView(v) && !isShared(v.buffer)).map((v) => v.buffer as ArrayBuffer);
}

/** True for a SharedArrayBuffer (a global that pages without cross-origin isolation lack). */
function isShared(buffer: ArrayBufferLike): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer;
}

// Arrays in shared memory cross as they are (the worker sees the same memory, nothing is copied).
// Otherwise a typed-array view that does not cover its whole buffer is copied, so that cloning or
// transferring never carries (or detaches) more of the caller's memory than the view shows.
function wholeBuffer(value: unknown): unknown {
  if (!ArrayBuffer.isView(value) || value instanceof DataView) return value;
  const view = value as unknown as { byteOffset: number; byteLength: number; buffer: ArrayBufferLike; slice(): unknown };
  if (isShared(view.buffer)) return value;
  if (view.byteOffset === 0 && view.byteLength === view.buffer.byteLength) return value;
  return view.slice();
}
