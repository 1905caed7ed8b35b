// createTrainer in a real worker_threads Worker (no mocks): same results as in-thread, callbacks,
// errors rebuilt with their class, stop and resume, dispose. (Dying workers: test/timing/worker-faults.test.ts.)
import { describe, expect, it } from 'vitest';
import { createTrainer, toShared, type FitEvent, type TrainerSpec } from '../src/index.js';
// @ts-expect-error: plain JavaScript module without declarations
import { loadIris, trainTestSplit } from '../data/datasets.mjs';

const spec: TrainerSpec = {
  inputSize: 4,
  layers: [{ units: 12, activation: 'tanh' }, { type: 'dropout', rate: 0.1 }, { units: 3 }],
  loss: 'softmax_cross_entropy',
  optimizer: { name: 'adam', learningRate: 0.02 },
  seed: 11,
  normalize: true,
};
const { train, test } = trainTestSplit(loadIris(), 0.2, 3) as {
  train: { x: Float32Array; y: Int32Array };
  test: { x: Float32Array; y: Int32Array };
};

describe('worker trainer (worker_threads)', () => {
  it('trains to the same weights as the in-thread trainer and delivers every epoch before resolving', async () => {
    const inThread = await createTrainer(spec, { worker: false });
    const expected = await inThread.fit(train.x, train.y, { epochs: 8, batchSize: 16 });
    const t = await createTrainer(spec);
    try {
      expect(t.info.worker).toBe('worker_threads');
      const seen: number[] = [];
      const history = await t.fit(train.x, train.y, { epochs: 8, batchSize: 16, onEpochEnd: (log) => { seen.push(log.epoch); } });
      expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(history.epochs.map((e) => e.loss)).toEqual(expected.epochs.map((e) => e.loss));
      expect(await t.getWeights()).toEqual(inThread.getWeights());
      expect(await t.predict(test.x)).toEqual(await inThread.predict(test.x));
      expect(await t.evaluate(test.x, test.y)).toEqual(await inThread.evaluate(test.x, test.y));
    } finally {
      await t.dispose();
      await inThread.dispose();
    }
  });

  it('rebuilds errors with their class and leaves the trainer usable', async () => {
    const t = await createTrainer(spec);
    try {
      const error = await t.fit(train.x, new Int32Array(3)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RangeError);
      expect((error as Error).message).toMatch(/y must have one label per row of x \(\d+\), got 3/);
      const typeError = await t.fit('nope', train.y).catch((e: unknown) => e);
      expect(typeError).toBeInstanceOf(TypeError);
      // the worker's stack comes along, below a line that says where it was thrown
      const loadError = await t.load(new Uint8Array(16)).catch((e: unknown) => e);
      expect(loadError).toBeInstanceOf(RangeError);
      expect((loadError as Error).stack).toMatch(/^RangeError: checkpoint header[^\n]*\n {4}\(in the worker\)\n.*safetensors/s);
      const history = await t.fit(train.x, train.y, { epochs: 1 });
      expect(history.epochs[0]!.epoch).toBe(1);
    } finally {
      await t.dispose();
    }
  });

  it('{ transfer: true } moves the arrays (the caller\'s buffers detach) and trains the same', async () => {
    const t = await createTrainer(spec);
    const copyTrainer = await createTrainer(spec);
    try {
      const x = train.x.slice();
      const y = train.y.slice();
      const moved = await t.fit(x, y, { epochs: 2, transfer: true });
      expect(x.length).toBe(0); // detached
      expect(y.length).toBe(0);
      const copied = await copyTrainer.fit(train.x, train.y, { epochs: 2 });
      expect(moved.epochs.map((e) => e.loss)).toEqual(copied.epochs.map((e) => e.loss));
      expect(train.x.length).toBeGreaterThan(0); // copying leaves the caller's arrays alone
    } finally {
      await t.dispose();
      await copyTrainer.dispose();
    }
  });

  it('saves in the worker and resumes in a new worker, bit for bit', async () => {
    const straight = await createTrainer(spec, { worker: false });
    await straight.fit(train.x, train.y, { epochs: 4, batchSize: 16 });
    const a = await createTrainer(spec);
    await a.fit(train.x, train.y, { epochs: 2, batchSize: 16 });
    const b = await createTrainer(await a.save());
    try {
      await b.fit(train.x, train.y, { epochs: 2, batchSize: 16 });
      expect(await b.getWeights()).toEqual(straight.getWeights());
    } finally {
      await a.dispose();
      await b.dispose();
    }
  });

  it('reports spec errors before starting a worker', async () => {
    const bad = { ...spec, layers: [{ units: 4 }, { units: -3 }] } as TrainerSpec;
    await expect(createTrainer(bad)).rejects.toThrow(/layers\[1\]\.units must be a positive integer, got -3/);
  });

  it('stop() ends fit after the current batch, a second fit is refused meanwhile, and fit resumes', async () => {
    const t = await createTrainer(spec);
    try {
      let batches = 0;
      const running = t.fit(train.x, train.y, {
        epochs: 10_000, batchSize: 4, batchCallbackInterval: 0,
        onBatchEnd: () => { if (++batches === 5) t.stop(); },
      });
      await expect(t.fit(train.x, train.y)).rejects.toThrow(/fit is already running/);
      const history = await running;
      expect(history.stopReason).toBe('stopped');
      const resumed = await t.fit(train.x, train.y, { epochs: 2 });
      expect(resumed.stopReason).toBe('completed');
      expect(resumed.epochs[0]!.epoch).toBe(history.epochs.length + 1);
    } finally {
      await t.dispose();
    }
  });

  it('an AbortSignal stops fit: aborted in epoch 2\'s onEpochEnd, it stops after it with the weights of exactly the batches it reported', async () => {
    const t = await createTrainer(spec);
    const twin = await createTrainer(spec, { worker: false, build: t.info.build });
    try {
      const controller = new AbortController();
      let batches = 0;
      const history = await t.fit(train.x, train.y, {
        epochs: 10_000, batchSize: 4, signal: controller.signal, batchCallbackInterval: 0,
        onBatchEnd: () => { batches++; },
        onEpochEnd: (log) => { if (log.epoch === 2) controller.abort(); },
      });
      expect(history.stopReason).toBe('stopped');
      // the stop is written into shared memory the worker reads between batches (not a message it
      // would read only when it next yields): fit ends right after epoch 2
      expect(history.epochs.map((log) => log.epoch)).toEqual([1, 2]);
      expect(batches).toBe(2 * Math.ceil(train.y.length / 4));
      // nothing lost or half-applied: the weights of an in-thread twin stopped after as many batches
      let seen = 0;
      await twin.fit(train.x, train.y, { epochs: 10_000, batchSize: 4, batchCallbackInterval: 0, onBatchEnd: () => { if (++seen === batches) twin.stop(); } });
      expect(seen).toBe(batches);
      expect(await t.getWeights()).toEqual(twin.getWeights());
    } finally {
      await t.dispose();
      await twin.dispose();
    }
  });

  it('stop() in onBatchEnd ends fit after that very batch, run after run; a stop while idle does not touch the next fit', async () => {
    const t = await createTrainer(spec);
    try {
      for (const at of [1, 7, 40]) {
        let batches = 0;
        const history = await t.fit(train.x, train.y, { epochs: 1000, batchSize: 4, batchCallbackInterval: 0, onBatchEnd: () => { if (++batches === at) t.stop(); } });
        expect(history.stopReason).toBe('stopped');
        expect(batches, `stop at batch ${at}`).toBe(at);
      }
      t.stop();
      expect((await t.fit(train.x, train.y, { epochs: 2 })).stopReason).toBe('completed');
    } finally {
      await t.dispose();
    }
  });

  it('dispose rejects the running fit and every later call with "trainer is disposed"', async () => {
    const t = await createTrainer(spec);
    const running = t.fit(train.x, train.y, { epochs: 10_000, batchSize: 4 }).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await t.dispose();
    expect(await running).toEqual(new Error('trainer is disposed'));
    await expect(t.predict(test.x)).rejects.toThrow('trainer is disposed');
    expect(() => t.stop()).not.toThrow();
    await t.dispose(); // twice is harmless
  });

  it('arrays in shared memory cross without a copy and train exactly as copied ones', async () => {
    const [shared, copied] = await Promise.all([createTrainer(spec), createTrainer(spec)]);
    try {
      const x = toShared(train.x);
      const y = toShared(train.y);
      expect(x.buffer).toBeInstanceOf(SharedArrayBuffer);
      const a = await shared.fit(x, y, { epochs: 3, batchSize: 16 });
      const b = await copied.fit(train.x, train.y, { epochs: 3, batchSize: 16 });
      const withoutTime = (h: typeof a) => h.epochs.map(({ ms: _ms, ...log }) => log);
      expect(withoutTime(a)).toEqual(withoutTime(b));
      expect(await shared.getWeights()).toEqual(await copied.getWeights());
      expect(Array.from(x)).toEqual(Array.from(train.x)); // the trainer never writes to the caller's data
      // shared memory is never transferred, even when asked
      await shared.fit(x, y, { epochs: 1, transfer: true });
      expect(x.length).toBe(train.x.length);
    } finally {
      await Promise.all([shared.dispose(), copied.dispose()]);
    }
  });

  it('toShared refuses what is not a typed array', () => {
    expect(() => toShared([1, 2] as unknown as Float32Array)).toThrow(/toShared expects a typed array, got object/);
  });

  for (const worker of [true, false]) {
    it(`fitStream yields every epoch in order and returns the history (${worker ? 'worker' : 'in-thread'})`, async () => {
      const t = await createTrainer(spec, { worker });
      try {
        const events: FitEvent[] = [];
        const stream = t.fitStream(train.x, train.y, { epochs: 4, batchSize: 16, batchCallbackInterval: 0 });
        let result: IteratorResult<FitEvent> = await stream.next();
        while (!result.done) {
          events.push(result.value);
          result = await stream.next();
        }
        const history = await stream.history;
        expect(result.value).toEqual(history);
        expect(events.filter((e) => e.type === 'epoch').map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
        expect(events.filter((e) => e.type === 'batch').length).toBe(4 * Math.ceil(train.x.length / 4 / 16));
        // a failing fit surfaces through the iterator
        const bad = t.fitStream(train.x, train.y, { batchSize: -1 });
        await expect(bad.next()).rejects.toThrow(/batchSize must be a positive integer, got -1/);
        await expect(bad.history).rejects.toThrow(RangeError);
        // leaving early stops after the current batch
        const stream2 = t.fitStream(train.x, train.y, { epochs: 10_000, batchSize: 4 });
        for await (const event of stream2) if (event.type === 'epoch') break;
        expect((await stream2.history).stopReason).toBe('stopped');
      } finally {
        await t.dispose();
      }
    });
  }
});
