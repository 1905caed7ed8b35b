// Errors that say how to fix them: each test reads the fix in the message, not only the problem.
// Every "must be one of" error is one RangeError (validate.ts notOneOf) listing the names as written
// in code and, when one is close to the value got, "did you mean '…'?".
import { describe, expect, it } from 'vitest';
import { closestName, createTrainer, loadCheckpointFromBrowser, loadKernels, type TrainerSpec } from '../src/index.js';

const dense: TrainerSpec = { inputSize: 2, layers: [{ units: 3, activation: 'relu' }, { units: 2 }], loss: 'softmax_cross_entropy', seed: 1 };
const x = new Float32Array([0, 0, 0, 1, 1, 0, 1, 1]);
const labels = new Int32Array([0, 1, 1, 0]);

describe('closestName: TypeScript\'s rule for "did you mean"', () => {
  it.each([
    ['conv2D', ['dense', 'conv1d', 'conv2d'], 'conv2d'], // case only
    ['adamm', ['sgd', 'adam', 'adamw'], 'adam'], // one letter too many: adam before adamw (both 1 away, first wins)
    ['trian', ['train', 'lr-find'], 'train'],
    ['softmax_crossentropy', ['cross_entropy', 'softmax_cross_entropy'], 'softmax_cross_entropy'],
    ['epoch', ['epochs', 'batchSize'], 'epochs'],
    ['swish', ['linear', 'relu', 'sigmoid', 'tanh', 'gelu'], undefined], // nothing near: no guess
    ['cos', ['cosine', 'constant'], undefined], // a prefix is not a near miss
    ['x', ['mse', 'mae'], undefined],
  ] as const)('%s among %j → %s', (value, names, expected) => {
    expect(closestName(value, names)).toBe(expected);
  });
});

