// The one protocol between a WorkerTrainer (the caller's thread) and its worker: the methods the
// worker exposes (TrainerApi), fit's callbacks split from its data on the caller's side and joined
// on the worker's, and errors rebuilt in the caller with their class, message and the worker's stack.

import * as Comlink from 'comlink';
import type { TrainerSpec } from '../model/spec.js';
import type { Build } from '../wasm/builds.js';
import type { BatchLog, EpochLog, EvaluateResult, Features, FitOptions, History, ParallelProfile, Targets, TrainerInfo } from '../train/types.js';
import type { LrFinderOptions, LrFinderResult, LrFinderStep, NoiseScaleOptions, NoiseScaleResult } from '../train/types.js';
import type { GenerateOptions } from '../train/generate.js';

export type { TrainerInfo } from '../train/types.js';

export interface InitOptions {
  build?: Build;
  workers?: number;
  /**
   * One Int32 in shared memory (where there is any): stop() writes the running call's `run` id into
   * it, which the worker reads between batches, instead of a message the worker would read only when
   * it next yields to its event loop.
   */
  stopFlag?: SharedArrayBuffer;
}

export type EpochCallback = (log: EpochLog) => unknown;
export type BatchCallback = (log: BatchLog) => unknown;
export type SaveCallback = (bytes: Uint8Array, log: EpochLog) => unknown;
export type LrFinderStepCallback = (log: LrFinderStep) => unknown;
/** findLearningRate's options without onStep (which crosses as a proxy of its own). */
export type LrFinderData = Omit<LrFinderOptions, 'onStep'>;

/** A worker-side resident data set, named by its id where it crosses (x of fit/evaluate/predict, validationData). */
export interface DatasetRef {
  dataset: number;
}

/** fit's options without its functions: what crosses as data (the checkpoint's onSave becomes a hook, a data set its id). */
export type FitData = Omit<FitOptions, 'onEpochEnd' | 'onBatchEnd' | 'signal' | 'checkpoint' | 'validationData' | 'transfer'> & {
  checkpoint?: Omit<NonNullable<FitOptions['checkpoint']>, 'onSave'>;
  validationData?: [Features, Targets] | DatasetRef;
};

/**
 * The caller's functions a call uses, crossing as one Comlink proxy (Comlink proxies only top-level
 * arguments); the request's `hooks` names those given, so the worker never calls an absent one.
 */
export interface Hooks {
  onEpochEnd?: EpochCallback;
  onBatchEnd?: BatchCallback;
  onSave?: SaveCallback;
  onStep?: LrFinderStepCallback;
  /** A stream of batches that stays in the caller's thread (fit and findLearningRate on a stream). */
  pull?: PullBatch;
}
export type HookName = keyof Hooks;

/** One call's data and options: arrays (copied or moved by transit.ts), a data set's id, or neither for a stream. */
export interface DataRequest<O> {
  x?: Features | DatasetRef;
  y?: Targets;
  options: O;
  /** The functions in the call's Hooks proxy. */
  hooks?: HookName[];
  /** The id stop() writes into the shared stop flag to end this call (fit, findLearningRate, gradientNoiseScale). */
  run?: number;
}

/** A call's result with the worker's info after it (memory changes with data) and the caller's buffers given back. */
export interface Reply<T> {
  result: T;
  info: TrainerInfo;
  buffers: ArrayBuffer[];
}

