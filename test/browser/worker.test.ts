// In real Chromium (vitest browser mode): the built package, bundled by Vite as an app would bundle
// it, trains in a module Worker while the page's main thread stays free.
import { createTrainer, sharedMemoryAvailable, toShared, type TrainerSpec } from 'descent-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commands } from 'vitest/browser';
// @ts-expect-error: plain JavaScript data helpers without type declarations
import { loadDigits, loadIris, trainTestSplit } from '../../data/datasets.web.mjs';

declare module 'vitest/browser' {
  interface BrowserCommands {
    startMainThreadTrace(): Promise<void>;
    /** The main thread's tasks since startMainThreadTrace: wall and CPU ms (test/reference/main-thread-trace.ts). */
    stopMainThreadTrace(): Promise<{ wall: number; cpu: number }[]>;
  }
}

interface DataSet { x: Float32Array; y: Int32Array; rows: number; cols: number; classes: number }

const spec = (inputSize: number, classes: number): TrainerSpec => ({
  inputSize,
  layers: [{ units: 64, activation: 'relu' }, { units: classes }],
  loss: 'softmax_cross_entropy',
  optimizer: { name: 'adam', learningRate: 0.003 },
  seed: 7,
});

/** Long tasks (> 50 ms) seen on this thread while `run` runs. */
async function longTasksDuring<T>(run: () => Promise<T>): Promise<{ result: T; longTasks: number[] }> {
  const longTasks: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) longTasks.push(entry.duration);
  });
  observer.observe({ type: 'longtask', buffered: false });
  const result = await run();
  await new Promise((resolve) => setTimeout(resolve, 100)); // let the observer deliver
  observer.disconnect();
  return { result, longTasks };
}

