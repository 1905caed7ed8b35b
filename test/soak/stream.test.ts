// A long generated stream trains with flat memory: after the first epoch neither the WASM memory nor
// the process's resident set grows, in this thread and in a worker. `npm run test:soak` streams 2 GB
// (DESCENT_SOAK=1: 6 epochs of 1 000 batches of 128 × 784 floats, 2.2 GB); `npm test` a short 110 MB version.
import { describe, expect, it } from 'vitest';
import { createTrainer, type TrainerSpec } from '../../src/index.js';

const SOAK = process.env.DESCENT_SOAK === '1';
const BATCHES = SOAK ? 1000 : 100;
const EPOCHS = SOAK ? 6 : 3;
const ROWS = 128;
const FEATURES = 784;
const MB = 2 ** 20;

const spec: TrainerSpec = {
  inputSize: FEATURES, layers: [{ units: 32, activation: 'relu' }, { units: 10 }], loss: 'softmax_cross_entropy',
  optimizer: { name: 'adam', learningRate: 1e-3 }, seed: 1,
};

/** A fresh pass of generated batches (new arrays every batch, as a decoder or an augmenter makes them). */
async function* generated() {
  let state = 1;
  for (let b = 0; b < BATCHES; b++) {
    const x = new Float32Array(ROWS * FEATURES);
    for (let i = 0; i < x.length; i += 97) x[i] = ((state = (state * 1103515245 + 12345) >>> 0) % 1000) / 1000;
    yield { x, y: Int32Array.from({ length: ROWS }, (_, i) => (b + i) % 10) };
  }
}

const gc = () => (globalThis as { gc?: () => void }).gc?.();

describe.each([{ worker: false }, { worker: true }])('a long stream (%j)', (where) => {
  it(`trains ${((EPOCHS * BATCHES * ROWS * FEATURES * 4) / 2 ** 30).toFixed(2)} GB of batches with WASM memory and RSS flat after the first epoch`, async () => {
    const t = await createTrainer(spec, where);
    const rss: number[] = [];
    const wasm: number[] = [];
    await t.fit(() => generated(), {
      epochs: EPOCHS,
      onEpochEnd: () => {
        gc();
        rss.push(process.memoryUsage().rss);
        wasm.push(t.info.memory?.wasm ?? 0);
      },
    });
    console.log(`[soak] stream ${JSON.stringify(where)}: RSS ${rss.map((v) => (v / MB).toFixed(0)).join(' → ')} MB, WASM ${wasm.map((v) => (v / MB).toFixed(1)).join(' → ')} MB`);
    if (!where.worker) for (const bytes of wasm) expect(bytes).toBe(wasm[0]);
    else expect(t.info.memory!.wasm).toBeLessThan(64 * MB); // a worker trainer's info is read again after each fit
    // RSS: no growth with the data streamed (a leak of one batch per step would add 400 KB × BATCHES per epoch)
    expect(rss.at(-1)! - rss[0]!).toBeLessThan(64 * MB);
    await t.dispose();
  }, 600_000);
});