/** The methods a trainer's worker exposes: one request object per call, one reply. */
export interface TrainerApi {
  init(spec: TrainerSpec, options: InitOptions): Promise<TrainerInfo>;
  /** Makes a resident data set in the worker; its id names it in later calls (x and y cross once). */
  dataset(request: DataRequest<Record<string, never>>): Promise<Reply<{ id: number; rows: number }>>;
  disposeDataset(id: number): Reply<null>;
  /** fit on arrays or a data set, or (x absent) on a stream in the caller's thread pulled through `hooks.pull`. */
  fit(request: DataRequest<FitData>, hooks?: Hooks): Promise<Reply<History>>;
  /** findLearningRate on arrays, a data set or a stream (as fit). */
  findLearningRate(request: DataRequest<LrFinderData>, hooks?: Hooks): Promise<Reply<LrFinderResult>>;
  gradientNoiseScale(request: DataRequest<NoiseScaleOptions>): Promise<Reply<NoiseScaleResult>>;
  predict(request: DataRequest<{ raw?: boolean }>): Promise<Reply<Float32Array>>;
  /** All of generate's tokens in one call (the prompt and options checked by the caller, the seed chosen there). */
  generate(ids: Int32Array, options: GenerateOptions): Promise<Int32Array>;
  evaluate(request: DataRequest<Record<string, never>>): Promise<Reply<EvaluateResult>>;
  stop(): void;
  getWeights(): Record<string, Float32Array>;
  setWeights(weights: Record<string, Float32Array>): void;
  summary(): string;
  parallelProfile(): ParallelProfile;
  save(): Promise<Uint8Array>;
  load(bytes: Uint8Array): Promise<void>;
  importWeights(bytes: Uint8Array): Promise<void>;
  setTrainable(layer: number | string, trainable: boolean): void;
  info(): TrainerInfo;
  dispose(): Promise<void>;
}

/** The worker's line to a stream of batches in the caller's thread: 'open' starts a pass, 'next' gives a batch (null at its end), 'close' ends it. */
export type PullBatch = (command: 'open' | 'next' | 'close') => Promise<{ x: Features; y: Targets } | null>;

/**
 * The caller's side of a streamed fit: `source` served one pull at a time, in order (the worker asks
 * a few batches ahead), each batch's typed arrays copied once and moved to the worker.
 */
export function servePulls(source: unknown): PullBatch {
  let iterator: AsyncIterator<unknown> | Iterator<unknown> | null = null;
  let queue: Promise<unknown> = Promise.resolve();
  const copy = (value: unknown) => (ArrayBuffer.isView(value) ? (value as unknown as { slice(): unknown }).slice() : value);
  const serve = async (command: 'open' | 'next' | 'close') => {
    if (command === 'open') {
      const iterable = typeof source === 'function' ? (source as () => unknown)() : source;
      const it = iterable as { [Symbol.asyncIterator]?: () => AsyncIterator<unknown>; [Symbol.iterator]?: () => Iterator<unknown> } | null;
      if (!it || (!it[Symbol.asyncIterator] && !it[Symbol.iterator])) throw new TypeError(`the batch source must give an iterable or async iterable of { x, y }, got ${typeof iterable}`);
      iterator = it[Symbol.asyncIterator] ? it[Symbol.asyncIterator]!() : it[Symbol.iterator]!();
      return null;
    }
    if (command === 'close') {
      await iterator?.return?.();
      iterator = null;
      return null;
    }
    const result = await iterator!.next();
    if (result.done) return null;
    const batch = result.value as { x?: unknown; y?: unknown } | null;
    if (batch === null || typeof batch !== 'object') return batch as never; // the worker names the mistake
    const x = copy(batch.x);
    const y = copy(batch.y);
    const moved = [x, y].filter((v): v is ArrayBufferView => ArrayBuffer.isView(v)).map((v) => v.buffer as ArrayBuffer);
    return Comlink.transfer({ x, y }, moved) as { x: Features; y: Targets };
  };
  return (command) => {
    const next = queue.then(() => serve(command));
    queue = next.catch(() => {});
    return next;
  };
}

