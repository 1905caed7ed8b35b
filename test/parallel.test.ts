// Data-parallel training (createTrainer(spec, { workers: n })): every batch is split across the
// trainer's thread and n − 1 shard workers, real worker_threads sharing SharedArrayBuffers. With the
// same seed and global batch the result must match one worker within float32 rounding, for batch
// sizes that do not divide evenly, with dropout, L2 and class weights; a dying shard worker fails fit
// cleanly and keeps the last completed step's weights.
import { describe, expect, it, vi } from 'vitest';
import { createTrainer, type TrainerSpec } from '../src/index.js';
import { ShardPool } from '../src/parallel/pool.js';
import { spawnShardWorker } from '#shard-spawn';
import type { SpawnedWorker } from '../src/worker/spawned.js';
import * as sharedMemory from '../src/worker/shared-memory.js';
import { Trainer } from '../src/train/trainer.js';
// @ts-expect-error: plain JavaScript module without declarations
import { loadDigits, loadIris } from '../data/datasets.mjs';
import { BUILDS, type Build } from './reference/builds.js';
import { withoutTimes } from './reference/twin.js';

/** An in-thread trainer with two shards, and a way to end its shard worker `k` (1-based) as a crash would. */
async function trainerWithPool(spec: TrainerSpec): Promise<{ trainer: Trainer; kill: (k: number) => Promise<void> }> {
  const spawned: SpawnedWorker[] = [];
  const spawn = () => {
    const worker = spawnShardWorker();
    spawned.push(worker);
    return worker;
  };
  const trainer = await Trainer.create(spec, { workers: 2, startPool: (shards, poolSpec, options) => ShardPool.start(shards, poolSpec, options, spawn) });
  return { trainer, kill: (k) => spawned[k - 1]!.terminate() };
}

const digits = loadDigits() as { x: Float32Array; y: Int32Array; rows: number };
const iris = loadIris() as { x: Float32Array; y: Int32Array; rows: number };

const classifier: TrainerSpec = {
  inputSize: 64,
  layers: [{ units: 24, activation: 'tanh', l2: 1e-3 }, { type: 'dropout', rate: 0.2 }, { units: 10 }],
  loss: { name: 'softmax_cross_entropy', labelSmoothing: 0.05 },
  optimizer: { name: 'adam', learningRate: 0.01 },
  seed: 3,
  normalize: true,
};

/** A small CNN on the 8×8 digits: cheap gradients beside its compute, so a batch of 256 makes 5 chunks for 2 threads. */
const cnn: TrainerSpec = {
  inputShape: [8, 8, 1],
  layers: [{ type: 'conv2d', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }, { type: 'maxpool2d', poolSize: 2 }, { type: 'flatten' }, { units: 10 }],
  loss: 'softmax_cross_entropy', optimizer: { name: 'adam', learningRate: 3e-3 }, seed: 4, normalize: true,
};

function maxRelativeDifference(a: Float32Array, b: Float32Array): number {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(a[i]!));
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
  }
  return diff / scale;
}

async function trainWith(spec: TrainerSpec, workers: number, x: Float32Array, y: Int32Array | Float32Array, fit: Record<string, unknown>, worker = true, build: Build = 'relaxed') {
  const t = await createTrainer(spec, { workers, worker, build });
  try {
    expect(t.info.workers).toBe(workers);
    expect(t.info.build).toBe(build);
    const history = await t.fit(x, y, fit);
    return { history, weights: await t.getWeights(), profile: await t.parallelProfile() };
  } finally {
    await t.dispose();
  }
}

function expectSameTraining(a: Awaited<ReturnType<typeof trainWith>>, b: Awaited<ReturnType<typeof trainWith>>, weightTolerance = 1e-4) {
  expect(b.history.epochs.length).toBe(a.history.epochs.length);
  a.history.epochs.forEach((log, i) => {
    const other = b.history.epochs[i]!;
    expect(other.loss).toBeCloseTo(log.loss, 5);
    if (log.accuracy !== undefined) expect(Math.abs(other.accuracy! - log.accuracy)).toBeLessThanOrEqual(2 / 1797);
  });
  for (const name of Object.keys(a.weights)) {
    expect(maxRelativeDifference(a.weights[name]!, b.weights[name]!), name).toBeLessThan(weightTolerance);
  }
}

