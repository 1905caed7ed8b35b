// A worker that dies never leaves a caller hanging: every pending call rejects within 1 s of the
// death, with a clear error, and the handle stays dead. Timing-sensitive: runs in the "timing" project.
import { describe, expect, it } from 'vitest';
import { createTrainer, type TrainerSpec } from '../../src/index.js';
// @ts-expect-error: plain JavaScript module without declarations
import { loadIris } from '../../data/datasets.mjs';

const spec: TrainerSpec = {
  inputSize: 4,
  layers: [{ units: 8, activation: 'tanh' }, { units: 3 }],
  loss: 'softmax_cross_entropy',
  optimizer: { name: 'sgd', learningRate: 0.1 },
  seed: 1,
};
const iris = loadIris() as { x: Float32Array; y: Int32Array };
const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url);

describe('dying workers (worker_threads)', () => {
  it('a worker that exits rejects every pending call within 1 s', async () => {
    const t = await createTrainer(spec, { workerUrl: fixture('exiting-worker.mjs') });
    const started = performance.now();
    const fit = t.fit(iris.x, iris.y).catch((e: unknown) => e);
    const evaluate = t.evaluate(iris.x, iris.y).catch((e: unknown) => e);
    const [fitError, evaluateError] = await Promise.all([fit, evaluate]);
    // the fixture exits 100 ms into fit
    expect(performance.now() - started).toBeLessThan(100 + 1000);
    for (const error of [fitError, evaluateError]) {
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(/descent worker exited \(code 3\)/);
    }
    await expect(t.getWeights()).rejects.toThrow(/exited/);
    expect(() => t.stop()).not.toThrow();
  });

  it('an uncaught exception in the worker rejects every pending call within 1 s, naming the error', async () => {
    const t = await createTrainer(spec, { workerUrl: fixture('crashing-worker.mjs') });
    const started = performance.now();
    const results = await Promise.all([
      t.fit(iris.x, iris.y).catch((e: unknown) => e),
      t.fit(iris.x, iris.y).catch((e: unknown) => e),
    ]);
    expect(performance.now() - started).toBeLessThan(100 + 1000);
    for (const error of results) {
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(/descent worker crashed.*boom in the worker/);
    }
    await expect(t.predict(iris.x)).rejects.toThrow(/crashed/);
  });

  it('dispose() during a long fit rejects it at once', async () => {
    const t = await createTrainer(spec);
    const running = t.fit(iris.x, iris.y, { epochs: 100_000, batchSize: 2 }).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = performance.now();
    await t.dispose();
    expect(await running).toEqual(new Error('trainer is disposed'));
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