describe('module Worker in Chromium', () => {
  let train: DataSet;
  let test: DataSet;

  beforeAll(async () => {
    const digits = await loadDigits();
    expect(digits.rows).toBe(1797);
    ({ train, test } = trainTestSplit(digits, 0.2, 3));
    for (let i = 0; i < train.x.length; i++) train.x[i] /= 16;
    for (let i = 0; i < test.x.length; i++) test.x[i] /= 16;
  });

  afterAll(() => {
    // nothing to release: every test disposes its trainer
  });

  it('trains the digits in a worker with progress callbacks and no long task on the main thread', async () => {
    const trainer = await createTrainer(spec(64, 10));
    expect(trainer.info.worker).toBe('web-worker');
    expect(trainer.info.build).toBe('relaxed'); // Chromium runs relaxed SIMD
    const epochs: number[] = [];
    const batches: number[] = [];
    const { result: history, longTasks } = await longTasksDuring(() => trainer.fit(train.x, train.y, {
      epochs: 6,
      batchSize: 32,
      onEpochEnd: (log) => { epochs.push(log.loss); },
      onBatchEnd: (log) => { batches.push(log.loss); },
      batchCallbackInterval: 0,
    }));
    expect(history.stopReason).toBe('completed');
    expect(epochs).toHaveLength(6);
    expect(epochs[5]).toBeLessThan(epochs[0] * 0.5);
    expect(batches.length).toBeGreaterThan(6); // many batch logs, at most one per batch
    expect(batches.length).toBeLessThanOrEqual(6 * Math.ceil(train.rows / 32));
    const { accuracy } = await trainer.evaluate(test.x, test.y);
    expect(accuracy).toBeGreaterThan(0.9);
    console.info(`worker: ${longTasks.length} long tasks on the main thread during 6 epochs (${longTasks.map(Math.round).join(', ')} ms)`);
    expect(longTasks).toEqual([]);
    await trainer.dispose();
    await expect(trainer.predict(test.x)).rejects.toThrow('trainer is disposed');
  });

  it('stop() ends fit after the current batch; fit again resumes with global epoch numbers', async () => {
    const trainer = await createTrainer(spec(64, 10));
    let stopped = false;
    const first = await trainer.fit(train.x, train.y, {
      epochs: 50,
      batchSize: 16,
      batchCallbackInterval: 0,
      onBatchEnd: (log) => {
        if (log.epoch === 2 && !stopped) {
          stopped = true;
          trainer.stop();
        }
      },
    });
    expect(first.stopReason).toBe('stopped');
    expect(first.epochs.length).toBeGreaterThanOrEqual(1);
    expect(first.epochs.length).toBeLessThan(5);
    const second = await trainer.fit(train.x, train.y, { epochs: 1, batchSize: 16 });
    expect(second.epochs[0]!.epoch).toBe(first.epochs.length + 1);
    await trainer.dispose();
  });

  it('fitStream: progress as an async iterator; leaving the loop stops training', async () => {
    const iris = loadIris() as DataSet;
    const trainer = await createTrainer(spec(4, 3));
    const seen: string[] = [];
    const stream = trainer.fitStream(iris.x, iris.y, { epochs: 500, batchSize: 16, batchCallbackInterval: 0 });
    for await (const event of stream) {
      seen.push(event.type);
      if (event.type === 'epoch' && event.epoch === 3) break;
    }
    const history = await stream.history;
    expect(history.stopReason).toBe('stopped');
    expect(seen.filter((type) => type === 'epoch').length).toBeGreaterThanOrEqual(3);
    expect(seen).toContain('batch');
    await trainer.dispose();
  });

  it('errors cross with their class and message; a second fit rejects', async () => {
    const trainer = await createTrainer(spec(64, 10));
    await expect(trainer.fit(train.x, train.y, { batchSize: 0 })).rejects.toThrow(/batchSize must be a positive integer, got 0/);
    const error = await trainer.fit(train.x.subarray(0, 10), train.y, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RangeError);
    const running = trainer.fit(train.x, train.y, { epochs: 10_000 });
    await expect(trainer.fit(train.x, train.y)).rejects.toThrow('fit is already running');
    trainer.stop();
    expect((await running).stopReason).toBe('stopped');
    await trainer.dispose();
  });

  it('a worker that cannot start rejects the call promptly instead of hanging', async () => {
    // a hang would end at the test timeout: no wall-clock bound here (a busy machine makes one flaky)
    await expect(createTrainer(spec(4, 3), { workerUrl: new URL('/no-such-worker.js', location.href) })).rejects.toThrow(/descent worker/);
  });

  it('shares a data set in SharedArrayBuffer memory on a cross-origin isolated page', async () => {
    expect(crossOriginIsolated).toBe(true);
    expect(sharedMemoryAvailable()).toBe(true);
    const x = toShared(train.x);
    const y = toShared(train.y);
    expect(x.buffer).toBeInstanceOf(SharedArrayBuffer);
    const trainer = await createTrainer(spec(64, 10));
    const history = await trainer.fit(x, y, { epochs: 2, batchSize: 32 });
    expect(history.epochs).toHaveLength(2);
    expect(Array.from(x.subarray(0, 64))).toEqual(Array.from(train.x.subarray(0, 64))); // never written to
    const predictions = await trainer.predict(toShared(test.x));
    expect(predictions.length).toBe(test.rows * 10);
    // a checkpoint in shared memory loads too (browsers' TextDecoder refuses shared views)
    const inThread = await createTrainer(spec(64, 10), { worker: false });
    await inThread.load(toShared(await trainer.save()));
    expect(await inThread.predict(test.x)).toEqual(predictions);
    await inThread.dispose();
    await trainer.dispose();
  });

  it('data-parallel: two workers (nested module Workers sharing memory) train as one does', async () => {
    const fit = { epochs: 2, batchSize: 50, shuffle: true };
    const weights = [];
    for (const workers of [1, 2]) {
      const trainer = await createTrainer(spec(64, 10), { workers });
      expect(trainer.info.workers).toBe(workers);
      await trainer.fit(train.x, train.y, fit);
      weights.push((await trainer.getWeights())['0.weight']!);
      await trainer.dispose();
    }
    let diff = 0;
    for (let i = 0; i < weights[0]!.length; i++) diff = Math.max(diff, Math.abs(weights[0]![i]! - weights[1]![i]!));
    expect(diff).toBeLessThan(1e-4);
  });

  it('fit, evaluate and predict on 31 MB of plain arrays, after the first round, hold the main thread for no task over 50 ms of CPU (Chromium\'s trace)', async () => {
    const rows = 10_000;
    const x = new Float32Array(rows * 784);
    let seed = 1;
    for (let i = 0; i < x.length; i++) x[i] = (seed = (seed * 48271) % 2147483647) / 2147483647;
    const y = Int32Array.from({ length: rows }, (_, i) => i % 10);
    const trainer = await createTrainer({
      inputSize: 784, layers: [{ units: 128, activation: 'relu' }, { units: 10 }], loss: 'softmax_cross_entropy',
      optimizer: { name: 'adam', learningRate: 1e-3 }, seed: 1,
    });
    try {
      const calls: string[] = [];
      // The first calls allocate the buffers the arrays cross in: writing 31 MB into fresh pages costs
      // 20–170 ms of page faults on the 2-core VM (bench/default-path.mjs reports the first call apart).
      // The later calls reuse those buffers, and those are what the page meets call after call.
      calls.push((await trainer.fit(x, y, { epochs: 1, batchSize: 128 })).stopReason);
      await trainer.evaluate(x, y);
      await trainer.predict(x);
      await commands.startMainThreadTrace();
      for (let i = 0; i < 3; i++) {
        calls.push((await trainer.fit(x, y, { epochs: 1, batchSize: 128 })).stopReason);
        await trainer.evaluate(x, y);
        await trainer.predict(x);
      }
      const tasks = await commands.stopMainThreadTrace();
      expect(calls).toEqual(['completed', 'completed', 'completed', 'completed']);
      const longest = tasks.reduce((a, b) => (b.cpu > a.cpu ? b : a));
      console.log(`31 MB fit, evaluate and predict ×3 after a first round: ${tasks.length} main-thread tasks, most CPU in one ${longest.cpu.toFixed(1)} ms (wall ${longest.wall.toFixed(1)} ms)`);
      // the trace saw the page's thread: at least the nine replies (3 rounds × fit, evaluate, predict) are tasks of it
      expect(tasks.length).toBeGreaterThanOrEqual(9);
      expect(tasks.filter((t) => t.cpu > 50).map((t) => t.cpu)).toEqual([]);
      expect(x[0]).toBeGreaterThan(0); // copied, not moved
    } finally {
      await trainer.dispose();
    }
  });
});
