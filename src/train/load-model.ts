// loadModel: a light in-thread predictor for apps that only infer (no worker, no optimizer state).

import { checkpointSpec, decodeForInference } from '../io/checkpoint.js';
import { Network } from '../model/network.js';
import { modelFromSpec } from '../model/spec.js';
import { runtimeName } from '../runtime.js';
import { Heap } from '../wasm/heap.js';
import { loadKernels } from '../wasm/load.js';
import type { Build } from '../wasm/builds.js';
import type { GenerateOptions } from './generate.js';
import { Inference } from './inference.js';
import type { EvaluateResult, Features, Targets } from './types.js';

export interface Predictor {
  predict(x: Features, options?: { raw?: boolean }): Promise<Float32Array>;
  /** Token ids sampled after the prompt `ids`, as trainer.generate. */
  generate(ids: Int32Array | readonly number[], options: GenerateOptions): Promise<Int32Array>;
  evaluate(x: Features, y: Targets): Promise<EvaluateResult>;
  summary(): string;
  getWeights(): Record<string, Float32Array>;
  readonly info: { runtime: string; build: Build; worker: string; parameters: number; workers: number };
  dispose(): Promise<void>;
}

/** A predictor from checkpoint bytes made by save(): weights and normalisation, in this thread. */
export async function loadModel(bytes: Uint8Array, options: { build?: Build; simd?: boolean } = {}): Promise<Predictor> {
  const model = modelFromSpec(checkpointSpec(bytes));
  const kernels = await loadKernels({ build: options.build, simd: options.simd });
  const network = new Network(new Heap(kernels.raw), model);
  let disposed = false;
  const inference = new Inference(model, network, 4 * network.size * 2);
  try {
    const { params, states, normalization } = decodeForInference(bytes, model, network);
    (network.params.array as Float32Array).set(params);
    (network.states.array as Float32Array).set(states);
    inference.normalization = normalization;
  } catch (error) {
    network.free();
    throw error;
  }
  const live = () => {
    if (disposed) throw new Error('model is disposed');
    return inference;
  };
  return {
    predict: async (x, o) => live().predict(x, o),
    generate: async (ids, o) => live().generate(ids, o),
    evaluate: async (x, y) => live().evaluate(x, y),
    summary: () => inference.summary(),
    getWeights: () => live().weights(),
    info: { runtime: runtimeName(), build: kernels.build, worker: 'none', parameters: network.size, workers: 1 },
    async dispose() {
      if (disposed) return;
      disposed = true;
      network.free();
    },
  };
}
