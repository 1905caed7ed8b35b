// The PyTorch handoff (python/descent_torch.py) run for real, both ways, for every optimizer torch has
// and every schedule, on a dense, a convolutional and an embedding model:
//
//   descent -> torch  descent trains N steps and saves; (a) descent resumes M steps (every build),
//                     (b) torch continues the same M batches from descent_torch.load(checkpoint).
//   torch -> descent  torch loads a fresh checkpoint, trains N steps and saves with descent_torch.save;
//                     descent resumes it for M steps (every build), torch continues the same M batches.
//
// Tolerance: the golden suite's (test/reference/golden.ts). torch continues in float32 and in float64
// from the same checkpoint; d32 = their distance, and descent's weights must lie within
// max(K · d32, FLOOR) of the float64 continuation, per tensor, max |a − r| / max |r|. A state that did
// not cross (Adam's moments restarted, a step count off by one, a schedule at the wrong position)
// moves the weights by 1e-3 or more: a control case drops the optimizer state in torch and must land
// at least 100× the tolerance away from descent.
//
// from_torch: four standard torch models (an MLP, the MNIST CNN with torch's Flatten, a BatchNorm
// CNN, an embedding text classifier), two traced graph models and six traced sequence models (nn.LSTM
// / nn.GRU picked by out[:, -1], h_n[-1] or every step; nn.MultiheadAttention causal and not, a
// position parameter or nanoGPT's wpe; a one-block GPT with per-position logits) become checkpoints whose predict(x, { raw: true })
// gives torch's eval-mode outputs within 1e-5 relative (max |Δ| / max |torch|); those without dropout
// also continue two Adam steps in descent as in torch (float32 against float32, within 1e-5 relative per
// tensor, torch's tensors named by from_torch's mapping). importWeights: torch's Conv2d → BatchNorm2d → MaxPool2d →
// Flatten → Linear state dict, as torch saves it, into the same spec with flatten channelsFirst.
//
// Graph and sequence specs: descent_torch's executor on hand-written checkpoints (contract names and
// layouts, attention and positionEmbedding included, which descent does not read yet) against the
// formulas / torch's own modules, and from_torch on a residual CNN and a concat MLP through torch.fx.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTrainer, type LayerSpec, type TrainerSpec } from '../src/index.js';
import { random } from './interop/numbers.js';
import { BUILDS } from './reference/builds.js';
import { FLOOR, K, relArray } from './reference/golden.js';
import { REPOSITORY, runPython, torchTestPlan } from './reference/python.js';

const plan = torchTestPlan('test/torch.handoff.test.ts');
const driver = join(REPOSITORY, 'test/fixtures/python/handoff.py');
const BATCH = 8;
const BEFORE = 3; // N: batches before the handoff
const AFTER = 4; // M: batches after it

interface Model {
  inputShape: number[];
  layers: LayerSpec[];
  loss: TrainerSpec['loss'];
  /** Int32 labels below this, else float targets of `outputs` columns. */
  classes?: number;
  outputs: number;
  /** Rows of token ids below this (an embedding first) instead of features. */
  vocab?: number;
}

