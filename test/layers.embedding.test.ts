// The embedding layer (torch nn.Embedding) on every build (relaxed, simd, scalar): it reads Int32 token ids, so it has its own
// block here rather than a row in layers.test.ts (whose rows feed Float32 features and check an
// input gradient). Forward against the float64 reference network, the whole gradient (embedding
// table included) against central differences of the float64 objective, paddingIdx (a zero row that
// never moves), the seeded N(0, 1) init, id errors naming row and position, and spec errors.
import { describe, expect, it } from 'vitest';
import { createTrainer, type LayerSpec, type TrainerSpec } from '../src/index.js';
import { referenceForward, referenceObjective } from './reference/network.js';
import { BUILDS } from './reference/builds.js';

const asNumbers = (weights: Record<string, Float32Array>) => Object.fromEntries(Object.entries(weights).map(([k, v]) => [k, Array.from(v)]));

const T = 5;
const vocabSize = 7;
const rows = 6;
// every id appears, the padding id (3) too, and some twice in one row (the scatter-add must add them)
const ids = Int32Array.from({ length: rows * T }, (_, i) => (i * 5 + Math.floor(i / 4)) % vocabSize);
const y = Float32Array.from({ length: rows * 3 }, (_, i) => Math.cos(0.7 * i));

const spec = (paddingIdx?: number): TrainerSpec => ({
  inputShape: [T],
  layers: [
    { type: 'embedding', vocabSize, units: 3, ...(paddingIdx === undefined ? {} : { paddingIdx }) },
    { type: 'layernorm' },
    { type: 'flatten' },
    { units: 3, activation: 'tanh' },
  ],
  loss: 'mse',
  optimizer: { name: 'sgd', learningRate: 1 },
  seed: 4,
});

describe.each(BUILDS)('embedding (%s build)', (build) => {
  it.each([undefined, 3])('forward and the whole gradient match the float64 reference (paddingIdx %s)', async (paddingIdx) => {
    const s = spec(paddingIdx);
    const t = await createTrainer(s, { worker: false, build });
    const weights = t.getWeights();
    expect(Object.fromEntries(Object.entries(weights).map(([k, v]) => [k, v.length]))).toEqual({
      '0.weight': vocabSize * 3, '1.weight': 3, '1.bias': 3, '3.weight': 3 * T * 3, '3.bias': 3,
    });
    const w64 = asNumbers(weights);
    const got = await t.predict(ids, { raw: true });
    referenceForward(s, w64, ids).flat().forEach((want, i) => expect(Math.abs(got[i]! - want), `output ${i}`).toBeLessThan(1e-5 + 1e-5 * Math.abs(want)));

    // one full-batch SGD step with learning rate 1 moves each parameter by −∂loss/∂p
    await t.fit(ids, y, { epochs: 1, batchSize: rows, shuffle: false });
    const after = t.getWeights();
    await t.dispose();
    let worst = 0;
    let scale = 0;
    for (const [name, values] of Object.entries(w64)) {
      values.forEach((v, i) => {
        const moved = weights[name]![i]! - after[name]![i]!;
        if (name === '0.weight' && Math.floor(i / 3) === paddingIdx) {
          // torch: the padding row gets no gradient, although its id is in the batch
          expect(moved, `padding row, element ${i}`).toBe(0);
          return;
        }
        const h = 1e-6;
        values[i] = v + h;
        const plus = referenceObjective(s, w64, ids, y);
        values[i] = v - h;
        const minus = referenceObjective(s, w64, ids, y);
        values[i] = v;
        const fd = (plus - minus) / (2 * h);
        scale = Math.max(scale, Math.abs(fd));
        worst = Math.max(worst, Math.abs(moved - fd));
      });
    }
    expect(worst).toBeLessThan(2e-4 * scale + 1e-6);
    expect(scale).toBeGreaterThan(1e-3);
  });
});

