// lstm and gru (src/model/layers/recurrent.ts) on every build: the layer's forward against a float64
// reference of torch's formulas (test/reference/recurrent.ts), and its backward (all four tensors and
// dx) against central differences of that reference's Σ g·output in float64, with and without
// returnSequences, odd T and C, units around the 4-lane SIMD body (5, 6, 7, 9), T = 1; frozen layers
// still give dx; specs refused naming the option; checkpoints round-trip; summary() shows the layers;
// an embedding → lstm/gru model carries its first token through the sequence (held-out rows);
// no WASM allocation per batch; data-parallel shards train as one thread; the Python helper's
// nn.LSTM / nn.GRU predict what descent predicts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTrainer, type LayerSpec, loadModel, type TrainerSpec } from '../src/index.js';
import { BUILDS, type Build } from './reference/builds.js';
import { centralDifferences } from './reference/gradcheck.js';
import { runLayer } from './reference/layer-run.js';
import { runPython, torchTestPlan } from './reference/python.js';
import { recurrentReference, type RecurrentShape } from './reference/recurrent.js';
import { allocationsOfSecondFit } from './reference/allocations.js';

/** Deterministic values in (−amplitude, amplitude). */
const values = (n: number, seed: number, amplitude: number) => Array.from({ length: n }, (_, i) => amplitude * Math.sin(seed * 7.1 + i * 1.37 + 0.3));

const CASES: RecurrentShape[] = [
  { type: 'lstm', rows: 3, steps: 5, channels: 3, units: 7, returnSequences: false },
  { type: 'lstm', rows: 2, steps: 3, channels: 5, units: 9, returnSequences: true },
  { type: 'lstm', rows: 2, steps: 1, channels: 3, units: 5, returnSequences: false },
  { type: 'gru', rows: 3, steps: 5, channels: 3, units: 7, returnSequences: false },
  { type: 'gru', rows: 2, steps: 3, channels: 5, units: 9, returnSequences: true },
  { type: 'gru', rows: 2, steps: 1, channels: 3, units: 6, returnSequences: true },
];

const name = (s: RecurrentShape) => `${s.type}(${s.units}${s.returnSequences ? ', returnSequences' : ''}) over ${s.rows} × [${s.steps}, ${s.channels}]`;

interface Problem {
  weights: Record<string, number[]>;
  x: number[];
  g: number[];
}

function problem(s: RecurrentShape, seed: number): Problem {
  const G = s.type === 'lstm' ? 4 : 3;
  const W = G * s.units;
  const limit = 1 / Math.sqrt(s.units);
  return {
    weights: {
      weight_ih_l0: values(W * s.channels, seed, 2 * limit),
      weight_hh_l0: values(W * s.units, seed + 1, 2 * limit),
      bias_ih_l0: values(W, seed + 2, limit),
      bias_hh_l0: values(W, seed + 3, limit),
    },
    x: values(s.rows * s.steps * s.channels, seed + 4, 1.5),
    g: values(s.rows * (s.returnSequences ? s.steps : 1) * s.units, seed + 5, 1),
  };
}

/** The layer's own forward and backward (test/reference/layer-run.ts). */
const run = (s: RecurrentShape, p: Problem, build: Build, trainable = true) =>
  runLayer({ layer: { type: s.type, units: s.units, returnSequences: s.returnSequences }, inputShape: [s.steps, s.channels], rows: s.rows, ...p, trainable }, build);

describe.each(BUILDS)('lstm and gru layers against float64 torch formulas (%s build)', (build) => {
  it.each(CASES.map((s, n) => [name(s), s, n] as const))('%s: forward, and every gradient against central differences', async (_name, s, n) => {
    const p = problem(s, 11 * n + 1);
    const got = await run(s, p, build);
    const want = recurrentReference(s, p.weights, p.x);
    expect(got.output).toHaveLength(want.length);
    want.forEach((v, i) => expect(Math.abs(got.output![i]! - v), `output[${i}]`).toBeLessThan(2e-6 + 1e-5 * Math.abs(v)));

    const w64: Record<string, number[]> = { ...structuredClone(p.weights), x: [...p.x] };
    const objective = () => {
      const { x, ...weights } = w64;
      return recurrentReference(s, weights, x!).reduce((sum, v, i) => sum + p.g[i]! * v, 0);
    };
    for (const tensor of Object.keys(w64)) {
      const { worst, scale } = centralDifferences(w64, (_, i) => got[`d${tensor}`]![i]!, objective, 1e-6, (other) => other !== tensor);
      expect(worst, `${tensor}: worst |analytic − central difference| against scale ${scale}`).toBeLessThan(1e-4 * scale + 2e-6);
      // one step reads the zero state only: W_hh gets no gradient (and the check above saw zeros)
      if (tensor === 'weight_hh_l0' && s.steps === 1) expect(scale).toBe(0);
      else expect(scale, `${tensor} has real gradients`).toBeGreaterThan(1e-2);
    }
  });

  it.each(CASES.filter((s) => s.steps > 1).map((s, n) => [name(s), s, n] as const))('%s frozen: no weight gradients written, dx still right', async (_name, s, n) => {
    const p = problem(s, 5 * n + 3);
    const frozen = await run(s, p, build, false);
    const trained = await run(s, p, build, true);
    expect(frozen.dweight_ih_l0!.every(Number.isNaN), 'the weight gradient buffer is untouched').toBe(true);
    expect(frozen.dx).toEqual(trained.dx);
  });
});