/** The worker's side: the caller's stream as a batch source (a function: each pass opens the caller's source again). */
export function pulledSource(pull: PullBatch): () => AsyncIterable<{ x: Features; y: Targets }> {
  return () => ({
    [Symbol.asyncIterator]() {
      let opened: Promise<unknown> | null = null;
      return {
        async next() {
          opened ??= pull('open');
          await opened;
          const batch = await pull('next');
          return batch === null ? { done: true as const, value: undefined } : { done: false as const, value: batch };
        },
        async return() {
          if (opened) await pull('close');
          return { done: true as const, value: undefined };
        },
      };
    },
  });
}

/**
 * The caller's side of fit: options (already checked) split into data, the functions that cross as
 * hooks, and the signal, which cannot cross (the caller turns it into stop()).
 */
export function splitFit(options: FitOptions, refOf: (dataset: unknown) => DatasetRef): { data: FitData; hooks: Hooks; signal: AbortSignal | null } {
  const { onEpochEnd, onBatchEnd, signal, checkpoint, validationData, transfer: _transfer, ...rest } = options;
  const data: FitData = rest;
  if (validationData) data.validationData = Array.isArray(validationData) ? validationData as [Features, Targets] : refOf(validationData);
  let onSave: SaveCallback | undefined;
  if (checkpoint) {
    const { onSave: save, ...checkpointData } = checkpoint;
    data.checkpoint = checkpointData;
    onSave = save;
  }
  return { data, hooks: { onEpochEnd, onBatchEnd, onSave }, signal: signal ?? null };
}

/** The hooks that are given, as one Comlink proxy and their names (none: no proxy, no port). */
export function crossingHooks(hooks: Hooks): { names: HookName[]; proxy: Hooks | undefined } {
  const given = Object.fromEntries(Object.entries(hooks).filter(([, f]) => typeof f === 'function')) as Hooks;
  const names = Object.keys(given) as HookName[];
  return { names, proxy: names.length > 0 ? Comlink.proxy(given) : undefined };
}

/** The worker's side of fit: the options the trainer's fit takes, each hook awaited in the caller's thread. */
export function joinFit(data: FitData, names: readonly HookName[], hooks: Hooks | undefined, resolve: (ref: DatasetRef) => unknown): FitOptions {
  const options: FitOptions = { ...data } as FitOptions;
  if (data.validationData && !Array.isArray(data.validationData)) options.validationData = resolve(data.validationData) as FitOptions['validationData'];
  if (!hooks) return options;
  if (names.includes('onEpochEnd')) options.onEpochEnd = async (log) => { await hooks.onEpochEnd!(log); };
  if (names.includes('onBatchEnd')) options.onBatchEnd = async (log) => { await hooks.onBatchEnd!(log); };
  if (names.includes('onSave') && data.checkpoint) {
    options.checkpoint = { ...data.checkpoint, onSave: async (bytes, log) => { await hooks.onSave!(Comlink.transfer(bytes, [bytes.buffer as ArrayBuffer]), log); } };
  }
  return options;
}

/** Releases a call's hooks proxy: its message port would keep the caller's process alive. */
export function releaseHooks(hooks: Hooks | undefined): void {
  (hooks as Partial<Comlink.ProxyMethods> | undefined)?.[Comlink.releaseProxy]?.();
}

const ERROR_TYPES: Record<string, new (message: string) => Error> = {
  Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError,
};

/**
 * An error thrown in the worker (Comlink carries its name, message and stack) as a real error of its
 * original class in the caller, keeping the worker's stack below the caller's first line.
 */
export function rebuildError(error: unknown): Error {
  if (error === null || typeof error !== 'object') return new Error(String(error));
  const { name = 'Error', message = '', stack } = error as { name?: string; message?: string; stack?: string };
  const Type = ERROR_TYPES[name] ?? Error;
  const rebuilt = new Type(message);
  if (!(name in ERROR_TYPES)) rebuilt.name = name;
  if (typeof stack === 'string') rebuilt.stack = `${rebuilt.name}: ${message}\n    (in the worker)\n${stack.split('\n').slice(1).join('\n')}`;
  return rebuilt;
}