describe('embedding init and ids', () => {
  it('the table is seeded N(0, 1) (torch), the paddingIdx row zero; the same seed gives the same table', async () => {
    const big: TrainerSpec = {
      inputShape: [2], layers: [{ type: 'embedding', vocabSize: 400, units: 50, paddingIdx: 17 }, { type: 'flatten' }, { units: 1 }], loss: 'mse', seed: 8,
    };
    const a = await createTrainer(big, { worker: false });
    const b = await createTrainer(big, { worker: false });
    const c = await createTrainer({ ...big, seed: 9 }, { worker: false });
    const table = a.getWeights()['0.weight']!;
    expect(table).toEqual(b.getWeights()['0.weight']);
    expect(table).not.toEqual(c.getWeights()['0.weight']);
    expect(Array.from(table.subarray(17 * 50, 18 * 50))).toEqual(new Array(50).fill(0));
    const drawn = [...table.subarray(0, 17 * 50), ...table.subarray(18 * 50)];
    const mean = drawn.reduce((s, v) => s + v, 0) / drawn.length;
    const std = Math.sqrt(drawn.reduce((s, v) => s + (v - mean) ** 2, 0) / drawn.length);
    // 19 950 draws: the standard errors of the mean and of the std are ~0.007 and ~0.005
    expect(Math.abs(mean)).toBeLessThan(0.035);
    expect(Math.abs(std - 1)).toBeLessThan(0.025);
    expect(Math.max(...drawn.map(Math.abs))).toBeGreaterThan(3); // a normal's tail, not a uniform's
    for (const t of [a, b, c]) await t.dispose();
  });

  it('ids outside [0, vocabSize), not integers, or not ids at all are refused naming row and position; nothing trains', async () => {
    const t = await createTrainer(spec(), { worker: false });
    const before = t.getWeights();
    const bad = (at: number, id: number) => Int32Array.from(ids, (v, i) => (i === at ? id : v));
    await expect(t.fit(bad(2 * T + 3, vocabSize), y)).rejects.toThrow(`x row 2, position 3 must be a token id in [0, ${vocabSize}), got ${vocabSize}`);
    await expect(t.fit(bad(0, -1), y)).rejects.toThrow(`x row 0, position 0 must be a token id in [0, ${vocabSize}), got -1`);
    await expect(t.predict(Array.from(ids, (v, i) => (i === T + 4 ? 1.5 : v)))).rejects.toThrow(`x row 1, position 4 must be a token id in [0, ${vocabSize}), got 1.5`);
    await expect(t.evaluate(bad(rows * T - 1, 99), y)).rejects.toThrow(`x row ${rows - 1}, position ${T - 1} must be a token id in [0, ${vocabSize}), got 99`);
    await expect(t.predict(new Float32Array(ids))).rejects.toThrow(/x must be an Int32Array of token ids \(rows × 5\) for layers\[0\] \(embedding\), got Float32Array\(30\)/);
    await expect(t.predict(ids.subarray(0, 7))).rejects.toThrow(/x length must be a positive multiple of 5 token ids per row, got 7/);
    expect(t.getWeights()).toEqual(before);
    await t.dispose();
  });

  it('save → createTrainer(bytes) predicts the same; the worker trainer takes Int32 ids too', async () => {
    const t = await createTrainer(spec(3), { worker: false });
    await t.fit(ids, y, { epochs: 2, batchSize: 4 });
    const bytes = await t.save();
    const again = await createTrainer(bytes, { worker: false });
    expect(await again.predict(ids)).toEqual(await t.predict(ids));
    const worker = await createTrainer(bytes);
    try {
      expect(await worker.predict(ids)).toEqual(await t.predict(ids));
      await worker.fit(ids, y, { epochs: 1, batchSize: 4, shuffle: false });
      await again.fit(ids, y, { epochs: 1, batchSize: 4, shuffle: false });
      expect(await worker.getWeights()).toEqual(again.getWeights());
    } finally {
      await worker.dispose();
    }
    await t.dispose();
    await again.dispose();
  });
});

describe('embedding specs', () => {
  const base = (layers: unknown[], more: Partial<TrainerSpec> = {}): TrainerSpec => ({ inputShape: [4], layers: layers as LayerSpec[], loss: 'mse', ...more });
  const flat = [{ type: 'flatten' }, { units: 2 }];
  it.each([
    [base([{ type: 'embedding', vocabSize: 0, units: 3 }, ...flat]), /layers\[0\]\.vocabSize must be a positive integer, got 0/],
    [base([{ type: 'embedding', vocabSize: 2.5, units: 3 }, ...flat]), /layers\[0\]\.vocabSize must be a positive integer, got 2\.5/],
    [base([{ type: 'embedding', vocabSize: 5, units: -3 }, ...flat]), /layers\[0\]\.units must be a positive integer, got -3/],
    [base([{ type: 'embedding', vocabSize: 5, units: '3' }, ...flat]), /layers\[0\]\.units must be a positive integer, got "3"/],
    [base([{ type: 'embedding', vocabSize: 5, units: 3, paddingIdx: 5 }, ...flat]), /layers\[0\]\.paddingIdx must be an integer in \[0, 5\), got 5/],
    [base([{ type: 'embedding', vocabSize: 5, units: 3, paddingIdx: -1 }, ...flat]), /layers\[0\]\.paddingIdx must be an integer in \[0, 5\), got -1/],
    [base([{ type: 'embedding', vocabSize: 5, units: 3, padding: 1 }, ...flat]), /unknown option "padding" in layers\[0\]; it takes type, vocabSize, units, paddingIdx/],
    [base([{ units: 4 }, { type: 'embedding', vocabSize: 5, units: 3 }, ...flat]), /layers\[1\] \(embedding\) reads token ids: it must be the first layer, got it at index 1/],
    [base([{ type: 'embedding', vocabSize: 5, units: 3 }, ...flat], { inputShape: [4, 2] }), /layers\[0\] \(embedding\) reads a row of token ids: inputShape must be \[T\], got \[4, 2\]/],
    [base([{ type: 'embedding', vocabSize: 5, units: 3 }, ...flat], { normalize: true }), /normalize applies to float features, not to the token ids of layers\[0\] \(embedding\)/],
    [base([{ type: 'embedding', vocabSize: 5, units: 3 }, { type: 'attention', heads: 2 }]), /layers\[1\]\.heads must divide the channels C = 3 \(C % heads = 0\), got 2/],
  ])('%j is refused', async (s, message) => {
    await expect(createTrainer(s, { worker: false })).rejects.toThrow(message);
  });
});
