// Faults around a worker trainer, and what survives them. A worker killed mid-fit, mid-predict,
// mid-evaluate or mid-save rejects every pending call within 1 s, and the checkpoints already
// delivered resume bit for bit; stop() while the worker validates ends fit promptly with whole
// epoch logs; an exception in a callback rejects fit with its class and message while the worker
// keeps the weights of the last step and trains on. Timing-sensitive: runs in the "timing" project.
import { afterEach, describe, expect, it } from 'vitest';
import { createTrainer, decodeSafetensors, type TrainerSpec } from '../../src/index.js';
// @ts-expect-error: plain JavaScript module without declarations
import { loadIris, mulberry32 } from '../../data/datasets.mjs';

const spec: TrainerSpec = {
  inputSize: 4,
  layers: [{ units: 16, activation: 'relu' }, { type: 'dropout', rate: 0.1 }, { units: 3 }],
  loss: 'softmax_cross_entropy',
  optimizer: { name: 'adam', learningRate: 0.01 },
  seed: 4,
  normalize: true,
};
const iris = loadIris() as { x: Float32Array; y: Int32Array };
const dyingWorker = new URL('../fixtures/dying-worker.mjs', import.meta.url);
const GRACE_MS = 1000;

afterEach(() => {
  delete process.env.DESCENT_DIE_IN;
});

/** A worker trainer whose `method` kills the worker (the fixture reads the variable when it starts). */
async function dyingTrainer(method: 'fit' | 'predict' | 'evaluate' | 'save') {
  process.env.DESCENT_DIE_IN = method;
  return createTrainer(spec, { workerUrl: dyingWorker });
}

describe('a worker killed in the middle of a call', () => {
  it('mid-fit: fit rejects within 1 s; the last delivered checkpoint resumes bit for bit', async () => {
    const t = await dyingTrainer('fit');
    let last: Uint8Array | null = null;
    const started = performance.now();
    const fit = t.fit(iris.x, iris.y, {
      epochs: 100_000, batchSize: 8, checkpoint: { every: 'epoch', onSave: (bytes) => { last = bytes; } },
    }).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 50));
    // calls during fit are answered between two batches, or rejected by the death
    const during = [t.predict(iris.x), t.getWeights(), t.save()].map((p) => (p as Promise<unknown>).catch((e: unknown) => e));
    const [fitError, ...outcomes] = await Promise.all([fit, ...during]);
    // the fixture exits 150 ms into fit
    expect(performance.now() - started).toBeLessThan(150 + GRACE_MS);
    expect((fitError as Error).message).toMatch(/descent worker exited \(code 9\)/);
    for (const outcome of outcomes) if (outcome instanceof Error) expect(outcome.message).toMatch(/descent worker exited \(code 9\)/);
    await expect(t.summary()).rejects.toThrow(/exited/);
    expect(() => t.stop()).not.toThrow();

    // nothing lost: the epochs delivered before the kill resume exactly where they ended
    expect(last).not.toBeNull();
    const done = Number(decodeSafetensors(last!).metadata.epoch);
    expect(done).toBeGreaterThan(0);
    const resumed = await createTrainer(last!, { worker: false });
    await resumed.fit(iris.x, iris.y, { epochs: 3, batchSize: 8 });
    const straight = await createTrainer(spec, { worker: false });
    await straight.fit(iris.x, iris.y, { epochs: done + 3, batchSize: 8 });
    expect(resumed.getWeights()).toEqual(straight.getWeights());
  });

  for (const method of ['predict', 'evaluate', 'save'] as const) {
    it(`mid-${method}: it and the calls behind it reject within 1 s; the checkpoint saved before restores`, async () => {
      const t = await dyingTrainer(method);
      let last: Uint8Array | null = null;
      await t.fit(iris.x, iris.y, { epochs: 3, batchSize: 8, checkpoint: { every: 'epoch', onSave: (bytes) => { last = bytes; } } });
      const weights = await t.getWeights();
      const big = new Float32Array(200_000 * 4).map((_, i) => Math.sin(i));
      const started = performance.now();
      const call = method === 'predict' ? t.predict(big) : method === 'evaluate' ? t.evaluate(big, new Int32Array(200_000)) : t.save();
      const behind = [t.getWeights(), t.fit(iris.x, iris.y)];
      const errors = await Promise.all([call, ...behind].map((p) => (p as Promise<unknown>).catch((e: unknown) => e)));
      expect(performance.now() - started).toBeLessThan(GRACE_MS + 500);
      for (const error of errors) expect((error as Error).message).toMatch(/descent worker exited \(code 9\)/);
      const restored = await createTrainer(last!, { worker: false });
      expect(restored.getWeights()).toEqual(weights);
      expect(restored.epoch).toBe(3);
    });
  }

  it('dispose() mid-fit rejects it at once and leaves no worker or port behind', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r === 'MessagePort' || r === 'Worker').length;
    const t = await createTrainer(spec);
    const fit = t.fit(iris.x, iris.y, { epochs: 100_000, batchSize: 2, onEpochEnd: () => {} }).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = performance.now();
    await t.dispose();
    expect(await fit).toEqual(new Error('trainer is disposed'));
    expect(performance.now() - started).toBeLessThan(GRACE_MS);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(process.getActiveResourcesInfo().filter((r) => r === 'MessagePort' || r === 'Worker').length).toBe(before);
  });
});

