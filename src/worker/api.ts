// The object a worker exposes through Comlink: one Trainer per worker, created by `init`. Callbacks
// arrive as Comlink proxies and are awaited, so every onEpochEnd reaches the caller before fit
// resolves; an AbortSignal cannot cross threads, so the client turns it into stop().

import * as Comlink from 'comlink';
import type { TrainerSpec } from '../model/spec.js';
import { ShardPool } from '../parallel/pool.js';
import { type BatchLog, type EpochLog, type FitOptions, Trainer } from '../train/trainer.js';

type EpochCallback = (log: EpochLog) => unknown;
type BatchCallback = (log: BatchLog) => unknown;
type CheckpointCallback = (bytes: Uint8Array, log: EpochLog) => unknown;

/** The API a worker exposes. */
export function workerApi() {
  let trainer: Trainer | null = null;
  const live = (): Trainer => {
    if (!trainer) throw new Error('trainer is not initialised');
    return trainer;
  };
  return {
    async init(spec: TrainerSpec, options: { simd?: boolean; workers?: number }) {
      trainer = await Trainer.create(spec, { ...options, startPool: ShardPool.start });
      return trainer.info;
    },
    // Callbacks are separate arguments: Comlink turns only top-level arguments into proxies.
    async fit(
      x: unknown, y: unknown, options: Omit<FitOptions, 'onEpochEnd' | 'onBatchEnd' | 'signal'>,
      onEpochEnd?: EpochCallback, onBatchEnd?: BatchCallback, onCheckpoint?: CheckpointCallback,
    ) {
      const fitOptions: FitOptions = { ...options };
      if (onCheckpoint && options.checkpoint) {
        fitOptions.checkpoint = { ...options.checkpoint, onSave: async (bytes, log) => { await onCheckpoint(Comlink.transfer(bytes, [bytes.buffer as ArrayBuffer]), log); } };
      }
      if (onEpochEnd) fitOptions.onEpochEnd = async (log) => { await onEpochEnd(log); };
      if (onBatchEnd) fitOptions.onBatchEnd = async (log) => { await onBatchEnd(log); };
      try {
        return await live().fit(x, y, fitOptions);
      } finally {
        // Release the callback proxies: their message ports would keep the caller's process alive.
        for (const callback of [onEpochEnd, onBatchEnd, onCheckpoint]) {
          (callback as Partial<Comlink.ProxyMethods> | undefined)?.[Comlink.releaseProxy]?.();
        }
      }
    },
    predict: (x: unknown, options?: { raw?: boolean }) => live().predict(x, options),
    evaluate: (x: unknown, y: unknown) => live().evaluate(x, y),
    stop: () => trainer?.stop(),
    getWeights: () => live().getWeights(),
    setWeights: (weights: Record<string, Float32Array>) => live().setWeights(weights),
    summary: () => live().summary(),
    parallelProfile: () => live().parallelProfile(),
    async save() {
      const bytes = await live().save();
      return Comlink.transfer(bytes, [bytes.buffer as ArrayBuffer]);
    },
    load: (bytes: Uint8Array) => live().load(bytes),
    importWeights: (bytes: Uint8Array) => live().importWeights(bytes),
    info: () => live().info,
    async dispose() {
      await trainer?.dispose();
      trainer = null;
    },
  };
}

export type WorkerApi = ReturnType<typeof workerApi>;
