// The trainer under hostile input and faults, in this thread (worker deaths: test/timing/faults.test.ts).
// Random invalid specs, fit options and data (fast-check, seeded) fail with a TypeError/RangeError
// that names the field, before anything changes; data too big for one instance is refused before
// any WASM memory grows; an exception in a callback rejects fit with that very error and loses
// nothing; dispose() during fit rejects it as the worker trainer does.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createTrainer, type FitOptions, type Trainer, type TrainerSpec } from '../src/index.js';
import { RAW_FAILURE, withInstanceMemories } from './fixtures/hardening.js';

const spec: TrainerSpec = {
  inputSize: 3,
  layers: [{ units: 4, activation: 'relu' }, { type: 'dropout', rate: 0.1 }, { units: 2 }],
  loss: 'softmax_cross_entropy',
  optimizer: { name: 'adam', learningRate: 0.01 },
  seed: 1,
};
const x = Float32Array.from({ length: 30 }, (_, i) => Math.sin(i));
const y = Int32Array.from({ length: 10 }, (_, i) => i % 2);

function expectNamedRefusal(error: unknown, names: readonly string[], context: string): void {
  expect(error instanceof TypeError || error instanceof RangeError, `${context}: ${String(error)}`).toBe(true);
  const message = (error as Error).message;
  expect(message, context).not.toMatch(RAW_FAILURE);
  expect(names.some((name) => message.includes(name)), `${context}: "${message}" names none of ${names.join(', ')}`).toBe(true);
}

const JUNK: unknown[] = [-1, 0, 0.5, 1, 2, 3, 2 ** 32, 1e300, NaN, Infinity, -Infinity, -0, '3', '', 'relu', 'adam', null, true, false, [], [1], {},
  { name: 'cosine' }, { name: 'cosine', initial: 0.1, tMax: 'auto' }, { name: 'step', initial: 0.1, stepSize: 0 }, Symbol('s'), 10n, () => 1,
  new Date(0), JSON.parse('{"__proto__": {"units": 4}}'), Object.create(null)];

// Where a mutation lands, and the words an error about it may use to name it.
const SPEC_PATHS: [path: (string | number)[], names: string[]][] = [
  [['inputSize'], ['inputSize', 'layers']], [['layers'], ['layers']], [['layers', 0], ['layers[0]']], [['layers', 1], ['layers[1]']],
  ...['units', 'activation', 'l1', 'l2', 'useBias', 'init', 'type', 'rate'].map((key): [(string | number)[], string[]] => [['layers', 0, key], ['layers']]),
  [['layers', 1, 'rate'], ['layers[1]']], [['layers', 1, 'type'], ['layers']], [['layers', 2, 'units'], ['layers']],
  [['loss'], ['loss']], ...['name', 'delta', 'weight', 'ignoreIndex', 'labelSmoothing', 'posWeight', 'alpha', 'beta', 'scale', 'lossy']
    .map((key): [(string | number)[], string[]] => [['loss', key], ['loss']]),
  [['optimizer'], ['optimizer']], ...['name', 'learningRate', 'beta1', 'beta2', 'epsilon', 'weightDecay', 'amsgrad', 'clipValue', 'clipGlobalNorm', 'momentum', 'nesterov']
    .map((key): [(string | number)[], string[]] => [['optimizer', key], ['optimizer']]),
  ...['initial', 'tMax', 'etaMin', 'name', 'then', 'warmupSteps'].map((key): [(string | number)[], string[]] => [['optimizer', 'learningRate', key], ['optimizer.learningRate']]),
  [['seed'], ['seed']], [['normalize'], ['normalize']], [['layer'], ['"layer"']], [['__proto__'], ['"__proto__"']], [['constructor'], ['"constructor"']],
];

