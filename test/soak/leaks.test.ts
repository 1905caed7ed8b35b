// Leaks and long runs. In `npm test` a short version runs (30 create/fit/dispose cycles, 10 epochs);
// `npm run test:soak` runs the long one (DESCENT_SOAK=1: 200 cycles, 100 epochs), one file at a time.
// Checked: no worker or message port outlives its trainer, RSS stays within a bound, WASM memory is
// flat after the first epoch, and four trainers training at once get what each gets alone.
import { describe, expect, it } from 'vitest';
import { createTrainer, type History, type TrainerSpec } from '../../src/index.js';
import { withInstanceMemories } from '../fixtures/hardening.js';
// @ts-expect-error: plain JavaScript module without declarations
import { loadDigits } from '../../data/datasets.mjs';

const SOAK = process.env.DESCENT_SOAK === '1';
const CYCLES = SOAK ? 200 : 30;
const EPOCHS = SOAK ? 100 : 10;
const CONCURRENT_EPOCHS = SOAK ? 20 : 2;
const MB = 2 ** 20;

const digits = loadDigits() as { x: Float32Array; y: Int32Array };
const spec: TrainerSpec = {
  inputSize: 64, layers: [{ units: 64, activation: 'relu' }, { type: 'dropout', rate: 0.1 }, { units: 10 }],
  loss: 'softmax_cross_entropy', optimizer: { name: 'adam', learningRate: 3e-3 }, seed: 1, normalize: true,
};

const live = () => process.getActiveResourcesInfo().filter((r) => r === 'MessagePort' || r === 'Worker').length;
const gc = () => (globalThis as { gc?: () => void }).gc?.();
const settle = async () => {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};
const rss = () => process.memoryUsage().rss;
const jsMemory = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};
const report = (line: string) => console.log(`[reliability] ${line}`);
const withoutTime = (h: History) => h.epochs.map(({ ms: _ms, ...log }) => log);

describe(`leaks (${SOAK ? 'soak' : 'short'})`, () => {
  it(`${CYCLES} create/fit/dispose cycles with workers leave no worker or port, and RSS within a bound`, async () => {
    const before = live();
    const cycle = async (i: number) => {
      const t = await createTrainer({ ...spec, seed: i });
      await t.fit(digits.x, digits.y, { epochs: 1, batchSize: 64, onEpochEnd: () => {}, onBatchEnd: () => {} });
      await t.predict(digits.x.subarray(0, 640));
      await t.dispose();
    };
    for (let i = 0; i < 5; i++) await cycle(i); // warm-up: module compilation, JIT, allocator pools
    await settle();
    const warm = rss();
    const started = performance.now();
    for (let i = 5; i < CYCLES; i++) await cycle(i);
    await settle();
    const grown = (rss() - warm) / MB;
    report(`${CYCLES} worker create/fit/dispose cycles in ${((performance.now() - started) / 1000).toFixed(1)} s: ` +
      `live workers/ports ${before} → ${live()}, RSS ${(warm / MB).toFixed(0)} → ${(rss() / MB).toFixed(0)} MB (${grown >= 0 ? '+' : ''}${grown.toFixed(1)} MB)`);
    expect(live()).toBe(before);
    expect(grown).toBeLessThan(SOAK ? 64 : 48);
  });

  it(`${EPOCHS} epochs on digits: WASM memory flat after epoch 1 (one fit, and one fit per epoch), RSS flat`, async () => {
    await withInstanceMemories(async (memories) => {
      const t = await createTrainer(spec, { worker: false });
      const memory = memories[0]!;
      const sizes: number[] = [];
      const rssAt: number[] = [];
      const heapAt: number[] = [];
      await t.fit(digits.x, digits.y, {
        epochs: EPOCHS, batchSize: 32, validationSplit: 0.1,
        onEpochEnd: () => {
          sizes.push(memory.buffer.byteLength);
          rssAt.push(rss());
          if (heapAt.length === 0) heapAt.push(jsMemory());
        },
      });
      // one fit per epoch, with everything a training loop around it does
      const perCall: number[] = [];
      for (let e = 0; e < EPOCHS; e++) {
        await t.fit(digits.x, digits.y, { epochs: 1, batchSize: 32, validationSplit: 0.1 });
        await t.evaluate(digits.x, digits.y);
        await t.predict(digits.x);
        await t.save();
        perCall.push(memory.buffer.byteLength);
      }
      await settle();
      report(`${EPOCHS}-epoch digits run: WASM memory ${sizes[0]! / MB} MB after epoch 1, ${sizes.at(-1)! / MB} MB after epoch ${EPOCHS}, ` +
        `${perCall[0]! / MB} MB after one more fit with evaluate/predict/save (1 024-row inference buffers), ${perCall.at(-1)! / MB} MB after ${EPOCHS}; ` +
        `RSS ${(rssAt[Math.min(9, rssAt.length - 1)]! / MB).toFixed(0)} MB at epoch ${Math.min(10, EPOCHS)}, ${(rss() / MB).toFixed(0)} MB at the end; ` +
        `JS heap + buffers ${(heapAt[0]! / MB).toFixed(1)} → ${(jsMemory() / MB).toFixed(1)} MB`);
      expect(new Set(sizes).size).toBe(1);
      expect(new Set(perCall).size).toBe(1);
      // RSS moves with V8's and malloc's own reserves; what JavaScript holds must stay put
      expect((rss() - rssAt[Math.min(9, rssAt.length - 1)]!) / MB).toBeLessThan(64);
      expect((jsMemory() - heapAt[0]!) / MB).toBeLessThan(typeof (globalThis as { gc?: unknown }).gc === 'function' ? 8 : 32); // uncollected garbage without --expose-gc
      await t.dispose();
    });
  });

  it(`a worker trainer over ${EPOCHS} epochs keeps the process RSS flat`, async () => {
    const t = await createTrainer(spec);
    try {
      const rssAt: number[] = [];
      await t.fit(digits.x, digits.y, { epochs: EPOCHS, batchSize: 32, validationSplit: 0.1, onEpochEnd: () => { rssAt.push(rss()); } });
      const grown = (rssAt.at(-1)! - rssAt[0]!) / MB;
      report(`worker trainer, ${EPOCHS} epochs: process RSS ${(rssAt[0]! / MB).toFixed(0)} MB after epoch 1, ${(rssAt.at(-1)! / MB).toFixed(0)} MB after epoch ${EPOCHS}`);
      expect(grown).toBeLessThan(64);
    } finally {
      await t.dispose();
    }
  });

  it(`four worker trainers training at once (${CONCURRENT_EPOCHS} epochs) get exactly what each gets alone`, async () => {
    const seeds = [1, 2, 3, 4];
    const run = async (seed: number) => {
      const t = await createTrainer({ ...spec, seed });
      try {
        const history = await t.fit(digits.x, digits.y, { epochs: CONCURRENT_EPOCHS, batchSize: 32, validationSplit: 0.1 });
        return { history: withoutTime(history), weights: await t.getWeights() };
      } finally {
        await t.dispose();
      }
    };
    const alone = [];
    for (const seed of seeds) alone.push(await run(seed));
    const together = await Promise.all(seeds.map(run));
    expect(together).toEqual(alone);
    expect(new Set(alone.map((r) => r.history.at(-1)!.loss)).size).toBe(4); // four different runs, not one four times
    report(`4 worker trainers × ${CONCURRENT_EPOCHS} epochs concurrently: histories and weights identical to each alone`);
  });
});