const MODELS: Record<string, Model> = {
  dense: {
    inputShape: [6], layers: [{ units: 8, activation: 'tanh', l2: 1e-3 }, { units: 3 }], loss: 'softmax_cross_entropy', classes: 3, outputs: 3,
  },
  conv: {
    inputShape: [5, 5, 2],
    layers: [
      { type: 'conv2d', filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' }, { type: 'batchnorm' },
      { type: 'maxpool2d', poolSize: 2 }, { type: 'flatten', dataFormat: 'channelsFirst' }, { units: 2 },
    ],
    loss: 'mse', outputs: 2,
  },
  embedding: {
    inputShape: [5], vocab: 7, loss: 'softmax_cross_entropy', classes: 3, outputs: 3,
    layers: [{ type: 'embedding', vocabSize: 7, units: 4, paddingIdx: 0 }, { type: 'layernorm' }, { type: 'flatten' }, { units: 3 }],
  },
};
// A graph model and a sequence model (DESIGN "Graph models", "Sequence layers").
MODELS.residual = {
  inputShape: [6], loss: 'softmax_cross_entropy', classes: 3, outputs: 3,
  layers: [{ units: 8, activation: 'tanh', name: 'a' }, { units: 8, name: 'b' }, { type: 'add', inputs: ['a', 'b'] }, { units: 3 }] as LayerSpec[],
};
MODELS.sequence = {
  inputShape: [5], vocab: 7, loss: 'softmax_cross_entropy', classes: 3, outputs: 3,
  layers: [{ type: 'embedding', vocabSize: 7, units: 4 }, { type: 'lstm', units: 5 }, { units: 3 }] as LayerSpec[],
};

type Optimizer = NonNullable<TrainerSpec['optimizer']> & Record<string, unknown>;

const OPTIMIZERS: Record<string, Optimizer> = {
  'sgd': { name: 'sgd', learningRate: 0.1 },
  'sgd momentum, dampening, weight decay': { name: 'sgd', learningRate: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 1e-3 },
  'sgd nesterov, clipValue': { name: 'sgd', learningRate: 0.05, momentum: 0.8, nesterov: true, clipValue: 0.05 },
  'adam': { name: 'adam', learningRate: 0.01 },
  'adam amsgrad, weight decay, clipGlobalNorm': { name: 'adam', learningRate: 0.01, amsgrad: true, weightDecay: 0.01, clipGlobalNorm: 0.5 },
  'adamw amsgrad': { name: 'adamw', learningRate: 0.01, amsgrad: true },
  'rmsprop': { name: 'rmsprop', learningRate: 0.005 },
  'rmsprop centered, momentum, weight decay': { name: 'rmsprop', learningRate: 0.003, centered: true, momentum: 0.5, weightDecay: 1e-3 },
  'adagrad lrDecay, initialAccumulatorValue, weight decay': { name: 'adagrad', learningRate: 0.05, lrDecay: 0.01, initialAccumulatorValue: 0.1, weightDecay: 1e-3 },
  'adadelta weight decay': { name: 'adadelta', learningRate: 1, weightDecay: 1e-3 },
  'adamax weight decay': { name: 'adamax', learningRate: 0.01, weightDecay: 1e-3 },
  'nadam weight decay, momentumDecay': { name: 'nadam', learningRate: 0.01, weightDecay: 1e-3, momentumDecay: 0.01 },
};

/** Every schedule (with SGD + momentum on the dense model), each crossing the handoff mid-way. */
const SCHEDULES: Record<string, { learningRate: Optimizer['learningRate']; epochs?: number }> = {
  constant: { learningRate: { name: 'constant', initial: 0.05 } },
  step: { learningRate: { name: 'step', initial: 0.05, stepSize: 2, gamma: 0.5 } },
  exponential: { learningRate: { name: 'exponential', initial: 0.05, gamma: 0.8 } },
  'cosine (tMax 5: the continuation runs past it)': { learningRate: { name: 'cosine', initial: 0.05, tMax: 5, etaMin: 0.005 } },
  'linearWarmup then cosine': { learningRate: { name: 'linearWarmup', warmupSteps: 4, then: { name: 'cosine', initial: 0.05, tMax: 10 } } },
  oneCycle: { learningRate: { name: 'oneCycle', maxLr: 0.1, totalSteps: 8 } },
  'reduceOnPlateau (2 epochs a phase, patience 0)': { learningRate: { name: 'reduceOnPlateau', initial: 0.05, factor: 0.5, patience: 0 }, epochs: 2 },
};

interface Case {
  name: string;
  direction: 'descent->torch' | 'torch->descent';
  model: Model;
  spec: TrainerSpec;
  epochs: number;
  control?: boolean;
}

const cases: Case[] = [];
for (const direction of ['descent->torch', 'torch->descent'] as const) {
  for (const [modelName, model] of Object.entries(MODELS)) {
    for (const [name, optimizer] of Object.entries(OPTIMIZERS)) {
      const spec = { inputShape: model.inputShape, layers: model.layers, loss: model.loss, optimizer, seed: 11 } as TrainerSpec;
      cases.push({ name: `${modelName}, ${name}`, direction, model, spec, epochs: 1, control: name === 'adam' });
    }
  }
  if (direction === 'descent->torch') {
    // normalize: true (the feature statistics of descent's first fit cross in the checkpoint)
    const model = MODELS.dense!;
    const spec = { inputShape: model.inputShape, layers: model.layers, loss: model.loss, optimizer: OPTIMIZERS.adam!, seed: 13, normalize: true } as TrainerSpec;
    cases.push({ name: 'dense, adam, normalize: true', direction, model, spec, epochs: 1 });
  }
  for (const [name, { learningRate, epochs }] of Object.entries(SCHEDULES)) {
    const model = MODELS.dense!;
    const optimizer = { name: 'sgd', momentum: 0.9, learningRate } as Optimizer;
    const spec = { inputShape: model.inputShape, layers: model.layers, loss: model.loss, optimizer, seed: 12 } as TrainerSpec;
    cases.push({ name: `dense, schedule ${name}`, direction, model, spec, epochs: epochs ?? 1 });
  }
}

/** `count` batches of seeded rows and targets. */
function batchesOf(model: Model, count: number, seed: number): { x: number[][]; y: number[] | number[][] }[] {
  const next = random(seed);
  const size = model.inputShape.reduce((a, b) => a * b, 1);
  return Array.from({ length: count }, () => {
    const x = Array.from({ length: BATCH }, () => Array.from({ length: size },
      () => (model.vocab ? Math.floor(((next() + 1) / 2) * model.vocab) : 2 * next())));
    const y = x.map((row) => (model.classes
      ? (model.vocab ? (row[0]! + row[1]!) % model.classes : (row[0]! + row[1]! > 0 ? 1 : 0) + (row[2]! > 0.5 ? 1 : 0))
      : Array.from({ length: model.outputs }, (_, j) => Math.tanh(row[j]! - row[size - 1 - j]!))));
    return { x, y: y as number[] | number[][] };
  });
}

/** Batches as one fit's x and y (rows in order: fit with shuffle off takes them batch by batch). */
function arraysOf(model: Model, batches: ReturnType<typeof batchesOf>): { x: Float32Array | Int32Array; y: Float32Array | Int32Array } {
  const rows = batches.flatMap((b) => b.x.flat());
  const x = model.vocab ? Int32Array.from(rows) : Float32Array.from(rows);
  const labels = batches.flatMap((b) => b.y);
  const y = model.classes ? Int32Array.from(labels as number[]) : Float32Array.from((labels as number[][]).flat());
  return { x, y };
}

/** Trains a checkpoint's trainer on `batches` (no shuffle), on `build`; its weights after. */
async function resume(bytes: Uint8Array, c: Case, batches: ReturnType<typeof batchesOf>, build: (typeof BUILDS)[number]): Promise<Record<string, Float32Array>> {
  const trainer = await createTrainer(bytes, { worker: false, build });
  try {
    const { x, y } = arraysOf(c.model, batches);
    await trainer.fit(x, y, { epochs: c.epochs, batchSize: BATCH, shuffle: false });
    return trainer.getWeights();
  } finally {
    await trainer.dispose();
  }
}

/** The largest per-tensor error of `a` against `r` (integer counters compared apart, exactly). */
function worstError(a: Record<string, Float32Array>, r: Record<string, number[]>): number {
  let worst = 0;
  for (const [name, values] of Object.entries(r)) {
    if (name.endsWith('num_batches_tracked')) {
      expect(Array.from(a[name]!), name).toEqual(values);
      continue;
    }
    worst = Math.max(worst, relArray(a[name], values));
  }
  return worst;
}

interface CaseResult { torch32: Record<string, number[]>; torch64: Record<string, number[]>; fresh?: Record<string, number[]> }
interface FromTorch {
  name: string; path: string; ids: boolean; spec: TrainerSpec; executor: number; x: number[][]; outputs: number[][]; probabilities: number[][];
  /** y: a class per row, or per position ([rows][T]) for a per-position output. */
  batches: { x: number[][]; y: number[] | number[][] }[]; continued: Record<string, number[]>;
  /** Per attention entry's in_proj_bias, the key part [from, to): its gradient is zero up to rounding. */
  keyBias: Record<string, [number, number]>; learningRate: number;
}

/**
 * Weights and torch's continuation with attention's key bias taken out: the softmax over keys does not
 * depend on it, so its gradient is rounding noise, which Adam normalises into steps of up to lr in
 * either direction. Returned apart, with the bound those steps can reach.
 */
function withoutKeyBias(weights: Record<string, Float32Array>, m: FromTorch, steps: number): {
  weights: Record<string, Float32Array>; reference: Record<string, number[]>; keyMoves: number; bound: number;
} {
  const [w, r] = [{ ...weights }, { ...m.continued }];
  let keyMoves = 0;
  for (const [name, [from, to]] of Object.entries(m.keyBias)) {
    const [ours, theirs] = [w[name]!, r[name]!];
    for (let j = from; j < to; j++) keyMoves = Math.max(keyMoves, Math.abs(ours[j]! - theirs[j]!));
    w[name] = Float32Array.from(ours).fill(0, from, to);
    r[name] = theirs.map((v, j) => (j >= from && j < to ? 0 : v));
  }
  // Adam's step is at most lr·√(1 − β2^t)/(1 − β1^t) ≲ 1.7·lr in its first steps; both sides move
  return { weights: w, reference: r, keyMoves, bound: 2 * 1.7 * m.learningRate * steps };
}
interface Response {
  torch: string;
  cases: CaseResult[];
  unsupported: Record<string, string>;
  fromTorch: FromTorch[];
  importWeights: { path: string; x: number[][]; outputs: number[][] };
  graph: { error: number; frozen: string[]; optimized: number };
  sequence: { error: number };
  fromTorchErrors: Record<string, string>;
}

describe.skipIf(!plan.run)('PyTorch handoff (python/descent_torch.py)', () => {
  let dir = '';
  let response: Response;
  const after: ReturnType<typeof batchesOf>[] = [];
  const measured: string[] = [];

  beforeAll(async () => {
    if (!plan.available.ok) throw new Error(`DESCENT_REQUIRE_TORCH=1 but ${plan.available.why}`);
    dir = mkdtempSync(join(tmpdir(), 'descent-handoff-'));
    const requests = [];
    for (const [n, c] of cases.entries()) {
      const before = batchesOf(c.model, BEFORE, 1000 + n);
      after.push(batchesOf(c.model, AFTER, 2000 + n));
      const trainer = await createTrainer(c.spec, { worker: false });
      try {
        const checkpoint = join(dir, `case-${n}.safetensors`);
        if (c.direction === 'descent->torch') {
          const { x, y } = arraysOf(c.model, before);
          await trainer.fit(x, y, { epochs: c.epochs, batchSize: BATCH, shuffle: false });
        }
        writeFileSync(checkpoint, await trainer.save());
        requests.push({
          direction: c.direction, checkpoint, out: join(dir, `case-${n}-torch.safetensors`), epochs: c.epochs, control: c.control,
          classes: c.model.classes, ids: c.model.vocab !== undefined, before: c.direction === 'torch->descent' ? before : undefined, batches: after[n],
        });
      } finally {
        await trainer.dispose();
      }
    }
    const unsupported: Record<string, string> = {};
    for (const name of ['lion', 'lamb']) {
      const trainer = await createTrainer({ inputSize: 2, layers: [{ units: 1 }], loss: 'mse', optimizer: { name } } as TrainerSpec, { worker: false });
      unsupported[name] = join(dir, `${name}.safetensors`);
      writeFileSync(unsupported[name]!, await trainer.save());
      await trainer.dispose();
    }
    writeFileSync(join(dir, 'request.json'), JSON.stringify({ cases: requests, unsupported, fromTorchDir: dir }));
    runPython([driver, join(dir, 'request.json'), join(dir, 'response.json')], { cwd: dir });
    response = JSON.parse(readFileSync(join(dir, 'response.json'), 'utf8'));
  }, 180_000);

  afterAll(() => {
    if (measured.length) console.log(`descent vs torch's float64 continuation (torch ${response?.torch}):\n${measured.join('\n')}`);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe.each(cases.map((c, n) => ({ ...c, n })))('$direction: $name', (c) => {
    it(`${BEFORE} steps, handoff, ${AFTER} more: descent (every build) and torch agree at the golden tolerance`, async () => {
      const result = response.cases[c.n]!;
      const checkpoint = readFileSync(join(dir, c.direction === 'descent->torch' ? `case-${c.n}.safetensors` : `case-${c.n}-torch.safetensors`));
      const d32 = worstError(Object.fromEntries(Object.entries(result.torch32).map(([k, v]) => [k, Float32Array.from(v)])), result.torch64);
      const tol = Math.max(K * d32, FLOOR);
      for (const build of BUILDS) {
        const weights = await resume(checkpoint, c, after[c.n]!, build);
        const error = worstError(weights, result.torch64);
        measured.push(`${c.direction} ${c.name} (${build}): ${error.toExponential(2)} (tol ${tol.toExponential(2)}, d32 ${d32.toExponential(2)})`);
        expect(error, `${build}: error ${error} over tol ${tol} (d32 ${d32})`).toBeLessThanOrEqual(tol);
        if (result.fresh) {
          const control = worstError(weights, result.fresh);
          expect(control, 'the control (optimizer state dropped in torch) must land far away').toBeGreaterThan(100 * tol);
        }
      }
    });
  });

  it('from_torch names the module it cannot map', () => {
    expect(response.fromTorchErrors.lstm).toMatch(/^module 1 \(LSTM\) has no descent counterpart in an nn\.Sequential \(it returns a tuple\): call it in a module's forward and pick its output/);
    expect(response.fromTorchErrors.bidirectional).toMatch(/^module lstm \(LSTM\) must be one layer, one direction, batch_first=True.*got num_layers=1, bidirectional=True/);
    expect(response.fromTorchErrors['lstm state c_n']).toMatch(/^module lstm \(LSTM\): the LSTM's c_n has no descent counterpart/);
    expect(response.fromTorchErrors['wpe longer than T']).toMatch(/^module wpe \(Embedding\): descent's positionEmbedding holds exactly the T = 6 rows it adds; this nn\.Embedding has 16/);
    expect(response.fromTorchErrors['attention mask']).toMatch(/^module attention \(MultiheadAttention\): attn_mask must be None or the causal mask .*got a \[5, 5\] torch\.bool mask/);
    expect(response.fromTorchErrors['linear on channels-first']).toMatch(/^module 1 \(Linear\) acts on the last axis of a channels-first tensor.*Flatten/);
    expect(response.fromTorchErrors['leaky slope']).toMatch(/^module 1 \(LeakyReLU\) negative_slope must be 0\.01.*got 0\.2/);
  });

  it('graph specs (names, inputs, add, concat, trainable: false) run as the formulas say; frozen tensors stay out of the optimizer', () => {
    expect(response.graph.error).toBeLessThanOrEqual(1e-6);
    expect(response.graph.frozen).toEqual(['3.weight', '3.bias']);
    expect(response.graph.optimized).toBe(6);
  });

  it('sequence specs (embedding, positionEmbedding, causal attention, lstm, gru) run as torch\'s modules under the contract\'s tensor names', () => {
    expect(response.sequence.error).toBeLessThanOrEqual(1e-6);
  });

  it('lion and lamb, which torch lacks, say so', () => {
    expect(response.unsupported.lion).toMatch(/'lion' optimizer has no torch\.optim counterpart.*no Lion/);
    expect(response.unsupported.lamb).toMatch(/'lamb' optimizer has no torch\.optim counterpart.*no LAMB/);
  });

  describe('from_torch: standard torch models', () => {
    it.each([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])('model %i: predict(x, { raw: true }) gives torch\'s eval outputs within 1e-5 relative; training continues alike', async (i) => {
      const m = response.fromTorch[i]!;
      const bytes = readFileSync(m.path);
      // descent_torch's executor on the checkpoint, in torch
      measured.push(`from_torch ${m.name}: descent_torch.load's model ${m.executor.toExponential(2)}`);
      expect(m.executor, `${m.name}: descent_torch.load's model`).toBeLessThanOrEqual(1e-5);
      const graph = m.spec.layers.some((l) => l.type === 'add' || l.type === 'concat');
      if (graph) {
        expect(m.spec.layers.filter((l) => 'inputs' in l).length, 'a graph spec wires entries by name').toBeGreaterThan(0);
      }
      for (const build of BUILDS) {
        const trainer = await createTrainer(bytes, { worker: false, build });
        try {
          const x = m.ids ? Int32Array.from(m.x.flat()) : Float32Array.from(m.x.flat());
          const got = await trainer.predict(x, { raw: true });
          const error = relArray(got, m.outputs.flat());
          measured.push(`from_torch ${m.name} (${build}): predict ${error.toExponential(2)}`);
          expect(error, `${m.name}, ${build}`).toBeLessThanOrEqual(1e-5);
          // the model's predict(x) applies the loss's output activation as descent's predict(x) does
          expect(relArray(await trainer.predict(x), m.probabilities.flat()), `${m.name}, ${build}: predict with the output activation`).toBeLessThanOrEqual(1e-5);
          if (m.batches.length) {
            const xs = m.batches.flatMap((b) => b.x.flat());
            await trainer.fit(m.ids ? Int32Array.from(xs) : Float32Array.from(xs), Int32Array.from(m.batches.flatMap((b) => b.y.flat())),
              { epochs: 1, batchSize: m.batches[0]!.y.length, shuffle: false });
            const apart = withoutKeyBias(trainer.getWeights(), m, m.batches.length);
            const continued = worstError(apart.weights, apart.reference);
            expect(apart.keyMoves, `${m.name}, ${build}: attention's key bias (zero gradient) within Adam's step bound`).toBeLessThanOrEqual(apart.bound);
            measured.push(`from_torch ${m.name} (${build}): 2 more Adam steps ${continued.toExponential(2)}` +
              (Object.keys(m.keyBias).length ? ` (attention key bias apart: moved ${apart.keyMoves.toExponential(2)}, bound ${apart.bound.toExponential(2)})` : ''));
            expect(continued, `${m.name}, ${build}: 2 Adam steps after from_torch`).toBeLessThanOrEqual(1e-5);
          }
        } finally {
          await trainer.dispose();
        }
      }
    });
  });

  it('importWeights: torch\'s Conv2d → BatchNorm2d → MaxPool2d → Flatten → Linear predicts the same with flatten channelsFirst (and not with channelsLast)', async () => {
    const { path, x, outputs } = response.importWeights;
    const layers: LayerSpec[] = [
      { type: 'conv2d', filters: 4, kernelSize: 3, padding: 1 }, { type: 'batchnorm' }, { type: 'maxpool2d', poolSize: 2 },
      { type: 'flatten', dataFormat: 'channelsFirst' }, { units: 3 },
    ];
    const predict = async (flatten: LayerSpec, build: (typeof BUILDS)[number]) => {
      const trainer = await createTrainer({ inputShape: [6, 5, 2], layers: layers.map((l, i) => (i === 3 ? flatten : l)), loss: 'softmax_cross_entropy' }, { worker: false, build });
      try {
        await trainer.importWeights(readFileSync(path));
        return await trainer.predict(Float32Array.from(x.flat()), { raw: true });
      } finally {
        await trainer.dispose();
      }
    };
    for (const build of BUILDS) {
      const error = relArray(await predict(layers[3]!, build), outputs.flat());
      measured.push(`importWeights torch CNN, flatten channelsFirst (${build}): ${error.toExponential(2)}`);
      expect(error).toBeLessThanOrEqual(1e-5);
    }
    expect(relArray(await predict({ type: 'flatten' }, 'scalar'), outputs.flat())).toBeGreaterThan(1e-2);
  });
});
