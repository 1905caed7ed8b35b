// importTfjsModel against tfjs 4.22 itself: for every layer kind it maps, tfjs-layers builds a small
// model, trains it a few steps and saves it with its own IO handler; descent imports the artifacts (and
// the model.json file form of them), predicts what tfjs predicts (within 1e-5, relative to 1 + |y|),
// and training goes on from there (the loss goes down).
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTrainer, importTfjsModel } from '../src/index.js';
import { CASES, dataFor, maxDifference, modelJsonOf, savedArtifacts, tensorOf, tf, tfl, trainedModel } from './interop/tfjs-models.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

const differences: Record<string, number> = {};

describe.each(CASES)('$name', (c) => {
  it('imports with the predictions tfjs makes, then trains on', async () => {
    const model = await trainedModel(c);
    const artifacts = await savedArtifacts(model, c.includeOptimizer);
    const { spec, weights, notes } = await importTfjsModel(artifacts);
    expect(Array.isArray(notes)).toBe(true);

    const { x, y } = dataFor(c, 40, 11);
    const xs = tensorOf(c, x);
    const expected = (model.predict(xs) as tf.Tensor).dataSync();
    xs.dispose();

    const trainer = await createTrainer({ ...spec, seed: 3 }, { worker: false });
    try {
      trainer.setWeights(weights);
      const got = await trainer.predict(x);
      const difference = maxDifference(got, expected);
      differences[c.name] = difference;
      expect(difference).toBeLessThan(1e-5);

      const history = await trainer.fit(x, y, { epochs: 12, batchSize: 8, shuffle: true });
      const losses = history.epochs.map((e) => e.loss);
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(losses.at(-1)!).toBeLessThan(losses[0]!);
    } finally {
      await trainer.dispose();
    }
  });

  it('imports the model.json file form (weightsManifest + weight bytes) to the same spec and weights', async () => {
    const artifacts = await savedArtifacts(await trainedModel(c), c.includeOptimizer);
    const fromArtifacts = await importTfjsModel(artifacts);
    const text = JSON.stringify(modelJsonOf(artifacts));
    const fromFile = await importTfjsModel(text, artifacts.weightData as ArrayBuffer);
    expect(fromFile.spec).toEqual(fromArtifacts.spec);
    expect(Object.keys(fromFile.weights)).toEqual(Object.keys(fromArtifacts.weights));
    for (const name of Object.keys(fromArtifacts.weights)) expect(fromFile.weights[name]).toEqual(fromArtifacts.weights[name]);
  });
});