/** The error `run` throws or rejects with. */
async function errorOf(run: () => unknown): Promise<Error> {
  try {
    await run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('every "must be one of" error: one RangeError, the names, the value and the near name', () => {
  const spec = (change: Partial<TrainerSpec>) => ({ ...dense, ...change }) as TrainerSpec;
  it.each([
    ['layer type', () => createTrainer(spec({ inputShape: [4, 4, 1], inputSize: undefined, layers: [{ type: 'conv2D', filters: 2, kernelSize: 3 } as never, { units: 2 }] })),
      "layers[0].type must be one of 'dense', ", 'got "conv2D"; did you mean \'conv2d\'?'],
    ['activation', () => createTrainer(spec({ layers: [{ units: 3, activation: 'Relu' as never }, { units: 2 }] })),
      "layers[0].activation must be one of 'linear', 'relu', ", 'got "Relu"; did you mean \'relu\'?'],
    ['initializer', () => createTrainer(spec({ layers: [{ units: 3, init: 'heNormall' as never }, { units: 2 }] })),
      "layers[0].init must be one of 'glorotUniform', 'heNormal', 'lecunNormal'", 'got "heNormall"; did you mean \'heNormal\'?'],
    ['conv padding', () => createTrainer(spec({ inputShape: [4, 4, 1], inputSize: undefined, layers: [{ type: 'conv2d', filters: 2, kernelSize: 3, padding: 'Same' as never }, { type: 'flatten' }, { units: 2 }] })),
      "layers[0].padding must be 'valid', 'same', a non-negative integer", 'got "Same"; did you mean \'same\'?'],
    ['optimizer', () => createTrainer(spec({ optimizer: 'adamm' as never })),
      "optimizer.name must be one of 'sgd', 'adam', ", 'got "adamm"; did you mean \'adam\'?'],
    ['schedule', () => createTrainer(spec({ optimizer: { name: 'sgd', learningRate: { name: 'cosin' as never, initial: 0.1, decaySteps: 10 } as never } })),
      "optimizer.learningRate.name must be one of 'constant', ", 'got "cosin"; did you mean \'cosine\'?'],
    ['loss in a spec', () => createTrainer(spec({ loss: 'softmax_crossentropy' as never })),
      "loss must be a loss name (one of 'mse', ", 'got "softmax_crossentropy"; did you mean \'softmax_cross_entropy\'?'],
    ['build', () => createTrainer(dense, { build: 'SIMD' as never }),
      "createTrainer: build must be one of 'relaxed', 'simd', 'scalar'", 'got "SIMD"; did you mean \'simd\'?'],
    ['loss of the kernels', async () => (await loadKernels()).loss('msee' as never, [1], [1]),
      "loss name must be one of 'mse', 'mae', ", 'got "msee"; did you mean \'mse\'?'],
    ['reduction', async () => (await loadKernels()).loss('mse', [1], [1], { reduction: 'Sum' as never }),
      "reduction must be one of 'mean', 'sum', 'none'", 'got "Sum"; did you mean \'sum\'?'],
    ['WASM array type', async () => (await loadKernels()).alloc(4, 'F32' as never),
      "type must be one of 'f32', 'i32'", 'got "F32"; did you mean \'f32\'?'],
    ['early-stopping monitor', async () => (await createTrainer(dense, { worker: false })).fit(x, labels, { earlyStopping: { monitor: 'Loss' as never } }),
      "earlyStopping.monitor must be one of 'loss', 'valLoss', 'accuracy', 'valAccuracy'", 'got "Loss"; did you mean \'loss\'?'],
    ['checkpoint cadence', async () => (await createTrainer(dense, { worker: false })).fit(x, labels, { checkpoint: { every: 'Best' as never, onSave: () => {} } }),
      "checkpoint.every must be one of 'epoch', 'best'", 'got "Best"; did you mean \'best\'?'],
    ['browser storage', () => loadCheckpointFromBrowser('model', { storage: 'OPFS' as never }),
      "options.storage must be one of 'indexeddb', 'opfs'", 'got "OPFS"; did you mean \'opfs\'?'],
  ])('%s', async (_what, run, rule, fix) => {
    const error = await errorOf(run);
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toContain(rule);
    expect(error.message.endsWith(fix), error.message).toBe(true);
  });

  it('a value with no near name gets the list and no guess; a misspelt option key gets the near key', async () => {
    const far = await errorOf(() => createTrainer({ ...dense, layers: [{ units: 3, activation: 'swish' as never }, { units: 2 }] }));
    expect(far).toBeInstanceOf(RangeError);
    expect(far.message).toMatch(/; got "swish"$/);
    const key = await errorOf(async () => (await createTrainer(dense, { worker: false })).fit(x, labels, { epoch: 3 } as never));
    expect(key.message).toMatch(/^unknown option "epoch" in .*; did you mean 'epochs'\?$/);
  });
});

describe('errors that name the fix', () => {
  it('Float32Array class labels for softmax_cross_entropy: say where class indices go', async () => {
    for (const worker of [false, true]) {
      const t = await createTrainer(dense, { worker });
      try {
        const error = await errorOf(() => t.fit(x, new Float32Array([0, 1, 1, 0])));
        expect(error).toBeInstanceOf(RangeError);
        expect(error.message).toBe('y length must be rows × outputs = 4 × 2 = 8, got 4; class indices go in an Int32Array or number[]; a Float32Array is read as one value per output');
      } finally {
        await t.dispose();
      }
    }
  });

  it('conv2d over inputShape [28, 28]: names inputShape and suggests [28, 28, 1]', async () => {
    const error = await errorOf(() => createTrainer({ inputShape: [28, 28], layers: [{ type: 'conv2d', filters: 4, kernelSize: 3 }, { type: 'flatten' }, { units: 10 }], loss: 'softmax_cross_entropy' }));
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toBe('layers[0] (conv2d) needs rows of shape [H, W, C] (channels-last), got inputShape [28, 28]; for one channel, write inputShape: [28, 28, 1]');
  });

  it.each([false, true])('a call after dispose() names the call and the way on, and that way works (worker: %s)', async (worker) => {
    const t = await createTrainer(dense, { worker });
    await t.fit(x, labels, { epochs: 2, batchSize: 4 });
    const bytes = await t.save();
    const weights = await t.getWeights();
    await t.dispose();
    const wayOn = 'trainer is disposed (dispose() freed it for good); to go on, create another: createTrainer(bytes) with bytes from save() made before dispose(), or createTrainer(spec) to start afresh';
    for (const [call, run] of [['fit', () => t.fit(x, labels)], ['predict', () => t.predict(x)], ['save', () => t.save()], ['evaluate', () => t.evaluate(x, labels)]] as const) {
      const error = await errorOf(run);
      expect(error.message).toBe(`${call}: ${wayOn}`);
    }
    // the way on: a new trainer from the saved bytes resumes where the disposed one stopped
    const resumed = await createTrainer(bytes, { worker });
    try {
      expect(await resumed.getWeights()).toEqual(weights);
      const history = await resumed.fit(x, labels, { epochs: 1, batchSize: 4 });
      expect(history.epochs).toHaveLength(1);
    } finally {
      await resumed.dispose();
    }
  });
});