describe('stop() while the worker validates', () => {
  it('ends fit promptly with "stopped"; every epoch log is whole; the weights are those of the epochs run', async () => {
    const random = mulberry32(17) as () => number;
    const features = 64;
    const validationRows = 20_000;
    const xv = Float32Array.from({ length: validationRows * features }, () => random() - 0.5);
    const yv = Int32Array.from({ length: validationRows }, () => Math.floor(random() * 10));
    const xt = xv.slice(0, 16 * features);
    const yt = yv.slice(0, 16);
    const big: TrainerSpec = { inputSize: features, layers: [{ units: 256, activation: 'relu' }, { units: 10 }], loss: 'softmax_cross_entropy', optimizer: { name: 'adam', learningRate: 1e-3 }, seed: 2 };
    const t = await createTrainer(big);
    try {
      for (const delay of [0, 7, 23]) {
        let stoppedAt = 0;
        let requested = false;
        const history = await t.fit(xt, yt, {
          epochs: 10_000, batchSize: 16, validationData: [xv, yv],
          // each epoch is one step and a validation pass of 20 000 rows: a stop lands in validation almost surely
          onEpochEnd: () => {
            if (requested) return;
            requested = true;
            setTimeout(() => { stoppedAt = performance.now(); t.stop(); }, delay);
          },
        });
        expect(history.stopReason).toBe('stopped');
        expect(performance.now() - stoppedAt).toBeLessThan(GRACE_MS);
        expect(history.epochs.every((e) => Number.isFinite(e.loss) && Number.isFinite(e.valLoss) && Number.isFinite(e.valAccuracy))).toBe(true);
      }
      // nothing lost: the worker's weights are those of an in-thread trainer run for as many epochs
      const epochs = Number(decodeSafetensors(await t.save()).metadata.epoch);
      const reference = await createTrainer(big, { worker: false });
      await reference.fit(xt, yt, { epochs, batchSize: 16 });
      expect(await t.getWeights()).toEqual(reference.getWeights());
      expect((await t.fit(xt, yt, { epochs: 1, batchSize: 16 })).epochs[0]!.epoch).toBe(epochs + 1);
    } finally {
      await t.dispose();
    }
  });
});

describe('exceptions in callbacks (worker)', () => {
  it('onEpochEnd throwing rejects fit with its class and message; the worker keeps the epoch and trains on as if uninterrupted', async () => {
    const t = await createTrainer(spec);
    try {
      const error = await t.fit(iris.x, iris.y, {
        epochs: 10, batchSize: 8, onEpochEnd: (log) => { if (log.epoch === 2) throw new RangeError('chart failed at epoch 2'); },
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RangeError);
      expect((error as Error).message).toBe('chart failed at epoch 2');
      expect((await t.fit(iris.x, iris.y, { epochs: 1, batchSize: 8 })).epochs[0]!.epoch).toBe(3);
      const straight = await createTrainer(spec, { worker: false });
      await straight.fit(iris.x, iris.y, { epochs: 3, batchSize: 8 });
      expect(await t.getWeights()).toEqual(straight.getWeights());
    } finally {
      await t.dispose();
    }
  });

  it('onBatchEnd throwing (a custom class, a string, a rejected promise) rejects fit; the last step\'s weights are kept', async () => {
    class ChartError extends Error {
      override name = 'ChartError';
    }
    const t = await createTrainer(spec);
    try {
      const throws: [() => unknown, RegExp][] = [
        [() => { throw new ChartError('custom'); }, /^custom$/],
        [() => { throw 'a plain string'; }, /a plain string/],
        [() => Promise.reject(new TypeError('async')), /^async$/],
      ];
      for (const [thrower, message] of throws) {
        const error = await t.fit(iris.x, iris.y, { epochs: 5, batchSize: 8, batchCallbackInterval: 0, onBatchEnd: thrower }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(Error);
        expect((error as Error).message).toMatch(message);
        const weights = await t.getWeights();
        expect(Object.values(weights).every((w) => w.every(Number.isFinite))).toBe(true);
      }
      const typed = await t.fit(iris.x, iris.y, { batchCallbackInterval: 0, onBatchEnd: () => Promise.reject(new TypeError('async')) }).catch((e: unknown) => e);
      expect(typed).toBeInstanceOf(TypeError);
      expect((await t.fit(iris.x, iris.y, { epochs: 1 })).stopReason).toBe('completed');
    } finally {
      await t.dispose();
    }
  });

  it('NaN labels and targets are refused by the worker with a RangeError before anything changes', async () => {
    const t = await createTrainer(spec);
    try {
      const weights = await t.getWeights();
      await expect(t.fit(iris.x, Array.from(iris.y, (v, i) => (i === 5 ? NaN : v)))).rejects.toThrow(RangeError);
      const regression = await createTrainer({ ...spec, loss: 'mse' });
      try {
        const targets = new Float32Array(iris.y.length * 3);
        targets[11] = NaN;
        const error = await regression.fit(iris.x, targets).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(RangeError);
        expect((error as Error).message).toBe('y must hold finite targets, got NaN at y[11]');
      } finally {
        await regression.dispose();
      }
      expect(await t.getWeights()).toEqual(weights);
    } finally {
      await t.dispose();
    }
  });
});
