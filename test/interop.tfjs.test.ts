// importTfjsModel against tfjs 4.22 itself: for every layer kind it maps, tfjs-layers builds a small
// model, trains it a few steps and saves it with its own IO handler; descent imports the artifacts (and
// the model.json file form of them), predicts what tfjs predicts (within 1e-5, relative to 1 + |y|),
// and training goes on from there (the loss goes down).
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTrainer, importTfjsModel } from '../src/index.js';
import { CASES, dataFor, maxDifference, modelJsonOf, random, savedArtifacts, tensorOf, tf, tfl, trainedModel } from './interop/tfjs-models.js';

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

/**
 * Keras' GRU with reset_after=True (keras/layers/rnn/gru.py), in float64: gate blocks z, r, h of
 * kernel [C, 3U], recurrent_kernel [U, 3U] and bias [2, 3U] (input bias, recurrent bias). Returns every
 * step's h ([rows, T, U]) or the last step's ([rows, U]).
 */
function kerasGru(x: Float32Array, rows: number, T: number, C: number, U: number, kernel: Float32Array, recurrent: Float32Array, bias: Float32Array, sequences: boolean): Float64Array {
  const out = new Float64Array(rows * (sequences ? T : 1) * U);
  const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
  for (let n = 0; n < rows; n++) {
    let h = new Float64Array(U);
    for (let t = 0; t < T; t++) {
      const mx = new Float64Array(3 * U);
      const mh = new Float64Array(3 * U);
      for (let j = 0; j < 3 * U; j++) {
        mx[j] = bias[j]!;
        mh[j] = bias[3 * U + j]!;
        for (let c = 0; c < C; c++) mx[j] += x[(n * T + t) * C + c]! * kernel[c * 3 * U + j]!;
        for (let u = 0; u < U; u++) mh[j] += h[u]! * recurrent[u * 3 * U + j]!;
      }
      const next = new Float64Array(U);
      for (let u = 0; u < U; u++) {
        const z = sigmoid(mx[u]! + mh[u]!);
        const r = sigmoid(mx[U + u]! + mh[U + u]!);
        const hh = Math.tanh(mx[2 * U + u]! + r * mh[2 * U + u]!);
        next[u] = z * h[u]! + (1 - z) * hh;
      }
      h = next;
      if (sequences || t === T - 1) out.set(h, (n * (sequences ? T : 1) + (sequences ? t : 0)) * U);
    }
  }
  return out;
}

describe('recurrent layers', () => {
  it.each([true, false])("imports a Keras GRU with reset_after: true (return_sequences %s) predicting as Keras' formula does", async (sequences) => {
    const [T, C, U, rows] = [5, 3, 4, 7];
    const next = random(21);
    const values = (n: number) => Float32Array.from({ length: n }, () => next() * 0.8);
    const [kernel, recurrent, bias] = [values(C * 3 * U), values(U * 3 * U), values(2 * 3 * U)];
    // as the Keras 2 converter writes it: the model under model_config, weights under the layer's cell
    const modelJson = {
      modelTopology: { model_config: { class_name: 'Sequential', config: { name: 'sequential', layers: [
        { class_name: 'InputLayer', config: { batch_input_shape: [null, T, C], dtype: 'float32', name: 'input_1' } },
        { class_name: 'GRU', config: {
          name: 'gru', units: U, activation: 'tanh', recurrent_activation: 'sigmoid', use_bias: true, dropout: 0, recurrent_dropout: 0,
          return_sequences: sequences, return_state: false, go_backwards: false, stateful: false, unroll: false, time_major: false, reset_after: true,
        } },
        // every step's h, [T, U], flattened in that order (a descent model's output is flat)
        ...(sequences ? [{ class_name: 'Flatten', config: { name: 'flatten' } }] : []),
      ] } } },
      weightsManifest: [{ paths: ['w.bin'], weights: [
        { name: 'gru/gru_cell/kernel', shape: [C, 3 * U], dtype: 'float32' },
        { name: 'gru/gru_cell/recurrent_kernel', shape: [U, 3 * U], dtype: 'float32' },
        { name: 'gru/gru_cell/bias', shape: [2, 3 * U], dtype: 'float32' },
      ] }],
    };
    const bytes = new Float32Array([...kernel, ...recurrent, ...bias]);
    const { spec, weights } = await importTfjsModel(modelJson, bytes);
    expect(spec.layers[0]).toEqual({ type: 'gru', units: U, returnSequences: sequences });
    expect(spec.inputShape).toEqual([T, C]);
    const x = values(rows * T * C);
    const trainer = await createTrainer(spec, { worker: false });
    try {
      trainer.setWeights(weights);
      const difference = maxDifference(await trainer.predict(x), kerasGru(x, rows, T, C, U, kernel, recurrent, bias, sequences));
      console.log(`Keras GRU (reset_after) → descent predict vs float64 Keras formula, return_sequences ${sequences}, max |Δ| / (1 + |y|):`, difference);
      expect(difference).toBeLessThan(1e-5);
    } finally {
      await trainer.dispose();
    }
  });

  it("refuses tfjs-layers' GRU (reset_after: false, the only GRU tfjs builds), naming the layer and the option", async () => {
    const model = tfl.sequential({ layers: [tfl.layers.gru({ inputShape: [4, 2], units: 3, recurrentActivation: 'sigmoid', recurrentInitializer: 'glorotUniform' })] });
    await expect(importTfjsModel(await savedArtifacts(model, false))).rejects.toThrow(
      /model\.json layers\[0\] \(GRU "gru_GRU\d+"\) reset_after must be true to import \(torch's GRU applies the reset gate after the recurrent product, r ⊙ \(W_hn·h \+ b_hn\)\), got false/);
  });

  it("refuses tfjs-layers' default hard_sigmoid gates, saying how to build the layer instead", async () => {
    const model = tfl.sequential({ layers: [tfl.layers.lstm({ inputShape: [4, 2], units: 3, recurrentInitializer: 'glorotUniform' })] });
    await expect(importTfjsModel(await savedArtifacts(model, false))).rejects.toThrow(
      /model\.json layers\[0\] \(LSTM "lstm_LSTM\d+"\) recurrent_activation must be 'sigmoid' to import \(torch's LSTM gates\), got "hard_sigmoid"; tfjs-layers' default is hard_sigmoid: build the layer with recurrentActivation: 'sigmoid'/);
  });
});