/** A deep copy of arrays and plain objects (own keys, "__proto__" included); anything else as it is. */
function clone(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clone);
  if (value === null || typeof value !== 'object') return value;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    Object.defineProperty(copy, key, { value: clone((value as Record<string, unknown>)[key]), enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

function mutate(base: TrainerSpec, path: (string | number)[], value: unknown): unknown {
  const copy = clone(base) as Record<string, unknown>;
  if (path[0] === 'loss' && path.length === 2) copy.loss = { name: path[1] === 'name' ? 'huber' : 'softmax_cross_entropy' };
  if (path[0] === 'optimizer' && path[1] === 'learningRate' && path.length === 3 && typeof copy.optimizer === 'object' && copy.optimizer !== null) {
    (copy.optimizer as Record<string, unknown>).learningRate = { name: 'cosine', initial: 0.1, tMax: 100 };
  }
  let target = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) {
    target = target[key] as Record<string | number, unknown>;
    if (target === null || typeof target !== 'object') return copy; // an earlier mutation replaced the parent
  }
  // defineProperty: "__proto__" and "constructor" become own keys, as JSON.parse would make them
  Object.defineProperty(target, path.at(-1)!, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}

describe('random invalid trainer specs', () => {
  it('are refused with a TypeError/RangeError naming the field, or build a working trainer', async () => {
    const outcomes = { built: 0, refused: 0 };
    await fc.assert(fc.asyncProperty(
      fc.array(fc.tuple(fc.nat(SPEC_PATHS.length - 1), fc.nat(JUNK.length - 1)), { minLength: 1, maxLength: 2 }),
      async (mutations) => {
        let candidate: unknown = spec;
        for (const [p, v] of mutations) candidate = mutate(candidate as TrainerSpec, SPEC_PATHS[p]![0], JUNK[v]);
        const names = mutations.flatMap(([p]) => SPEC_PATHS[p]![1]).concat('spec');
        const made = await createTrainer(candidate as TrainerSpec, { worker: false }).then((t) => t, (e: unknown) => e);
        if (made instanceof Error || !(made as Trainer).fit) {
          expectNamedRefusal(made, names, JSON.stringify(mutations));
          outcomes.refused++;
          return;
        }
        // accepted: it must train (or stop on a non-finite loss) without a crash
        const t = made as Trainer;
        const history = await t.fit(x, t.model.lossName === 'softmax_cross_entropy' || t.model.lossName === 'nll' ? y : new Float32Array(10 * t.model.outputs).fill(0.5), { epochs: 1 })
          .catch((e: unknown) => e);
        if (history instanceof Error) expectNamedRefusal(history, ['y', 'labels'], `fit after ${JSON.stringify(mutations)}`);
        await t.dispose();
        outcomes.built++;
      },
    ), { numRuns: 400, seed: 5 });
    expect(outcomes.refused).toBeGreaterThan(200);
    expect(outcomes.built).toBeGreaterThan(10);
  });

  it('bad loss options fail in the caller\'s thread, naming loss.<option>, before any WASM instance or worker', async () => {
    // regression: loss options were checked by running the kernel on a row of zeros inside the trainer
    const cases: [unknown, RegExp][] = [
      [{ name: 'huber', delta: -1 }, /^loss\.delta must be a positive finite number, got -1$/],
      [{ name: 'mse', delta: -1 }, /^unknown option "delta" for loss; it takes name$/],
      [{ name: 'softmax_cross_entropy', weight: [1, 2, 3] }, /^loss\.weight length must equal the number of classes 2, got 3$/],
      [{ name: 'softmax_cross_entropy', labelSmoothing: 2 }, /^loss\.labelSmoothing must be in \[0, 1\], got 2$/],
      [{ name: 'nll', ignoreIndex: 0.5 }, /^loss\.ignoreIndex must be a 32-bit integer, got 0.5$/],
      [{ name: 'bce_with_logits', posWeight: [1] }, /^loss\.posWeight length must equal the number of columns 2, got 1$/],
      [{ name: 'binary_cross_entropy', weight: [1, 2, 3] }, /^loss\.weight length must equal the number of outputs 2, got 3$/],
      [{ name: 'barron', alpha: Infinity }, /^loss\.alpha must be a number or -Infinity, got Infinity$/],
      [{ name: 'smooth_l1', beta: -0.5 }, /^loss\.beta must be a non-negative finite number, got -0.5$/],
    ];
    const memories = await withInstanceMemories(async (made) => {
      for (const [loss, message] of cases) {
        await expect(createTrainer({ ...spec, loss } as TrainerSpec, { worker: false })).rejects.toThrow(message);
        await expect(createTrainer({ ...spec, loss } as TrainerSpec)).rejects.toThrow(message); // a worker trainer too
      }
      return made;
    });
    expect(memories).toEqual([]);
  });

  it('a network whose parameters cannot fit one WASM block is refused before any instance is made', async () => {
    const memories = await withInstanceMemories(async (made) => {
      await expect(createTrainer({ ...spec, inputSize: 100_000, layers: [{ units: 100_000 }] }, { worker: false }))
        .rejects.toThrow(/layers need 10000100000 parameters; one WASM block holds at most 268435452 \(1 GiB\)/);
      return made;
    });
    expect(memories).toEqual([]);
  });
});

// ---- fit options and data --------------------------------------------------------------------

const controller = new AbortController();
const FIT_VALUES: Record<string, unknown[]> = {
  epochs: [-1, 0.5, NaN, Infinity, '3', null, true, [], {}, 0, 1, 2],
  batchSize: [0, -1, 0.5, NaN, Infinity, '32', null, 1e300, 2 ** 53 - 1, 1, 7, 1e9],
  shuffle: [true, false, 1, 'yes', null],
  validationSplit: [0, 0.2, 0.5, 0.99, 1, -0.1, NaN, '0.2', 0.0001],
  validationData: [[x, y], [x], 'v', [x, 'y'], [null, null], [x.subarray(0, 6), y.subarray(0, 2)], [x, Int32Array.from(y, (v) => v + 1)], {}, [x, y, x]],
  onEpochEnd: [() => {}, 'f', 1, null, {}],
  onBatchEnd: [() => {}, 'f', 1, null],
  batchCallbackInterval: [0, 10, -1, NaN, Infinity, '5'],
  earlyStopping: [{}, { patience: 1 }, { patience: -1 }, { monitor: 'valLoss' }, { monitor: 'mae' }, { monitor: 'accuracy' },
    { restoreBestWeights: 'yes' }, { minDelta: -1 }, { patiance: 1 }, null, 'x'],
  classWeight: [[1, 2], [1, 2, 3], { 0: 2 }, { 5: 1 }, { '-1': 1 }, { a: 1 }, [NaN, 1], [-1, 1], 'w', null],
  signal: [controller.signal, { aborted: false }, 'x'],
  checkpoint: [{ every: 'epoch', onSave: () => {} }, { every: 'best', onSave: () => {} }, { every: 'sometimes', onSave: () => {} },
    { every: 'epoch' }, { every: 'best', monitor: 'valLoss', onSave: () => {} }, 'x', null],
  epoch: [3], batch_size: [8], constructor: [{}], toString: ['x'],
};
const FIT_NAMES: Record<string, string[]> = { epoch: ['"epoch"'], batch_size: ['"batch_size"'], constructor: ['"constructor"'], toString: ['"toString"'] };

describe('random fit options', () => {
  it('are refused with an error naming the option, leaving the trainer unchanged, or train', async () => {
    const t = await createTrainer(spec, { worker: false });
    const outcomes = { trained: 0, refused: 0 };
    await fc.assert(fc.asyncProperty(
      fc.dictionary(fc.constantFrom(...Object.keys(FIT_VALUES)), fc.nat(), { minKeys: 1, maxKeys: 3 }),
      async (picks) => {
        const options: Record<string, unknown> = {};
        for (const [key, i] of Object.entries(picks)) {
          Object.defineProperty(options, key, { value: FIT_VALUES[key]![i % FIT_VALUES[key]!.length], enumerable: true, writable: true });
        }
        const weights = t.getWeights();
        const step = t.step;
        const outcome = await t.fit(x, y, options as FitOptions).catch((e: unknown) => e);
        if (outcome instanceof Error) {
          const names = Object.keys(picks).flatMap((key) => FIT_NAMES[key] ?? [key]);
          expectNamedRefusal(outcome, names, JSON.stringify(picks));
          expect(t.getWeights()).toEqual(weights);
          expect(t.step).toBe(step);
          outcomes.refused++;
        } else {
          expect(['completed', 'early_stopping', 'stopped']).toContain((outcome as { stopReason: string }).stopReason);
          outcomes.trained++;
        }
      },
    ), { numRuns: 400, seed: 6 });
    expect(outcomes.refused).toBeGreaterThan(150);
    expect(outcomes.trained).toBeGreaterThan(50);
    expect((await t.fit(x, y)).stopReason).toBe('completed');
  });

  it('random data: bad x and y (NaN labels and targets included) are refused naming x, y or labels', async () => {
    const classifier = await createTrainer(spec, { worker: false });
    const regression = await createTrainer({ ...spec, loss: 'mse' }, { worker: false });
    const xForms = [x, Array.from(x), Float64Array.from(x), x.subarray(0, 29), new Float32Array(0), Int32Array.from(x), 'x', null, [[1, 2, 3]], [1, 'a', 3]];
    const withNaN = (values: ArrayLike<number>, at: number) => Array.from(values, (v, i) => (i === at ? NaN : v));
    const yForms: unknown[] = [y, Array.from(y), withNaN(y, 3), Float32Array.from(y), Int32Array.from(y, (v) => v * 5), Int32Array.from(y, (v) => -v),
      new Float32Array(20).fill(0.5), Float32Array.from(withNaN(new Float32Array(20).fill(0.5), 7)), Float32Array.from({ length: 20 }, (_, i) => (i === 4 ? Infinity : 0)),
      Float32Array.from({ length: 20 }, (_, i) => (i === 4 ? 1e39 : 0)), y.subarray(1), 'y', null, Array.from(y, (v) => v + 0.5)];
    const refused = { classifier: 0, regression: 0 };
    await fc.assert(fc.asyncProperty(fc.nat(xForms.length - 1), fc.nat(yForms.length - 1), fc.boolean(), async (xi, yi, regress) => {
      const t = regress ? regression : classifier;
      const weights = t.getWeights();
      for (const call of [() => t.fit(xForms[xi], yForms[yi], { epochs: 1 }), () => t.evaluate(xForms[xi], yForms[yi])]) {
        const outcome = await call().catch((e: unknown) => e);
        if (outcome instanceof Error) {
          expectNamedRefusal(outcome, ['x', 'y', 'labels'], `x form ${xi}, y form ${yi}`);
          expect(t.getWeights()).toEqual(weights);
          refused[regress ? 'regression' : 'classifier']++;
        }
      }
    }), { numRuns: 200, seed: 7 });
    expect(refused.classifier).toBeGreaterThan(50);
    // NaN labels and targets in particular: a clear error before training, not a 'nan' stop at some batch
    await expect(classifier.fit(x, withNaN(y, 3))).rejects.toThrow(/labels must be in \[0, 2\) or ignoreIndex -100, got NaN at y\[3\]|class indices must be an Int32Array/);
    await expect(createTrainer({ ...spec, loss: 'nll' }, { worker: false }).then((t) => t.fit(x, withNaN(y, 3))))
      .rejects.toThrow(/labels must be in \[0, 2\) or ignoreIndex -100, got NaN at y\[3\]/);
    await expect(regression.fit(x, Float32Array.from(withNaN(new Float32Array(20), 7)))).rejects.toThrow(/y must hold finite targets, got NaN at y\[7\]/);
    await expect(regression.evaluate(x, Float32Array.from({ length: 20 }, (_, i) => (i ? 0 : -Infinity)))).rejects.toThrow(/got -Infinity at y\[0\]/);
  });
});

// ---- limits ------------------------------------------------------------------------------------

describe('limits', () => {
  it('a validation set above the 1 GiB block cap is refused before the training set is copied (no memory grows)', async () => {
    await withInstanceMemories(async (memories) => {
      const t = await createTrainer({ ...spec, inputSize: 4 }, { worker: false });
      const before = memories[0]!.buffer.byteLength;
      // calloc'd and never touched: virtual memory only
      const bigX = new Float32Array(2 ** 28 + 4);
      const bigY = new Int32Array(2 ** 26 + 1);
      const small = new Float32Array(40);
      await expect(t.fit(small, y, { validationData: [bigX, bigY] }))
        .rejects.toThrow(/validationData\[0\] must fit one WASM block of at most 268435452 values \(1 GiB\), got 268435460 values/);
      await expect(t.predict(bigX)).rejects.toThrow(/x must fit one WASM block/);
      await expect(t.evaluate(bigX, bigY)).rejects.toThrow(/x must fit one WASM block/);
      expect(memories[0]!.buffer.byteLength).toBe(before);
      expect((await t.fit(small, y)).stopReason).toBe('completed');
    });
  });

  it('data that cannot fit wasm32\'s 4 GiB altogether is refused up front', async () => {
    await withInstanceMemories(async (memories) => {
      const t = await createTrainer({ ...spec, inputSize: 16, layers: [{ units: 16 }], loss: 'mse' }, { worker: false });
      const before = memories[0]!.buffer.byteLength;
      const block = () => new Float32Array(2 ** 28 - 16); // four untouched arrays just under 1 GiB each
      await expect(t.fit(block(), block(), { validationData: [block(), block()] }))
        .rejects.toThrow(/the data and the model need 42949\d+ bytes of WASM memory; one instance holds at most 4294967296 \(4 GiB, wasm32\)/);
      expect(memories[0]!.buffer.byteLength).toBe(before);
    });
  });

  it('memory.grow failing inside fit is reported as such; the trainer keeps working', async () => {
    await withInstanceMemories(async (memories) => {
      const t = await createTrainer({ ...spec, inputSize: 4 }, { worker: false });
      await t.fit(new Float32Array(40), y); // settle the batch buffers
      const memory = memories[0]!;
      memory.grow(65536 - memory.buffer.byteLength / 65536); // all 4 GiB (virtual): the allocator cannot grow any more
      const rows = 2 ** 20;
      const error = await t.fit(new Float32Array(rows * 4), new Int32Array(rows)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RangeError);
      expect((error as Error).message).toMatch(/could not allocate 16777216 bytes of WASM memory: memory.grow failed at 4294967296 bytes/);
      expect((await t.fit(new Float32Array(40), y)).stopReason).toBe('completed');
    });
  });

  it('a batch size above the row count means one batch of all rows (as Keras), bit for bit', async () => {
    const run = async (batchSize: number) => {
      const t = await createTrainer(spec, { worker: false });
      let batches = 0;
      await t.fit(x, y, { epochs: 3, batchSize, batchCallbackInterval: 0, onBatchEnd: () => { batches++; } });
      return { weights: t.getWeights(), batches };
    };
    const all = await run(10);
    expect(all.batches).toBe(3);
    for (const huge of [11, 1e9, 2 ** 53 - 1, 1e300]) expect(await run(huge)).toEqual(all);
  });
});

// ---- faults in this thread -------------------------------------------------------------------------

describe('callback exceptions and dispose during fit (in-thread)', () => {
  it('an exception in onEpochEnd rejects fit with that very error; the epoch is kept and the next fit continues as if uninterrupted', async () => {
    const straight = await createTrainer(spec, { worker: false });
    await straight.fit(x, y, { epochs: 3, batchSize: 4 });
    const t = await createTrainer(spec, { worker: false });
    const boom = new RangeError('my callback failed');
    const error = await t.fit(x, y, { epochs: 5, batchSize: 4, onEpochEnd: (log) => { if (log.epoch === 2) throw boom; } }).catch((e: unknown) => e);
    expect(error).toBe(boom);
    expect(t.epoch).toBe(2);
    expect(Object.values(t.getWeights()).every((w) => w.every(Number.isFinite))).toBe(true);
    expect((await t.fit(x, y, { epochs: 1, batchSize: 4 })).epochs.map((e) => e.epoch)).toEqual([3]);
    expect(t.getWeights()).toEqual(straight.getWeights());
  });

  it('an exception (or a rejected promise) in onBatchEnd or checkpoint.onSave rejects fit; the weights of the last step stay', async () => {
    const t = await createTrainer(spec, { worker: false });
    const failures: FitOptions[] = [
      { batchCallbackInterval: 0, onBatchEnd: (log) => { if (log.batch === 2) throw new TypeError('batch callback'); } },
      { onBatchEnd: async () => { throw new Error('async batch callback'); } },
      { checkpoint: { every: 'epoch', onSave: () => Promise.reject(new Error('disk full')) } },
    ];
    for (const options of failures) {
      const step = t.step;
      const error = await t.fit(x, y, { epochs: 3, batchSize: 4, ...options }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(/batch callback|disk full/);
      expect(t.step).toBeGreaterThan(step);
      const weights = t.getWeights();
      expect(Object.values(weights).every((w) => w.every(Number.isFinite))).toBe(true);
      expect(await t.save()).toBeInstanceOf(Uint8Array); // the state is whole: it saves
    }
    expect((await t.fit(x, y, { epochs: 1 })).stopReason).toBe('completed');
  });

  it('dispose() during fit — from outside, from onBatchEnd, from onEpochEnd with a checkpoint — rejects it with "trainer is disposed"', async () => {
    const starts: ((t: Trainer) => Promise<unknown>)[] = [
      async (t) => {
        const running = t.fit(x, y, { epochs: 100_000, batchSize: 1 });
        await new Promise((resolve) => setTimeout(resolve, 30));
        await t.dispose();
        return running;
      },
      (t) => t.fit(x, y, { epochs: 5, batchCallbackInterval: 0, onBatchEnd: () => t.dispose() }),
      (t) => t.fit(x, y, { epochs: 5, onEpochEnd: () => t.dispose(), checkpoint: { every: 'epoch', onSave: () => {} } }),
      (t) => t.fit(x, y, { epochs: 5, validationSplit: 0.3, onEpochEnd: () => t.dispose(), earlyStopping: { patience: 1, restoreBestWeights: true } }),
    ];
    for (const start of starts) {
      const t = await createTrainer(spec, { worker: false });
      const outcome = await start(t).catch((e: unknown) => e);
      expect(outcome).toEqual(new Error('trainer is disposed'));
      await expect(t.predict(x)).rejects.toThrow('trainer is disposed');
      expect(() => t.stop()).not.toThrow();
    }
  });

  it('stop() requested during an epoch keeps that epoch\'s validation and ends with "stopped"', async () => {
    const t = await createTrainer(spec, { worker: false });
    const history = await t.fit(x, y, {
      epochs: 50, batchSize: 2, validationSplit: 0.3, batchCallbackInterval: 0,
      onBatchEnd: (log) => { if (log.epoch === 3 && log.batch === 4) t.stop(); },
    });
    expect(history.stopReason).toBe('stopped');
    expect(history.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(history.epochs.every((e) => Number.isFinite(e.valLoss) && Number.isFinite(e.valAccuracy))).toBe(true);
  });
});
