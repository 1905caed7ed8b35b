// The default path: plain arrays to a trainer (issue 27). Arrays cross to a worker through reused
// buffers (src/worker/transit.ts) instead of a structured clone; the copy is made before the call
// returns, so a change to the caller's arrays right after the call never reaches the trainer; the
// worker gives the buffers back with its reply; `transfer` and `dataset()` mean the same in a worker
// and in this thread; a data set's pending dispose() resolves when its trainer goes first.
// (Speed — the caller's hold per call, arrays vs resident sets — is measured in bench/default-path.mjs.)
import { describe, expect, it, vi } from 'vitest';
import { createTrainer, toShared, type TrainerSpec } from '../src/index.js';
import { ShardPool } from '../src/parallel/pool.js';
import { Trainer } from '../src/train/trainer.js';
import { workerApi } from '../src/worker/api.js';
import { TransitBuffers } from '../src/worker/transit.js';
// @ts-expect-error: plain JavaScript module without declarations
import { loadDigits } from '../data/datasets.mjs';

const digits = loadDigits() as { x: Float32Array; y: Int32Array; rows: number };
const rows = 600;
const x = digits.x.slice(0, rows * 64);
const y = digits.y.slice(0, rows);
const spec: TrainerSpec = {
  inputSize: 64,
  layers: [{ units: 16, activation: 'tanh' }, { units: 10 }],
  loss: 'softmax_cross_entropy',
  optimizer: { name: 'adam', learningRate: 0.01 },
  seed: 5,
  normalize: true,
};

describe('TransitBuffers (the caller\'s side of the crossing)', () => {
  it('copies a typed array into a buffer of its own (same type and values), leaving the caller\'s array alone', () => {
    const transit = new TransitBuffers();
    const moved: ArrayBuffer[] = [];
    for (const values of [Float32Array.of(1.5, -2, 3), Int32Array.of(7, 8), Float64Array.of(1e300, -0)]) {
      const carried = transit.carry(values, false, moved) as typeof values;
      expect(carried).not.toBe(values);
      expect(carried.constructor).toBe(values.constructor);
      expect(Array.from(carried)).toEqual(Array.from(values));
      expect(moved.at(-1)).toBe(carried.buffer);
      expect(carried.buffer).not.toBe(values.buffer);
    }
    expect(moved).toHaveLength(3);
  });

  it('reuses a buffer given back, and keeps only the four largest', () => {
    const transit = new TransitBuffers();
    const moved: ArrayBuffer[] = [];
    const first = transit.carry(new Float32Array(1000), false, moved) as Float32Array;
    transit.reclaim(moved);
    const again: ArrayBuffer[] = [];
    const second = transit.carry(new Float32Array(900).fill(2), false, again) as Float32Array;
    expect(second.buffer).toBe(first.buffer);
    expect(second.length).toBe(900);
    expect(transit.keptBytes).toBe(0);
    transit.reclaim([...again, ...[1, 2, 3, 4, 5].map((k) => new ArrayBuffer(k * (1 << 16)))]);
    expect(transit.keptBytes).toBe((5 + 4 + 3 + 2) * (1 << 16));
    transit.clear();
    expect(transit.keptBytes).toBe(0);
  });

  it('moves the caller\'s buffer with move (once, when it is whole), copies a partial view, passes shared memory and plain arrays as they are', () => {
    const transit = new TransitBuffers();
    const moved: ArrayBuffer[] = [];
    const whole = new Float32Array(8);
    expect(transit.carry(whole, true, moved)).toBe(whole);
    expect(transit.carry(whole, true, moved)).toBe(whole);
    expect(moved).toEqual([whole.buffer]);
    const part = whole.subarray(2, 4);
    const carried = transit.carry(part, true, moved) as Float32Array;
    expect(carried).not.toBe(part);
    expect(carried.length).toBe(2);
    const shared = toShared(new Float32Array(4));
    const list = [1, 2, 3];
    const before = moved.length;
    expect(transit.carry(shared, false, moved)).toBe(shared);
    expect(transit.carry(list, false, moved)).toBe(list);
    expect(transit.carry(undefined, false, moved)).toBeUndefined();
    expect(moved).toHaveLength(before);
  });
});

