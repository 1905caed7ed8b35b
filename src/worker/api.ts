// The worker's side of the protocol (protocol.ts): one Trainer per worker, created by `init`, whose
// methods TrainerApi exposes. fit's callbacks arrive as Comlink proxies and are awaited, so every
// onEpochEnd reaches the caller before fit resolves.

import * as Comlink from 'comlink';
import type { TrainerSpec } from '../model/spec.js';
import { ShardPool } from '../parallel/pool.js';
import { Trainer } from '../train/trainer.js';
import { type CrossingCallbacks, type FitData, type InitOptions, joinFit, releaseCallbacks, type TrainerApi } from './protocol.js';

/** The API a worker exposes. */
export function workerApi(): TrainerApi {
  let trainer: Trainer | null = null;
  const live = (): Trainer => {
    if (!trainer) throw new Error('trainer is not initialised');
    return trainer;
  };
  return {
    async init(spec: TrainerSpec, options: InitOptions) {
      trainer = await Trainer.create(spec, { ...options, startPool: ShardPool.start });
      return trainer.info;
    },
    async fit(x, y, data: FitData, ...callbacks: CrossingCallbacks) {
      try {
        return await live().fit(x, y, joinFit(data, callbacks));
      } finally {
        releaseCallbacks(callbacks);
      }
    },
    predict: (x, options) => live().predict(x, options),
    evaluate: (x, y) => live().evaluate(x, y),
    stop: () => trainer?.stop(),
    getWeights: () => live().getWeights(),
    setWeights: (weights) => live().setWeights(weights),
    summary: () => live().summary(),
    parallelProfile: () => live().parallelProfile(),
    async save() {
      const bytes = await live().save();
      return Comlink.transfer(bytes, [bytes.buffer as ArrayBuffer]);
    },
    load: (bytes) => live().load(bytes),
    importWeights: (bytes) => live().importWeights(bytes),
    info: () => live().info,
    async dispose() {
      await trainer?.dispose();
      trainer = null;
    },
  };
}
