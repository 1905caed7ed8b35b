// The training step's hot path: after a fit's set-up, a batch makes no WASM allocation and runs no
// validation — the number of heap allocations and of option checks does not grow with the number
// of batches (one data-staging pass per fit, one bound loss per fit).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTrainer, type TrainerSpec } from '../src/index.js';
import * as options from '../src/losses/options.js';
import { Heap } from '../src/wasm/heap.js';
import { BUILDS } from './reference/builds.js';

const spec: TrainerSpec = {
  inputSize: 6,
  layers: [{ units: 8, activation: 'gelu', l2: 1e-3 }, { type: 'dropout', rate: 0.2 }, { units: 3 }],
  loss: { name: 'softmax_cross_entropy', labelSmoothing: 0.1 },
  optimizer: { name: 'adam', learningRate: 1e-2, clipGlobalNorm: 1 },
  seed: 3,
  normalize: true,
};

function data(rows: number) {
  return {
    x: Float32Array.from({ length: rows * 6 }, (_, i) => Math.sin(0.37 * i)),
    y: Int32Array.from({ length: rows }, (_, i) => i % 3),
  };
}

afterEach(() => vi.restoreAllMocks());

describe('the hot path', () => {
  it.each(BUILDS)('allocates and validates per fit, not per batch (%s build)', async (build) => {
    const alloc = vi.spyOn(Heap.prototype, 'alloc');
    const validate = vi.spyOn(options, 'lossOptionValues');
    const counts = async (rows: number) => {
      const t = await createTrainer(spec, { worker: false, build });
      const { x, y } = data(rows);
      await t.fit(x, y, { epochs: 1, batchSize: 4 }); // the first fit sizes the network's buffers
      alloc.mockClear();
      validate.mockClear();
      const history = await t.fit(x, y, { epochs: 3, batchSize: 4, validationSplit: 0.25 });
      expect(history.epochs).toHaveLength(3);
      await t.dispose();
      return { allocations: alloc.mock.calls.length, validations: validate.mock.calls.length };
    };
    const few = await counts(32); // 6 batches per epoch
    const many = await counts(256); // 48 batches per epoch
    expect(many).toEqual(few);
    expect(few.validations).toBe(1); // the loss is bound once per fit
  });
});