describe('the worker\'s side gives the buffers back', () => {
  it('a fit\'s reply carries its result, the trainer\'s info, and the buffers of x, y and validationData', async () => {
    const api = workerApi();
    await api.init(spec, {});
    const [tx, ty, vx, vy] = [x.slice(0, 64 * 500), y.slice(0, 500), x.slice(64 * 500), y.slice(500)];
    const reply = await api.fit({ x: tx, y: ty, options: { epochs: 1, validationData: [vx, vy] } });
    expect(reply.result.epochs).toHaveLength(1);
    expect(reply.info.parameters).toBe(64 * 16 + 16 + 16 * 10 + 10);
    expect(reply.buffers).toEqual([tx.buffer, ty.buffer, vx.buffer, vy.buffer]);
    const predicted = await api.predict({ x: vx, options: {} });
    expect(predicted.buffers).toEqual([vx.buffer]);
    expect(predicted.buffers).not.toContain(predicted.result.buffer);
    await api.dispose();
  });
});

/** A change to the caller's arrays right after each call (before it resolves) must not reach the trainer. */
async function changedRightAfterEachCall(worker: boolean) {
  const t = await createTrainer(spec, { worker });
  try {
    const [cx, cy] = [x.slice(), y.slice()];
    const spoil = () => { cx.fill(Number.NaN); cy.fill(9); };
    const restore = () => { cx.set(x); cy.set(y); };
    const lr = t.findLearningRate(cx, cy, { steps: 12 });
    spoil();
    const found = await lr;
    restore();
    const noise = t.gradientNoiseScale(cx, cy, { smallBatchSize: 16, largeBatchSize: 64, batches: 2 });
    spoil();
    const scale = await noise;
    restore();
    const [vx, vy] = [x.slice(0, 64 * 100), y.slice(0, 100)];
    const fitted = t.fit(cx, cy, { epochs: 2, batchSize: 32, validationData: [vx, vy] });
    spoil();
    vx.fill(Number.NaN);
    const history = await fitted;
    restore();
    const made = t.dataset(cx, cy);
    spoil();
    const set = await made;
    restore();
    const evaluated = t.evaluate(cx, cy);
    spoil();
    const evaluation = await evaluated;
    restore();
    const predicted = t.predict(cx);
    spoil();
    const outputs = await predicted;
    const fromSet = await t.evaluate(set);
    return { found, scale, history: history.epochs.map(({ ms: _ms, ...log }) => log), evaluation, outputs, fromSet, weights: await t.getWeights() };
  } finally {
    await t.dispose();
  }
}

async function untouched(worker: boolean) {
  const t = await createTrainer(spec, { worker });
  try {
    const found = await t.findLearningRate(x, y, { steps: 12 });
    const scale = await t.gradientNoiseScale(x, y, { smallBatchSize: 16, largeBatchSize: 64, batches: 2 });
    const history = await t.fit(x, y, { epochs: 2, batchSize: 32, validationData: [x.slice(0, 64 * 100), y.slice(0, 100)] });
    const set = await t.dataset(x, y);
    const evaluation = await t.evaluate(x, y);
    const outputs = await t.predict(x);
    const fromSet = await t.evaluate(set);
    return { found, scale, history: history.epochs.map(({ ms: _ms, ...log }) => log), evaluation, outputs, fromSet, weights: await t.getWeights() };
  } finally {
    await t.dispose();
  }
}

