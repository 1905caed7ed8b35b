// Interop in real Chromium. tfjs 4.22 trains small models and saves them with its own browser
// handlers ('indexeddb://', 'localstorage://'); importTfjsModel reads them from tfjs's storage layout
// and a worker trainer predicts what tfjs predicts. exportOnnx's graphs run in onnxruntime-web (its
// WASM backend) and give what predict() gives, for dense, CNN, embedding (one into a GRU) and
// transformer-block models.
import '@tensorflow/tfjs-backend-cpu';
import { createTrainer, exportOnnx, importTfjsModel } from 'descent-wasm';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ONNX_CASES, onnxData, type OnnxCase } from '../interop/onnx-models.js';
import { CASES, dataFor, maxDifference, tensorOf, tf, trainedModel } from '../interop/tfjs-models.js';

const measured: Record<string, number> = {};
afterAll(() => console.log('Chromium: max |Δ| / (1 + |y|) against tfjs predict (import) and descent predict (onnxruntime-web):', measured));

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
  // one thread: no SharedArrayBuffer needed; the .wasm files served from the package as they are
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.wasmPaths = '/node_modules/onnxruntime-web/dist/';
});

describe('importTfjsModel from tfjs browser storage', () => {
  it.each([
    ['indexeddb', CASES[2]!],
    ['localstorage', CASES[4]!],
    ['indexeddb', CASES[0]!],
  ])('%s:// (%#) imports what tfjs saved, predicting as tfjs does', async (scheme, c) => {
    const model = await trainedModel(c);
    const url = `${scheme}://descent-interop-${c.name.split(' ')[0]}`;
    await model.save(url, { includeOptimizer: c.includeOptimizer });
    const { spec, weights } = await importTfjsModel(url);
    const { x } = dataFor(c, 24, 5);
    const xs = tensorOf(c, x);
    const expected = (model.predict(xs) as tf.Tensor).dataSync();
    xs.dispose();
    const trainer = await createTrainer(spec);
    try {
      await trainer.setWeights(weights);
      const difference = maxDifference(await trainer.predict(x), expected);
      measured[url] = difference;
      expect(difference).toBeLessThan(1e-5);
    } finally {
      await trainer.dispose();
      await tf.io.removeModel(url);
    }
  });

  it('names a missing model', async () => {
    await expect(importTfjsModel('indexeddb://no-such-model')).rejects.toThrow(/indexeddb:\/\/no-such-model: no model saved by tfjs under that name/);
    await expect(importTfjsModel('localstorage://no-such-model')).rejects.toThrow(/localstorage:\/\/no-such-model: no model saved by tfjs under that name/);
  });
});

describe('exportOnnx in onnxruntime-web (WASM)', () => {
  const picked = ONNX_CASES.filter((c) => /^(dense|cnn \(|embedding|transformer)/.test(c.name));

  it.each(picked.map((c) => [c.name, c] as const))('%s', async (_name, c: OnnxCase) => {
    const trainer = await createTrainer(c.spec);
    try {
      const { x, y } = onnxData(c, 48, 1);
      await trainer.fit(x, y, { epochs: 2, batchSize: 16 });
      const test = onnxData(c, 21, 2).x;
      const session = await ort.InferenceSession.create(await exportOnnx(trainer), { executionProviders: ['wasm'] });
      const size = test.length / 21;
      const { y: out } = await session.run({ x: new ort.Tensor(c.ids ? 'int32' : 'float32', test, [21, size]) });
      await session.release();
      const difference = maxDifference(out!.data as Float32Array, await trainer.predict(test));
      measured[`onnx ${c.name.split(' (')[0]}`] = difference;
      expect(difference).toBeLessThan(1e-5);
    } finally {
      await trainer.dispose();
    }
  });
});