const base = { loss: 'mse', optimizer: { name: 'adam', learningRate: 0.01 }, seed: 3 } as const;
const python = torchTestPlan('test/layers.recurrent.test.ts (the Python helper case)');

describe('lstm and gru specs', () => {
  it.each([
    [[6], { type: 'lstm', units: 4 }, /layers\[0\] \(lstm\) needs rows of shape \[T, C\] \(time steps, channels\), got shape \[6\]/],
    [[2, 3, 4], { type: 'gru', units: 4 }, /layers\[0\] \(gru\) needs rows of shape \[T, C\] .*got shape \[2, 3, 4\]/],
    [[6, 2], { type: 'lstm', units: 0 }, /layers\[0\]\.units must be a positive integer, got 0/],
    [[6, 2], { type: 'gru' }, /layers\[0\]\.units must be a positive integer, got undefined/],
    [[6, 2], { type: 'gru', units: 3, returnSequences: 'yes' }, /layers\[0\]\.returnSequences must be a boolean, got "yes"/],
    [[6, 2], { type: 'lstm', units: 3, activation: 'tanh' }, /unknown option "activation" in layers\[0\]; it takes type, units, returnSequences/],
  ])('inputShape %j, %j is refused naming the option', async (inputShape, layer, message) => {
    await expect(createTrainer({ ...base, inputShape, layers: [layer as LayerSpec, { units: 2 }] } as TrainerSpec, { worker: false })).rejects.toThrow(message);
  });

  it('returnSequences gives [T, units]: a dense head applies per position, giving [T, K]', async () => {
    const t = await createTrainer({ ...base, inputShape: [5, 2], layers: [{ type: 'gru', units: 3, returnSequences: true }, { units: 2 }] } as TrainerSpec, { worker: false });
    expect(t.summary()).toMatch(/dense +5×2 /);
    expect(await t.predict(new Float32Array(2 * 10))).toHaveLength(2 * 5 * 2);
    await t.dispose();
  });
});

describe.each(BUILDS)('lstm and gru in a trainer (%s build)', (build) => {
  const spec: TrainerSpec = {
    ...base,
    inputShape: [7, 3],
    layers: [{ type: 'lstm', units: 6, returnSequences: true }, { type: 'gru', units: 5 }, { units: 2 }],
  };
  const rows = 9;
  const x = Float32Array.from(values(rows * 7 * 3, 2, 1));
  const y = Float32Array.from(values(rows * 2, 3, 0.8));

  it('summary() shows the layers and torch\'s tensor names; a checkpoint round-trips after training (trainer and loadModel)', async () => {
    const t = await createTrainer(spec, { worker: false, build });
    const lines = t.summary().split('\n').map((line) => line.split(/ +/).filter(Boolean));
    expect(lines.slice(1, 4)).toEqual([
      ['0', 'lstm(6)', '7×6', String(24 * (3 + 6 + 2))],
      ['1', 'gru(5)', '5', String(15 * (6 + 5 + 2))],
      ['2', 'dense', '2', 'linear', '12'],
    ]);
    const w = t.getWeights();
    expect(Object.keys(w).slice(0, 4)).toEqual(['0.weight_ih_l0', '0.weight_hh_l0', '0.bias_ih_l0', '0.bias_hh_l0']);
    const history = await t.fit(x, y, { epochs: 3, batchSize: 4, shuffle: false });
    expect(history.epochs.at(-1)!.loss).toBeLessThan(history.epochs[0]!.loss);
    const before = await t.predict(x);
    const bytes = await t.save();
    const restored = await createTrainer(bytes, { worker: false, build });
    expect(Array.from(await restored.predict(x))).toEqual(Array.from(before));
    const predictor = await loadModel(bytes, { build });
    expect(Array.from(await predictor.predict(x))).toEqual(Array.from(before));
    expect(restored.getWeights()['1.weight_hh_l0']).toEqual(t.getWeights()['1.weight_hh_l0']);
    await restored.dispose();
    await t.dispose();
  });
});

