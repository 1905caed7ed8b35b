// createTrainer: the one entry point for training. `{ worker: false }` builds the Trainer in the
// calling thread; the worker runtime (the default) is built on top of it.

import type { TrainerSpec } from '../model/spec.js';
import { booleanOption, knownKeys, plainObject } from '../validate.js';
import { Trainer } from './trainer.js';

export interface CreateTrainerOptions {
  /** false: train in the calling thread. true (default): in a worker (not available in this version). */
  worker?: boolean;
  /** Force the SIMD (true) or scalar (false) build; default: SIMD when supported. */
  simd?: boolean;
}

/** Validates `spec` and returns a trainer. */
export async function createTrainer(spec: TrainerSpec, options: CreateTrainerOptions = {}): Promise<Trainer> {
  const o = plainObject('options', options);
  knownKeys('createTrainer options', o, ['worker', 'simd']);
  const worker = booleanOption('worker', o.worker, true);
  if (worker) {
    throw new Error(
      'createTrainer: training in a worker is not available in this version of descent yet; pass { worker: false } to train in this thread',
    );
  }
  return Trainer.create(spec, o.simd === undefined ? {} : { simd: booleanOption('simd', o.simd, true) });
}
