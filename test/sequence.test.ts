// Sequence outputs and generation (DESIGN.md, "Sequence layers"), on every build: a model whose output
// is [T, V] takes class indices [N, T], its loss is the mean over kept positions (checked in float64
// against predict's raw logits), accuracy counts positions, float targets are [N, T, K]; bad targets
// are refused naming row and position. generate(): reproducible per seed, the same in a worker as in
// this thread, greedy = the argmax of predict at the prompt's last position with the context sliding
// past T (a float64-free reference loop over predict), topK 1 = greedy, first-token frequencies follow
// the softmax of the logits at the temperature, and models that do not map ids to per-position
// logits are refused before any worker call. Checkpoints, loadModel and workers: 2 carry the new layers.
import { afterAll, describe, expect, it } from 'vitest';
import { createTrainer, loadModel, type TrainerSpec } from '../src/index.js';
import { multiplyAddsPerRow } from '../src/model/cost.js';
import { modelFromSpec } from '../src/model/spec.js';
import { allocationsOfSecondFit } from './reference/allocations.js';
import { BUILDS } from './reference/builds.js';

const T = 6;
const V = 5;
const C = 8;

/** A causal transformer block over token ids: per-position logits [T, V]. */
const transformer = (extra: Partial<TrainerSpec> = {}): TrainerSpec => ({
  inputShape: [T],
  loss: 'softmax_cross_entropy',
  optimizer: { name: 'adam', learningRate: 0.02 },
  seed: 5,
  layers: [
    { type: 'embedding', vocabSize: V, units: C },
    { type: 'positionEmbedding', name: 'pos' },
    { type: 'layernorm' },
    { type: 'attention', heads: 2, causal: true, name: 'att' },
    { type: 'add', inputs: ['att', 'pos'], name: 'res' },
    { units: 16, activation: 'relu' },
    { units: V },
  ],
  ...extra,
});

/** Random ids; the target at each position is the token before it (position 0 ignored). */
function previousToken(rows: number, seed: number): { x: Int32Array; y: Int32Array } {
  let s = seed;
  const next = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 8) % V;
  const x = Int32Array.from({ length: rows * T }, next);
  const y = x.map((_, i) => (i % T === 0 ? -100 : x[i - 1]!));
  return { x, y };
}

/** Mean −log softmax(logits)[label] over kept positions, and the share of kept positions whose argmax is the label (float64). */
function referenceLoss(logits: Float32Array, labels: Int32Array): { loss: number; accuracy: number } {
  let total = 0;
  let kept = 0;
  let correct = 0;
  for (let p = 0; p < labels.length; p++) {
    const label = labels[p]!;
    if (label === -100) continue;
    const row = Array.from(logits.subarray(p * V, (p + 1) * V));
    const max = Math.max(...row);
    const lse = max + Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0));
    total += lse - row[label]!;
    kept++;
    if (row.indexOf(max) === label) correct++;
  }
  return { loss: total / kept, accuracy: correct / kept };
}