describe('data-parallel training (workers: n)', () => {
  it('a resident data set is shared with the shard workers once, not per fit, and trains as arrays do', async () => {
    const sharing = vi.spyOn(sharedMemory, 'toShared');
    const { trainer: t } = await trainerWithPool(classifier);
    const fromArrays = await trainWith(classifier, 2, digits.x, digits.y, { epochs: 1, batchSize: 64 }, false);
    try {
      const ds = await t.dataset(digits.x, digits.y);
      sharing.mockClear();
      await t.fit(ds, { epochs: 1, batchSize: 64 });
      expect(sharing).toHaveBeenCalledTimes(2); // x and y, once
      await t.fit(ds, { epochs: 1, batchSize: 64 });
      await t.fit(ds, { epochs: 1, batchSize: 32 });
      // not shared again: the shard worker kept its rows (without them its fits would fail)
      expect(sharing).toHaveBeenCalledTimes(2);
      // the first fit on the set trained as the first fit on the arrays did
      const again = await trainerWithPool(classifier);
      await again.trainer.fit(await again.trainer.dataset(digits.x, digits.y), { epochs: 1, batchSize: 64 });
      expect(again.trainer.getWeights()).toEqual(fromArrays.weights);
      await again.trainer.dispose();
    } finally {
      sharing.mockRestore();
      await t.dispose();
    }
  });

  it('trains image layers (conv2d, maxpool2d, flatten) as one worker does', async () => {
    const fit = { epochs: 2, batchSize: 64 };
    const one = await trainWith(cnn, 1, digits.x, digits.y, fit, false);
    expectSameTraining(one, await trainWith(cnn, 2, digits.x, digits.y, fit, false));
  });

  it('trains a residual CNN with a frozen layer as one worker does; the shard workers follow setTrainable between fits', async () => {
    const residual: TrainerSpec = {
      ...cnn,
      layers: [
        { type: 'conv2d', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'a', trainable: false },
        { type: 'conv2d', filters: 4, kernelSize: 3, padding: 'same', name: 'b' },
        { type: 'add', inputs: ['a', 'b'] },
        { type: 'maxpool2d', poolSize: 2 }, { type: 'flatten' }, { units: 10 },
      ],
    };
    const run = async (workers: number) => {
      const t = await createTrainer(residual, { workers, worker: false });
      try {
        const before = t.getWeights()['0.weight']!;
        const first = await t.fit(digits.x, digits.y, { epochs: 1, batchSize: 64 });
        expect(t.getWeights()['0.weight']).toEqual(before);
        t.setTrainable('a', true);
        const second = await t.fit(digits.x, digits.y, { epochs: 1, batchSize: 64 });
        expect(maxRelativeDifference(t.getWeights()['0.weight']!, before)).toBeGreaterThan(1e-3);
        return { history: { epochs: [...first.epochs, ...second.epochs], stopReason: second.stopReason }, weights: t.getWeights(), profile: t.parallelProfile() };
      } finally {
        await t.dispose();
      }
    };
    expectSameTraining(await run(1), await run(2));
  });

  it('matches one worker for n = 2 and 3, with uneven shards, dropout, L2, label smoothing and class weights', async () => {
    // 1797 rows, batch 50: shards of 25/25 and 16/17/17, and a last batch of 47
    const fit = { epochs: 2, batchSize: 50, classWeight: [1, 1, 2, 1, 1, 1, 1, 1, 0.5, 1] };
    const one = await trainWith(classifier, 1, digits.x, digits.y, fit);
    for (const n of [2, 3]) expectSameTraining(one, await trainWith(classifier, n, digits.x, digits.y, fit));
  });

  it('is bit-identical from run to run, whichever thread computed which chunk', async () => {
    // 1797 rows, batch 256: 7 batches cut into 5 chunks (the CNN needs ≥ 45 rows a chunk) and a
    // last batch of 5 rows in 2, which the trainer's thread and the shard worker claim as they come
    // free; worker and in-thread trainers have different timings, so the chunks fall differently
    const fit = { epochs: 2, batchSize: 256, classWeight: [1, 1, 2, 1, 1, 1, 1, 1, 0.5, 1] };
    const runs = [
      await trainWith(cnn, 2, digits.x, digits.y, fit),
      await trainWith(cnn, 2, digits.x, digits.y, fit),
      await trainWith(cnn, 2, digits.x, digits.y, fit, false),
    ];
    console.log(`chunks the trainer's thread computed: ${runs.map((r) => `${r.profile.ownChunks} of ${r.profile.chunks}`).join(', ')}`);
    for (const run of runs) {
      expect(run.profile.chunks).toBe(2 * (7 * 5 + 2));
      expect(run.profile.ownChunks).toBeGreaterThan(0);
      expect(withoutTimes(run.history)).toEqual(withoutTimes(runs[0]!.history));
      expect(run.weights).toEqual(runs[0]!.weights);
    }
  });

  it('handles batches smaller than the number of shards (some shards empty) and regression targets', async () => {
    const spec: TrainerSpec = {
      inputSize: 3,
      layers: [{ units: 8, activation: 'gelu' }, { units: 1 }],
      loss: { name: 'huber', delta: 0.5 },
      optimizer: { name: 'sgd', learningRate: 0.05, momentum: 0.9 },
      seed: 9,
    };
    const x = Float32Array.from(iris.x.filter((_, i) => i % 4 !== 3));
    const y = Float32Array.from({ length: iris.rows }, (_, r) => iris.x[r * 4 + 3]!);
    const fit = { epochs: 3, batchSize: 2, shuffle: true };
    const one = await trainWith(spec, 1, x, y, fit);
    // 225 SGD steps with momentum 0.9 amplify rounding: with fused multiply-adds (the relaxed build)
    // one worker's a·b + c·d rounds once where the shards round each product, 4e-4 apart at the end
    expectSameTraining(one, await trainWith(spec, 3, x, y, fit), 1e-3);
  });

  for (const build of BUILDS) {
    it(`works with the coordinator in the calling thread ({ worker: false }), ${build} build`, async () => {
      const fit = { epochs: 1, batchSize: 64 };
      const one = await trainWith(classifier, 1, digits.x, digits.y, fit, false, build);
      expectSameTraining(one, await trainWith(classifier, 2, digits.x, digits.y, fit, false, build));
    });
  }

  it('validates workers and resolves "auto" to the cores but one', async () => {
    await expect(createTrainer(classifier, { workers: 0 })).rejects.toThrow('workers must be a positive integer, got 0');
    await expect(createTrainer(classifier, { workers: 1.5 })).rejects.toThrow(/workers must be a positive integer, got 1\.5/);
    await expect(createTrainer(classifier, { workers: 'many' as unknown as number })).rejects.toThrow(/workers must be/);
    const { availableParallelism } = await import('node:os');
    const t = await createTrainer(classifier, { workers: 'auto', worker: false });
    expect(t.info.workers).toBe(Math.max(1, availableParallelism() - 1));
    await t.dispose();
  });

  it('a shard worker that dies fails fit cleanly, keeping the last completed step; later fits refuse', async () => {
    const { trainer: t, kill } = await trainerWithPool(classifier);
    try {
      let snapshot: Record<string, Float32Array> | null = null;
      let killed = false;
      const error = await t.fit(digits.x, digits.y, {
        epochs: 5,
        batchSize: 32,
        batchCallbackInterval: 0,
        onBatchEnd: async (log) => {
          if (log.batch === 3 && !killed) {
            killed = true;
            snapshot = await t.getWeights();
            await kill(1);
          }
        },
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(/shard worker 1 died/);
      // a hang would end at the test timeout: no wall-clock bound here (a busy machine makes one flaky)
      expect(await t.getWeights()).toEqual(snapshot);
      await expect(t.fit(digits.x, digits.y)).rejects.toThrow(/shard workers failed .* create a new trainer/);
      // predict and save still work on the coordinator
      expect((await t.predict(digits.x.subarray(0, 64))).length).toBe(10);
      expect((await t.save()).length).toBeGreaterThan(0);
    } finally {
      await t.dispose();
    }
  });

  it('dispose ends the shard workers too (in a worker trainer and in-thread, also mid-fit)', async () => {
    const { readdirSync } = await import('node:fs');
    const threads = () => readdirSync('/proc/self/task').length;
    // a first cycle, so that threads the runtime starts lazily (libuv's pool) are already there
    await (await createTrainer(classifier, { workers: 2 })).dispose();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const before = threads();
    for (const worker of [true, false]) {
      const t = await createTrainer(classifier, { workers: 3, worker });
      expect(threads()).toBe(before + (worker ? 3 : 2));
      const running = t.fit(digits.x, digits.y, { epochs: 1000, batchSize: 8 }).catch((e: unknown) => e);
      await new Promise((resolve) => setTimeout(resolve, 100));
      await t.dispose();
      expect(await running).toEqual(new Error('trainer is disposed'));
    }
    for (let i = 0; i < 50 && threads() > before; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(threads()).toBe(before);
  });

  it('without SharedArrayBuffer (a page that is not cross-origin isolated) trains alone and says why', async () => {
    const g = globalThis as { SharedArrayBuffer?: unknown };
    const saved = g.SharedArrayBuffer;
    let t: Awaited<ReturnType<typeof createTrainer>> | null = null;
    try {
      g.SharedArrayBuffer = undefined;
      t = await createTrainer(classifier, { workers: 2, worker: false });
    } finally {
      g.SharedArrayBuffer = saved;
    }
    try {
      expect(t.info.workers).toBe(1);
      expect(t.info.parallel).toMatch(/workers: 2 needs SharedArrayBuffer .*; training in one worker/);
      expect((await t.fit(digits.x, digits.y, { epochs: 1 })).stopReason).toBe('completed');
    } finally {
      await t.dispose();
    }
  });

  it('engines without Atomics.waitAsync: same training, and a dying shard is still noticed', async () => {
    const atomics = Atomics as unknown as { waitAsync?: unknown };
    const saved = atomics.waitAsync;
    delete atomics.waitAsync;
    try {
      const fit = { epochs: 1, batchSize: 64 };
      const one = await trainWith(classifier, 1, digits.x, digits.y, fit, false);
      expectSameTraining(one, await trainWith(classifier, 2, digits.x, digits.y, fit, false));
      const { trainer: t, kill } = await trainerWithPool(classifier);
      let killed = false;
      const error = await t.fit(digits.x, digits.y, {
        epochs: 3, batchSize: 32, batchCallbackInterval: 0,
        onBatchEnd: async (log) => {
          if (!killed && log.batch === 2) {
            killed = true;
            await kill(1);
          }
        },
      }).catch((e: unknown) => e);
      expect((error as Error).message).toMatch(/shard worker 1 died/);
      await t.dispose();
    } finally {
      atomics.waitAsync = saved;
    }
  });
});
