// loadModel: a light in-thread predictor for apps that only infer (no worker, no training).

import { checkpointSpec } from '../io/checkpoint.js';
import type { EvaluateResult } from './trainer.js';
import { Trainer } from './trainer.js';

export interface Predictor {
  predict(x: unknown, options?: { raw?: boolean }): Promise<Float32Array>;
  evaluate(x: unknown, y: unknown): Promise<EvaluateResult>;
  summary(): string;
  getWeights(): Record<string, Float32Array>;
  readonly info: Trainer['info'];
  dispose(): Promise<void>;
}

/** A predictor from checkpoint bytes made by save(): weights and normalisation, in this thread. */
export async function loadModel(bytes: Uint8Array, options: { simd?: boolean } = {}): Promise<Predictor> {
  const trainer = await Trainer.create(checkpointSpec(bytes), options);
  try {
    await trainer.load(bytes);
  } catch (error) {
    await trainer.dispose();
    throw error;
  }
  return {
    predict: (x, o) => trainer.predict(x, o),
    evaluate: (x, y) => trainer.evaluate(x, y),
    summary: () => trainer.summary(),
    getWeights: () => trainer.getWeights(),
    get info() {
      return trainer.info;
    },
    dispose: () => trainer.dispose(),
  };
}