describe('what the import maps', () => {
  it('moves a softmax into softmax_cross_entropy and maps the optimizer of the training config', async () => {
    const { spec, notes } = await importTfjsModel(await savedArtifacts(await trainedModel(CASES[0]!), true));
    expect(spec.loss).toBe('softmax_cross_entropy');
    expect(spec.layers.at(-1)).toMatchObject({ units: 3, activation: 'linear' });
    expect(spec.optimizer).toMatchObject({ name: 'adam', learningRate: 0.001, beta1: 0.9, beta2: 0.999 });
    expect(notes.join('\n')).toMatch(/optimizer state is not imported/);
  });

  it('maps batchnorm momentum and eps (Keras decay m is torch momentum 1 − m) and tfjs kernel layouts', async () => {
    const c = CASES[2]!;
    const model = await trainedModel(c);
    const { spec, weights } = await importTfjsModel(await savedArtifacts(model, true));
    expect(spec.layers[1]).toMatchObject({ type: 'batchnorm', eps: 1e-3 });
    expect((spec.layers[1] as { momentum: number }).momentum).toBeCloseTo(0.1, 12);
    expect(spec.layers[3]).toMatchObject({ type: 'conv2d', stride: [2, 2], padding: [1, 1] });
    // Conv2D kernel [kh, kw, in, out] → weight [out, in, kh, kw]
    const kernel = model.layers[0]!.getWeights()[0]!;
    const k = kernel.arraySync() as number[][][][];
    const w = weights['0.weight']!;
    const [kh, kw, cin, cout] = kernel.shape as number[];
    for (let o = 0; o < cout!; o++) for (let i = 0; i < cin!; i++) for (let a = 0; a < kh!; a++) for (let b = 0; b < kw!; b++) {
      expect(w[((o * cin! + i) * kh! + a) * kw! + b]).toBe(Math.fround(k[a]![b]![i]![o]!));
    }
  });

  it('without a training config: the loss follows the last activation, and the notes say so', async () => {
    const { spec, notes } = await importTfjsModel(await savedArtifacts(await trainedModel(CASES[3]!), false));
    expect(spec.loss).toBe('bce_with_logits');
    expect(spec.optimizer).toEqual({ name: 'adam' });
    expect(notes.join('\n')).toMatch(/no training config/);
  });

  it("reads the Keras converter's model.json: nested model_config, InputLayer, scoped names, quantized weights", async () => {
    const modelJson = {
      format: 'layers-model', generatedBy: 'keras v2.15.0', convertedBy: 'TensorFlow.js Converter',
      modelTopology: {
        keras_version: '2.15.0', backend: 'tensorflow',
        model_config: { class_name: 'Sequential', config: { name: 'sequential', layers: [
          { class_name: 'InputLayer', config: { batch_input_shape: [null, 2], dtype: 'float32', name: 'input_1' } },
          { class_name: 'Dense', config: { name: 'dense', units: 1, activation: 'sigmoid', use_bias: true } },
        ] } },
        training_config: { loss: 'binary_crossentropy', optimizer_config: { class_name: 'Adam', config: { name: 'Adam', learning_rate: 0.01, beta_1: 0.8, beta_2: 0.99, epsilon: 1e-7 } } },
      },
      weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: [
        { name: 'sequential/dense/kernel', shape: [2, 1], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.01, min: -1 } },
        { name: 'sequential/dense/bias', shape: [1], dtype: 'float32', quantization: { dtype: 'float16' } },
      ] }],
    };
    // kernel q = [0, 255] → [-1, 1.55]; bias as half-precision 0x3c00 = 1
    const bytes = Uint8Array.of(0, 255, 0x00, 0x3c);
    const { spec, weights } = await importTfjsModel(modelJson, [bytes.slice(0, 2), bytes.slice(2)]);
    expect(spec).toEqual({
      inputSize: 2, layers: [{ units: 1, activation: 'linear', useBias: true }], loss: 'bce_with_logits',
      optimizer: { name: 'adam', learningRate: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-7 },
    });
    expect([...weights['0.weight']!]).toEqual([-1, Math.fround(255 * 0.01 - 1)]);
    expect([...weights['0.bias']!]).toEqual([1]);
  });

  it('reports the measured differences', () => {
    // printed for the record (bench-style facts in the test log); the assertions are above
    console.log('tfjs → descent predict, max |Δ| / (1 + |y|):', differences);
    expect(Object.keys(differences).length).toBe(CASES.length);
  });
});

describe('functional models', () => {
  it('become named entries that read their inputs by name; a layer saved frozen imports frozen', async () => {
    const c = CASES.find((k) => k.name.startsWith('functional: residual CNN'))!;
    const { spec, weights } = await importTfjsModel(await savedArtifacts(await trainedModel(c), false));
    const entries = spec.layers as { type?: string; name?: string; inputs?: string[]; trainable?: boolean }[];
    expect(entries.map((e) => e.type ?? 'dense')).toEqual(['conv2d', 'conv2d', 'add', 'concat', 'globalavgpool', 'dense']);
    expect(entries[0]).toMatchObject({ inputs: ['input'], trainable: false });
    expect(entries[2]!.inputs).toEqual([entries[0]!.name, entries[1]!.name]);
    expect(entries[3]!.inputs).toEqual([entries[2]!.name, 'input']);
    const trainer = await createTrainer(spec, { worker: false });
    trainer.setWeights(weights);
    const { x, y } = dataFor(c, 16, 5);
    await trainer.fit(x, y, { epochs: 2, batchSize: 4 });
    expect(trainer.getWeights()['0.weight']).toEqual(weights['0.weight']);
    await trainer.dispose();
  });

  it('refuses a model with two outputs, naming them', async () => {
    const input = tfl.input({ shape: [3] });
    const a = tfl.layers.dense({ units: 2 }).apply(input) as tfl.SymbolicTensor;
    const b = tfl.layers.dense({ units: 2 }).apply(input) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: [a, b] });
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    await expect(importTfjsModel(await savedArtifacts(model, false))).rejects.toThrow(/only models with one output import, got output_layers/);
  });
});