describe('plain-array semantics', () => {
  for (const worker of [false, true]) {
    it(`${worker ? 'in a worker' : 'in this thread'}: a change to the caller's arrays after a call never reaches it (fit, validationData, dataset, evaluate, predict, findLearningRate, gradientNoiseScale)`, async () => {
      const expected = await untouched(worker);
      expect(expected.history.every((log) => Number.isFinite(log.loss) && Number.isFinite(log.valLoss))).toBe(true);
      expect(await changedRightAfterEachCall(worker)).toEqual(expected);
    });
  }

  it('copies by default: the caller\'s arrays are neither detached nor changed, call after call', async () => {
    const t = await createTrainer(spec);
    try {
      const [cx, cy] = [x.slice(), y.slice()];
      for (let i = 0; i < 3; i++) {
        await t.fit(cx, cy, { epochs: 1 });
        await t.evaluate(cx, cy);
        await t.predict(cx);
      }
      expect(cx).toEqual(x);
      expect(cy).toEqual(y);
    } finally {
      await t.dispose();
    }
  });

  it('transfer: true moves the arrays of every call that takes them (worker), and is accepted and moves nothing in this thread', async () => {
    const remote = await createTrainer(spec);
    const local = await createTrainer(spec, { worker: false });
    try {
      for (const t of [remote, local]) {
        const detaches = t === remote;
        const calls: [string, (a: Float32Array, b: Int32Array) => Promise<unknown>][] = [
          ['fit', (a, b) => t.fit(a, b, { epochs: 1, transfer: true })],
          ['dataset', (a, b) => t.dataset(a, b, { transfer: true })],
          ['evaluate', (a, b) => t.evaluate(a, b, { transfer: true })],
          ['predict', (a) => t.predict(a, { transfer: true })],
          ['findLearningRate', (a, b) => t.findLearningRate(a, b, { steps: 10, transfer: true })],
          ['gradientNoiseScale', (a, b) => t.gradientNoiseScale(a, b, { smallBatchSize: 16, largeBatchSize: 64, batches: 1, transfer: true })],
        ];
        for (const [name, call] of calls) {
          const [cx, cy] = [x.slice(), y.slice()];
          await call(cx, cy);
          expect(cx.length, `${name}, ${detaches ? 'worker' : 'in-thread'}`).toBe(detaches ? 0 : x.length);
        }
        await expect(t.fit(x, y, { transfer: 'yes' as never })).rejects.toThrow(/transfer must be a boolean, got "yes"/);
        await expect(t.dataset(x, y, { transfer: 1 as never })).rejects.toThrow(/transfer must be a boolean, got 1/);
        await expect(t.dataset(x, y, { move: true } as never)).rejects.toThrow(/unknown option "move" in dataset options; it takes transfer/);
      }
    } finally {
      await remote.dispose();
      await local.dispose();
    }
  });
});

describe('data sets', () => {
  it('dataset() returns a promise in this thread and in a worker', async () => {
    for (const worker of [false, true]) {
      const t = await createTrainer(spec, { worker });
      const made = t.dataset(x, y);
      expect(made).toBeInstanceOf(Promise);
      expect((await made).rows).toBe(rows);
      await t.dispose();
    }
  });

  it('a pending dispose() of a worker data set resolves when the trainer is disposed after it, and so does a later one', async () => {
    const t = await createTrainer(spec);
    const [a, b] = [await t.dataset(x, y), await t.dataset(x, y)];
    const pending = a.dispose();
    await t.dispose();
    await expect(pending).resolves.toBeUndefined();
    await expect(b.dispose()).resolves.toBeUndefined();
  });

  it('a fit on a disposed validation set names validationData', async () => {
    const t = await createTrainer(spec);
    try {
      const set = await t.dataset(x, y);
      await set.dispose();
      await expect(t.fit(x, y, { validationData: set })).rejects.toThrow(/^validationData is a disposed data set$/);
    } finally {
      await t.dispose();
    }
  });
});

describe('data-parallel fits on arrays', () => {
  it('share their rows through buffers kept from fit to fit', async () => {
    const share = vi.spyOn(ShardPool.prototype, 'shareRows');
    let pool: ShardPool | null = null;
    const t = await Trainer.create(spec, { workers: 2, startPool: async (...args) => (pool = await ShardPool.start(...args)) });
    try {
      await t.fit(x, y, { epochs: 1, batchSize: 128 });
      await t.fit(x.subarray(0, 64 * 500), y.subarray(0, 500), { epochs: 1, batchSize: 128 });
      expect(pool).not.toBeNull();
      expect(share).toHaveBeenCalledTimes(2);
      const [first, second] = share.mock.results.map((r) => r.value as { x: SharedArrayBuffer; y: SharedArrayBuffer });
      expect(second!.x).toBe(first!.x);
      expect(second!.y).toBe(first!.y);
    } finally {
      share.mockRestore();
      await t.dispose();
    }
  });
});
