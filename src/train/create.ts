// createTrainer: the one entry point for training. By default the trainer runs in a worker
// (Web Worker, worker_threads or Deno Worker); `{ worker: false }` builds it in the calling thread
// with the same methods.

import { checkpointSpec } from '../io/checkpoint.js';
import { modelFromSpec, type TrainerSpec } from '../model/spec.js';
import { booleanOption, knownKeys, numberOption, plainObject } from '../validate.js';
import { checkBuildSupported, requestedBuild, type Build } from '../wasm/builds.js';
import { checkWasmReadable } from '#read-wasm';
import { hardwareConcurrency } from '#worker-spawn';
import { WorkerTrainer } from '../worker/client.js';
import { Trainer } from './trainer.js';
import { ShardPool } from '../parallel/pool.js';

export interface CreateTrainerOptions {
  /** true (default): train in a worker; false: in the calling thread. */
  worker?: boolean;
  /** The WASM build: 'relaxed' (fused multiply-add), 'simd' or 'scalar'; default: the fastest the engine runs. */
  build?: Build;
  /** The older switch: false means build 'scalar', true means build 'simd'. */
  simd?: boolean;
  /** URL of the worker entry file, for apps that host it themselves (CSP, CDN). */
  workerUrl?: string | URL;
  /**
   * Data-parallel training: every batch is split across this many workers, their gradients averaged
   * before one optimizer step (default 1). 'auto': one per core but one, at least 1. Needs
   * SharedArrayBuffer (Node always; browsers when cross-origin isolated), else one worker trains and
   * `info.parallel` says why.
   */
  workers?: number | 'auto';
}

/**
 * Validates `spec` and returns a trainer: in a worker by default, in this thread with
 * `{ worker: false }`. Given checkpoint bytes from save(), the trainer resumes exactly where that one stopped.
 */
export async function createTrainer(spec: TrainerSpec | Uint8Array, options: CreateTrainerOptions & { worker: false }): Promise<Trainer>;
export async function createTrainer(spec: TrainerSpec | Uint8Array, options?: CreateTrainerOptions & { worker?: true }): Promise<WorkerTrainer>;
export async function createTrainer(spec: TrainerSpec | Uint8Array, options?: CreateTrainerOptions): Promise<Trainer | WorkerTrainer>;
export async function createTrainer(spec: TrainerSpec | Uint8Array, options: CreateTrainerOptions = {}): Promise<Trainer | WorkerTrainer> {
  if (spec instanceof Uint8Array) {
    const trainer = await createTrainer(checkpointSpec(spec), options);
    try {
      await trainer.load(spec);
    } catch (error) {
      await trainer.dispose();
      throw error;
    }
    return trainer;
  }
  const o = plainObject('options', options);
  knownKeys('createTrainer options', o, ['worker', 'build', 'simd', 'workerUrl', 'workers']);
  const worker = booleanOption('worker', o.worker, true);
  const build = requestedBuild(o, 'createTrainer');
  if (build !== undefined) checkBuildSupported(build);
  checkWasmReadable('createTrainer');
  if (o.workerUrl !== undefined && typeof o.workerUrl !== 'string' && !(o.workerUrl instanceof URL)) {
    throw new TypeError(`workerUrl must be a string or URL, got ${typeof o.workerUrl}`);
  }
  const workers = o.workers === 'auto' ? Math.max(1, hardwareConcurrency() - 1)
    : numberOption('workers', o.workers, 1, { min: 1, integer: true });
  if (workers > 1) {
    // each shard would keep its own running statistics (torch's DDP without SyncBatchNorm): refuse
    const stateful = modelFromSpec(spec).layers.find((layer) => (layer.states?.length ?? 0) > 0);
    if (stateful) {
      throw new RangeError(`workers: ${workers} cannot train layers[${stateful.index}] (${stateful.type}): its running statistics would be split across the shards; use workers: 1`);
    }
  }
  const parallel = workers > 1 ? { workers } : {};
  if (!worker) return Trainer.create(spec, { ...(build === undefined ? {} : { build }), ...parallel, startPool: ShardPool.start });
  return WorkerTrainer.create(spec, {
    ...(build === undefined ? {} : { build }),
    ...parallel,
    ...(o.workerUrl === undefined ? {} : { workerUrl: o.workerUrl as string | URL }),
  });
}