describe.each(BUILDS)('sequence outputs, %s build', (build) => {
  it('class indices [N, T]: the loss is the mean over kept positions, accuracy counts positions', async () => {
    const t = await createTrainer(transformer(), { worker: false, build });
    const { x, y } = previousToken(40, 1);
    y[7] = -100; // one more ignored position
    const before = referenceLoss(await t.predict(x, { raw: true }), y);
    const evaluated = await t.evaluate(x, y);
    expect(evaluated.loss).toBeCloseTo(before.loss, 5);
    expect((evaluated as { accuracy: number }).accuracy).toBeCloseTo(before.accuracy, 10);
    const history = await t.fit(x, y, { epochs: 40, batchSize: 16 }); // 40 rows: a ragged last batch of 8
    expect(history.epochs.at(-1)!.loss).toBeLessThan(before.loss / 4);
    const after = referenceLoss(await t.predict(x, { raw: true }), y);
    const evaluatedAfter = await t.evaluate(x, y);
    expect(evaluatedAfter.loss).toBeCloseTo(after.loss, 4);
    expect((evaluatedAfter as { accuracy: number }).accuracy).toBeGreaterThan(0.95);
    // predict's softmax runs per position: every position's V probabilities sum to 1
    const probabilities = await t.predict(x.subarray(0, T));
    for (let p = 0; p < T; p++) expect(probabilities.subarray(p * V, (p + 1) * V).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    await t.dispose();
  });

  it('float targets on a [T, K] output are [N, T, K] (mse over every value)', async () => {
    const spec: TrainerSpec = { inputShape: [T, 3], loss: 'mse', seed: 2, layers: [{ type: 'gru', units: 4, returnSequences: true }, { units: 2 }] };
    const t = await createTrainer(spec, { worker: false, build });
    const x = Float32Array.from({ length: 4 * T * 3 }, (_, i) => Math.sin(i));
    const y = Float32Array.from({ length: 4 * T * 2 }, (_, i) => Math.cos(i));
    const out = await t.predict(x);
    let sum = 0;
    for (let i = 0; i < y.length; i++) sum += (out[i]! - y[i]!) ** 2;
    expect((await t.evaluate(x, y)).loss).toBeCloseTo(sum / y.length, 5);
    await t.dispose();
  });
});

describe('per-position targets are checked before anything runs', () => {
  it('names the rule, the row and the position, and leaves the trainer unchanged', async () => {
    const t = await createTrainer(transformer(), { worker: false });
    const weights = t.getWeights();
    const { x, y } = previousToken(3, 2);
    await expect(t.fit(x, y.subarray(0, 3))).rejects.toThrow(/y must have one label per position: rows × T = 3 × 6 = 18 \(the output is \[6, 5\]\), got 3/);
    const bad = y.slice();
    bad[T + 2] = 7;
    await expect(t.fit(x, bad)).rejects.toThrow(/labels must be in \[0, 5\) or ignoreIndex -100, got 7 at y row 1, position 2/);
    expect(t.getWeights()).toEqual(weights);
    await t.dispose();
  });
});

describe('generate', () => {
  const trained = (async () => {
    const t = await createTrainer(transformer(), { worker: false });
    const { x, y } = previousToken(64, 3);
    await t.fit(x, y, { epochs: 10, batchSize: 16 });
    return t;
  })();
  afterAll(async () => (await trained).dispose());

  /** The next token by argmax of predict's logits at the context's last position, the context sliding past T. */
  async function greedyReference(t: Awaited<typeof trained>, prompt: number[], steps: number): Promise<number[]> {
    const tokens = [...prompt];
    for (let s = 0; s < steps; s++) {
      const context = tokens.slice(-T);
      const padded = Int32Array.from({ length: T }, (_, i) => context[i] ?? 0);
      const logits = await t.predict(padded, { raw: true });
      const at = logits.subarray((context.length - 1) * V, context.length * V);
      tokens.push(at.indexOf(Math.max(...at)));
    }
    return tokens.slice(prompt.length);
  }

  it('temperature 0 is the argmax of predict at the last position, sliding past T; topK 1 is the same', async () => {
    const t = await trained;
    const expected = await greedyReference(t, [1, 3], 12);
    expect(Array.from(await t.generate([1, 3], { steps: 12, temperature: 0 }))).toEqual(expected);
    expect(Array.from(await t.generate(Int32Array.from([1, 3]), { steps: 12, topK: 1, seed: 9 }))).toEqual(expected);
    // a prompt longer than T keeps its last T tokens
    const long = [4, 4, 4, 2, 0, 1, 3, 2];
    expect(Array.from(await t.generate(long, { steps: 5, temperature: 0 }))).toEqual(await greedyReference(t, long, 5));
  });

  it('is reproducible per seed, and a worker gives the same tokens in one call', async () => {
    const t = await trained;
    const a = await t.generate([2], { steps: 30, seed: 11 });
    expect(a).toBeInstanceOf(Int32Array);
    expect(a).toHaveLength(30);
    expect(Array.from(await t.generate([2], { steps: 30, seed: 11 }))).toEqual(Array.from(a));
    expect(Array.from(await t.generate([2], { steps: 30, seed: 12 }))).not.toEqual(Array.from(a));
    const w = await createTrainer(transformer());
    try {
      await w.setWeights(t.getWeights());
      expect(Array.from(await w.generate([2], { steps: 30, seed: 11 }))).toEqual(Array.from(a));
      // loadModel's predictor samples the same
      const p = await loadModel(await w.save());
      expect(Array.from(await p.generate([2], { steps: 30, seed: 11 }))).toEqual(Array.from(a));
      await p.dispose();
    } finally {
      await w.dispose();
    }
  });

  it('first tokens follow softmax(logits / temperature) among the topK', async () => {
    const t = await trained;
    const prompt = [3, 1, 4];
    const logits = await t.predict(Int32Array.from([...prompt, 0, 0, 0]), { raw: true });
    const row = Array.from(logits.subarray(2 * V, 3 * V));
    for (const [temperature, topK] of [[2, V], [1.5, 3]] as const) {
      const order = row.map((_, i) => i).sort((a, b) => row[b]! - row[a]!).slice(0, topK);
      const weights = row.map((v, i) => (order.includes(i) ? Math.exp(v / temperature) : 0));
      const total = weights.reduce((a, b) => a + b, 0);
      const counts = new Array(V).fill(0);
      const draws = 3000;
      for (let seed = 0; seed < draws; seed++) counts[(await t.generate(prompt, { steps: 1, temperature, topK, seed }))[0]!]++;
      for (let v = 0; v < V; v++) {
        const p = weights[v]! / total;
        // 5 standard deviations of a binomial count: fails by chance with probability < 1e-5 per class
        expect(Math.abs(counts[v] - draws * p)).toBeLessThanOrEqual(5 * Math.sqrt(draws * p * (1 - p)) + 1e-9);
      }
    }
  });

  it('refuses models and arguments it cannot use, in the caller\'s thread', async () => {
    const flat = await createTrainer({ inputShape: [T], loss: 'softmax_cross_entropy', layers: [{ type: 'embedding', vocabSize: V, units: 3 }, { type: 'flatten' }, { units: V }] });
    await expect(flat.generate([1], { steps: 2 })).rejects.toThrow(/generate needs per-position logits: the model's output must be \[T, V\] with T = 6 \(its input\), got a flat output \[5\]/);
    await flat.dispose();
    const floats = await createTrainer({ inputShape: [T, 2], loss: 'mse', layers: [{ type: 'lstm', units: 3, returnSequences: true }, { units: 2 }] }, { worker: false });
    await expect(floats.generate([1], { steps: 2 })).rejects.toThrow(/generate needs a model that reads token ids \(an embedding first layer\), got layers\[0\] lstm/);
    await floats.dispose();
    const regression = await createTrainer(transformer({ loss: 'mse' }), { worker: false });
    await expect(regression.generate([1], { steps: 2 })).rejects.toThrow(/the loss must be softmax_cross_entropy or nll, got mse/);
    await regression.dispose();
    const t = await trained;
    await expect(t.generate([], { steps: 2 })).rejects.toThrow(/ids must hold at least one token id/);
    await expect(t.generate([1, 5], { steps: 2 })).rejects.toThrow(/ids\[1\] must be a token id in \[0, 5\), got 5/);
    await expect(t.generate([1], { steps: 0 })).rejects.toThrow(/steps must be an integer in \[1, 1048576\], got 0/);
    await expect(t.generate([1], { steps: 2, temperature: -1 })).rejects.toThrow(/temperature must be a finite number ≥ 0, got -1/);
    await expect(t.generate([1], { steps: 2, topk: 2 } as never)).rejects.toThrow(/unknown option "topk" in generate options; .*did you mean 'topK'\?/);
  });
});

describe('the new layers across the library', () => {
  it.each(BUILDS)('attention, positionEmbedding and per-position targets allocate per fit, not per batch (%s build)', async (build) => {
    const data = (rows: number) => previousToken(rows, 8);
    const counts = (rows: number) => allocationsOfSecondFit(transformer(), build, rows, data, { epochs: 1, batchSize: 8 }, { epochs: 2, batchSize: 8 });
    expect(await counts(256)).toBe(await counts(16)); // 32 batches an epoch, or 2
  });

  it('data-parallel chunk sizing counts attention\'s T² work, and summary() reports memory per row', async () => {
    const cost = (steps: number) => multiplyAddsPerRow(modelFromSpec({ inputShape: [steps, 8], loss: 'mse', layers: [{ type: 'attention', heads: 2 }, { units: 1 }] }));
    // projections 4·T·C², products 2·T²·C, dense T·C·1
    expect(cost(16)).toBe(4 * 16 * 64 + 2 * 256 * 8 + 16 * 8);
    expect(cost(64) - 4 * cost(16)).toBe(2 * 8 * (64 * 64 - 4 * 256));
    const t = await createTrainer(transformer(), { worker: false });
    // per row: embedding … dense outputs and gradients, layernorm's mean/rstd, attention's 3TC + 2·H·T² + TC + 3TC
    const outputs = 2 * (5 * T * C + T * 16 + T * V);
    const kept = 2 * T + (7 * T * C + 2 * 2 * T * T) + T * 16;
    expect(t.summary()).toContain(`memory per row in training: ${(4 * (outputs + kept) / 1024).toFixed(1)} KB`);
    await t.dispose();
  });

  it('the learning-rate finder and the noise scale run on per-position targets and leave the trainer as it was', async () => {
    const t = await createTrainer(transformer(), { worker: false });
    const { x, y } = previousToken(64, 6);
    const weights = t.getWeights();
    const found = await t.findLearningRate(x, y, { steps: 40 });
    expect(found.losses.length).toBeGreaterThan(5);
    // the first step's loss is the untrained model's per-position cross-entropy: about log V
    expect(Math.abs(found.losses[0]! - Math.log(V))).toBeLessThan(1);
    expect(found.suggestion).toBeGreaterThanOrEqual(found.lrs[0]!);
    expect(found.suggestion).toBeLessThanOrEqual(found.lrs.at(-1)!);
    const noise = await t.gradientNoiseScale(x, y, { smallBatchSize: 8, largeBatchSize: 32 });
    expect(noise.bSimple).toBeGreaterThan(0);
    expect(t.getWeights()).toEqual(weights);
    await t.dispose();
  });

  it('a checkpoint round-trips, and workers: 2 trains as one thread does (to float32 summation order)', async () => {
    const { x, y } = previousToken(32, 4);
    // SGD: Adam's m/√v turns float32 summation-order noise in near-zero gradients into whole steps
    const spec = transformer({ optimizer: { name: 'sgd', learningRate: 0.1 } });
    const one = await createTrainer(spec, { worker: false });
    const two = await createTrainer(spec, { workers: 2 });
    try {
      await one.fit(x, y, { epochs: 2, batchSize: 16, shuffle: false });
      await two.fit(x, y, { epochs: 2, batchSize: 16, shuffle: false });
      const [a, b] = [one.getWeights(), await two.getWeights()];
      for (const name of Object.keys(a)) {
        const [wa, wb] = [a[name]!, b[name]!];
        for (let i = 0; i < wa.length; i++) expect(Math.abs(wa[i]! - wb[i]!), name).toBeLessThan(1e-5);
      }
      const restored = await createTrainer(await one.save(), { worker: false });
      expect(await restored.predict(x)).toEqual(await one.predict(x));
      await restored.dispose();
    } finally {
      await one.dispose();
      await two.dispose();
    }
  });
});
