// The worker's side of the protocol (protocol.ts): one Trainer per worker, created by `init`, whose
// methods TrainerApi exposes. Each call's reply carries the trainer's info after it and gives back
// the buffers the caller's arrays came in (transit.ts). fit's hooks arrive as one Comlink proxy and
// are awaited, so every onEpochEnd reaches the caller before fit resolves.

import * as Comlink from 'comlink';
import type { TrainerSpec } from '../model/spec.js';
import { ShardPool } from '../parallel/pool.js';
import { type Dataset, Trainer } from '../train/trainer.js';
import type { Features, FitOptions, LrFinderOptions, Targets } from '../train/types.js';
import { type DataRequest, type DatasetRef, type Hooks, type InitOptions, joinFit, pulledSource, releaseHooks, type Reply, type TrainerApi } from './protocol.js';
import { lentBuffers } from './transit.js';

/** The API a worker exposes. */
export function workerApi(): TrainerApi {
  let trainer: Trainer | null = null;
  const live = (): Trainer => {
    if (!trainer) throw new Error('trainer is not initialised');
    return trainer;
  };
  /** The caller's shared stop flag (InitOptions.stopFlag), or null: stop() then arrives as a message. */
  let stopFlag: Int32Array | null = null;
  /** Runs a stoppable call with the shared flag watched for its run id. */
  const stoppable = async <T>(request: DataRequest<unknown>, body: () => Promise<T>): Promise<T> => {
    const flag = stopFlag;
    const run = request.run;
    // stop() stores the id of the latest call it may end: every call up to it
    const unwatch = flag && run !== undefined ? live().stopWhen(() => Atomics.load(flag, 0) >= run) : () => {};
    try {
      return await body();
    } finally {
      unwatch();
    }
  };
  // resident data sets by id: the caller's handles name them
  const datasets = new Map<number, Dataset>();
  let nextId = 1;
  const resolve = (ref: DatasetRef, what = 'x'): Dataset => {
    const dataset = datasets.get(ref.dataset);
    if (!dataset) throw new Error(`${what} is a disposed data set`);
    return dataset;
  };
  const isRef = (value: unknown): value is DatasetRef =>
    value !== null && typeof value === 'object' && !ArrayBuffer.isView(value) && !Array.isArray(value) && typeof (value as DatasetRef).dataset === 'number';
  /** A call's request as the client sends it (a message from elsewhere gets a TypeError, not a crash). */
  const checked = <R extends DataRequest<unknown>>(request: R): R => {
    const options = (request as { options?: unknown } | null)?.options;
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new TypeError('a descent worker call takes one request object { x?, y?, options, hooks? }');
    }
    return request;
  };
  /** The request's x as the trainer takes it: arrays as they came, a data set by its id. */
  const xOf = (request: DataRequest<unknown>): Features | Dataset => (isRef(request.x) ? resolve(request.x) : request.x as Features);
  /** `result` with the trainer's info and the request's array buffers (x, y, validationData), given back to the caller. */
  const reply = <T>(request: DataRequest<unknown>, result: T): Reply<T> => {
    const validation = (request.options as FitOptions | undefined)?.validationData;
    const buffers = lentBuffers(request.x, request.y, ...(Array.isArray(validation) ? validation : []));
    return Comlink.transfer({ result, info: live().info, buffers }, buffers);
  };
  /** Runs `body` with the request's hooks, released afterwards (their port would keep the caller alive). */
  const withHooks = async <T>(hooks: Hooks | undefined, body: () => Promise<T>): Promise<T> => {
    try {
      return await body();
    } finally {
      releaseHooks(hooks);
    }
  };
  return {
    async init(spec: TrainerSpec, options: InitOptions) {
      const { stopFlag: shared, ...rest } = options;
      stopFlag = shared ? new Int32Array(shared, 0, 1) : null;
      trainer = await Trainer.create(spec, { ...rest, startPool: ShardPool.start });
      return trainer.info;
    },
    async dataset(request) {
      checked(request);
      const dataset = await live().dataset(request.x as Features, request.y);
      const id = nextId++;
      datasets.set(id, dataset);
      return reply(request, { id, rows: dataset.rows });
    },
    disposeDataset(id) {
      datasets.get(id)?.dispose();
      datasets.delete(id);
      return { result: null, info: live().info, buffers: [] };
    },
    fit: (request, hooks) => withHooks(hooks, () => stoppable(checked(request), async () => {
      const names = request.hooks ?? [];
      const options = joinFit(request.options, names, hooks, (ref) => resolve(ref, 'validationData'));
      if (request.x === undefined) {
        if (!hooks || !names.includes('pull')) throw new TypeError('a streamed fit needs its batch source');
        return reply(request, await live().fit(pulledSource(hooks.pull!), options));
      }
      const x = xOf(request);
      return reply(request, await (isRef(request.x) ? live().fit(x as Dataset, options) : live().fit(x as Features, request.y as Targets, options)));
    })),
    findLearningRate: (request, hooks) => withHooks(hooks, () => stoppable(checked(request), async () => {
      const names = request.hooks ?? [];
      const options: LrFinderOptions = hooks && names.includes('onStep') ? { ...request.options, onStep: async (log) => { await hooks.onStep!(log); } } : request.options;
      if (request.x === undefined) {
        if (!hooks || !names.includes('pull')) throw new TypeError('findLearningRate on a stream needs its batch source');
        return reply(request, await live().findLearningRate(pulledSource(hooks.pull!), options));
      }
      const x = xOf(request);
      return reply(request, await (isRef(request.x) ? live().findLearningRate(x as Dataset, options) : live().findLearningRate(x as Features, request.y, options)));
    })),
    gradientNoiseScale: (request) => stoppable(checked(request), async () => {
      const x = xOf(request);
      return reply(request, await (isRef(request.x) ? live().gradientNoiseScale(x as Dataset, request.options) : live().gradientNoiseScale(x as Features, request.y, request.options)));
    }),
    predict: async (request) => reply(request, await live().predict(xOf(checked(request)), request.options)),
    async generate(ids, options) {
      const tokens = await live().generate(ids, options);
      return Comlink.transfer(tokens, [tokens.buffer as ArrayBuffer]);
    },
    evaluate: async (request) => reply(request, await live().evaluate(xOf(checked(request)), request.y)),
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
