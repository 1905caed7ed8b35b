// The worker's side of the protocol (protocol.ts): one Trainer per worker, created by `init`, whose
// methods TrainerApi exposes. fit's callbacks arrive as Comlink proxies and are awaited, so every
// onEpochEnd reaches the caller before fit resolves.

import * as Comlink from 'comlink';
import type { TrainerSpec } from '../model/spec.js';
import { ShardPool } from '../parallel/pool.js';
import { type Dataset, Trainer } from '../train/trainer.js';
import { type CrossingCallbacks, type DatasetRef, type FitData, type InitOptions, joinFit, type PullBatch, pulledSource, releaseCallbacks, type TrainerApi } from './protocol.js';
import type { LrFinderOptions } from '../train/types.js';

/** The API a worker exposes. */
export function workerApi(): TrainerApi {
  let trainer: Trainer | null = null;
  const live = (): Trainer => {
    if (!trainer) throw new Error('trainer is not initialised');
    return trainer;
  };
  // resident data sets by id: the caller's handles name them
  const datasets = new Map<number, Dataset>();
  let nextId = 1;
  const resolve = (ref: DatasetRef): Dataset => {
    const dataset = datasets.get(ref.dataset);
    if (!dataset) throw new Error('x is a disposed data set');
    return dataset;
  };
  const isRef = (value: unknown): value is DatasetRef =>
    value !== null && typeof value === 'object' && !ArrayBuffer.isView(value) && !Array.isArray(value) && typeof (value as DatasetRef).dataset === 'number';
  const dataOf = <T>(x: T | DatasetRef): T | Dataset => (isRef(x) ? resolve(x) : x);
  return {
    async init(spec: TrainerSpec, options: InitOptions) {
      trainer = await Trainer.create(spec, { ...options, startPool: ShardPool.start });
      return trainer.info;
    },
    dataset(x, y) {
      const dataset = live().dataset(x, y);
      const id = nextId++;
      datasets.set(id, dataset);
      return { id, rows: dataset.rows, info: live().info };
    },
    disposeDataset(id) {
      datasets.get(id)?.dispose();
      datasets.delete(id);
      return live().info;
    },
    async fit(x, y, data: FitData, ...callbacks: CrossingCallbacks) {
      try {
        const options = joinFit(data, callbacks, resolve);
        return await (isRef(x) ? live().fit(resolve(x), options) : live().fit(x, y, options));
      } finally {
        releaseCallbacks(callbacks);
      }
    },
    async fitStreamed(data: FitData, ...rest: [...CrossingCallbacks, PullBatch?]) {
      const [onEpochEnd, onBatchEnd, onSave, pull] = rest;
      const callbacks: CrossingCallbacks = [onEpochEnd, onBatchEnd, onSave];
      try {
        if (!pull) throw new TypeError('a streamed fit needs its batch source');
        return await live().fit(pulledSource(pull), joinFit(data, callbacks, resolve));
      } finally {
        releaseCallbacks([...callbacks, pull]);
      }
    },
    async findLearningRate(x, y, data, onStep, pull) {
      try {
        const options: LrFinderOptions = onStep ? { ...data, onStep: async (log) => { await onStep(log); } } : data;
        if (pull) return await live().findLearningRate(pulledSource(pull), options);
        return await (isRef(x) ? live().findLearningRate(resolve(x), options) : live().findLearningRate(x!, y, options));
      } finally {
        releaseCallbacks([onStep, pull]);
      }
    },
    gradientNoiseScale: (x, y, options) => (isRef(x) ? live().gradientNoiseScale(resolve(x), options) : live().gradientNoiseScale(x, y, options)),
    predict: (x, options) => live().predict(dataOf(x), options),
    evaluate: (x, y) => live().evaluate(dataOf(x), y),
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
    setTrainable: (layer, trainable) => live().setTrainable(layer, trainable),
    info: () => live().info,
    async dispose() {
      await trainer?.dispose();
      trainer = null;
    },
  };
}