describe.each(BUILDS)('token ids through an embedding into a recurrent layer (%s build)', (build) => {
  // the label is the parity of a row's first token; the other tokens are hashed noise, so a model
  // right on held-out rows carried the first step through T − 1 steps of recurrence
  const T = 9;
  const token = (i: number) => (Math.imul(i + 1, 2654435761) >>> 7) % 5;
  const data = (first: number, rows: number) => {
    const ids = Int32Array.from({ length: rows * T }, (_, i) => token(first * T + i));
    return { ids, labels: Int32Array.from({ length: rows }, (_, r) => ids[r * T]! % 2) };
  };
  const [train, heldOut] = [data(0, 256), data(256, 128)];

  it.each(['lstm', 'gru'] as const)('%s learns the first token\'s parity, held-out rows included', async (type) => {
    const t = await createTrainer({
      inputShape: [T], layers: [{ type: 'embedding', vocabSize: 5, units: 4 }, { type, units: 12 }, { units: 2 }],
      loss: 'softmax_cross_entropy', optimizer: { name: 'adam', learningRate: 0.03 }, seed: 5,
    }, { worker: false, build });
    await t.fit(train.ids, train.labels, { epochs: 30, batchSize: 32 });
    const { accuracy } = await t.evaluate(heldOut.ids, heldOut.labels);
    expect(accuracy).toBeGreaterThan(0.95);
    await t.dispose();
  });
});

describe('lstm and gru allocation', () => {
  it.each(BUILDS)('allocates per fit, not per batch (%s build)', async (build) => {
    const spec: TrainerSpec = { ...base, inputShape: [5, 3], layers: [{ type: 'lstm', units: 6, returnSequences: true }, { type: 'gru', units: 4 }, { units: 2 }] };
    const data = (rows: number) => ({ x: Float32Array.from(values(rows * 15, 6, 1)), y: Float32Array.from(values(rows * 2, 7, 0.5)) });
    const counts = (rows: number) => allocationsOfSecondFit(spec, build, rows, data, { epochs: 1, batchSize: 8 }, { epochs: 2, batchSize: 8 });
    expect(await counts(256)).toBe(await counts(16)); // 32 batches an epoch, or 2
  });
});

describe('lstm and gru across workers', () => {
  it('data-parallel (2 shard workers) trains as one thread does, and a worker predicts the same', async () => {
    const spec: TrainerSpec = { ...base, inputShape: [6, 3], layers: [{ type: 'lstm', units: 8, returnSequences: true }, { type: 'gru', units: 5 }, { units: 2 }] };
    const rows = 64;
    const x = Float32Array.from(values(rows * 18, 4, 1));
    const y = Float32Array.from(values(rows * 2, 5, 0.8));
    const single = await createTrainer(spec, { worker: false });
    const parallel = await createTrainer(spec, { workers: 2 });
    try {
      const fit = { epochs: 2, batchSize: 32, shuffle: false };
      const [a, b] = [await single.fit(x, y, fit), await parallel.fit(x, y, fit)];
      // the shards sum the same rows' gradients in another order: float32 rounding apart
      b.epochs.forEach((e, i) => expect(Math.abs(e.loss - a.epochs[i]!.loss), `epoch ${i}`).toBeLessThan(1e-6 * a.epochs[i]!.loss + 1e-7));
      const [pa, pb] = [await single.predict(x), await parallel.predict(x)];
      pa.forEach((v, i) => expect(Math.abs(v - pb[i]!), `predict[${i}]`).toBeLessThan(1e-5));
    } finally {
      await single.dispose();
      await parallel.dispose();
    }
  });
});

// exportOnnx writes them as ONNX LSTM / GRU: test/interop.onnx.test.ts runs those graphs in onnxruntime
describe('interop: the Python helper rebuilds them', () => {
  it.runIf(python.run)('the Python helper (python/descent_torch.py) rebuilds them as nn.LSTM / nn.GRU that predict what descent predicts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'descent-recurrent-'));
    try {
      const spec: TrainerSpec = {
        ...base, inputShape: [6, 3], layers: [{ type: 'lstm', units: 7, returnSequences: true }, { type: 'gru', units: 5 }, { units: 2 }],
      };
      const rows = 5;
      const x = Float32Array.from(values(rows * 18, 8, 1.2));
      const t = await createTrainer(spec, { worker: false });
      await t.fit(x, Float32Array.from(values(rows * 2, 9, 0.5)), { epochs: 2, batchSize: 2 });
      writeFileSync(join(dir, 'model.safetensors'), await t.save());
      writeFileSync(join(dir, 'x.json'), JSON.stringify(Array.from(x)));
      const ours = Array.from(await t.predict(x));
      await t.dispose();
      const out = runPython(['-c', [
        'import json, sys, torch, descent_torch',
        'model = descent_torch.load(sys.argv[1], dtype=torch.float64)[0]',
        'x = torch.tensor(json.load(open(sys.argv[2])), dtype=torch.float64).reshape(-1, 6, 3)',
        'print(json.dumps(model.predict(x).flatten().tolist()))',
      ].join('\n'), join(dir, 'model.safetensors'), join(dir, 'x.json')]);
      const theirs = JSON.parse(out.trim().split('\n').at(-1)!) as number[];
      expect(theirs).toHaveLength(ours.length);
      // torch in float64 from the same float32 weights: descent's float32 rounding apart
      theirs.forEach((v, i) => expect(Math.abs(v - ours[i]!), `predict[${i}]`).toBeLessThan(2e-6 + 2e-6 * Math.abs(v)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
