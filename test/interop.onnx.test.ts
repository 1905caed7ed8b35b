// exportOnnx run by onnxruntime-node (its CPU binary, shipped in the package): for every layer kind
// the graph gives what predict() gives (within 1e-5 relative to 1 + |y|), for a trainer in this thread
// and one in a worker, with the loss's output activation and with { raw: true }; checkpoint bytes
// export the same graph. A float64 check of the normalisation is part of the dense case (normalize: true).
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { createTrainer, exportOnnx, ONNX_OPSET } from '../src/index.js';
import { maxDifference, ONNX_CASES, onnxData, type OnnxCase } from './interop/onnx-models.js';

/** Runs the ONNX model on x (rows × inputSize, or token ids) and returns y. */
async function runOnnx(bytes: Uint8Array, c: OnnxCase, x: Float32Array | Int32Array): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const shape = c.spec.inputShape ?? [c.spec.inputSize!];
    const size = shape.reduce((a, b) => a * b, 1);
    const input = new ort.Tensor(c.ids ? 'int32' : 'float32', x, [x.length / size, size]);
    const { y } = await session.run({ x: input });
    expect(y!.dims).toEqual([x.length / size, ...(c.positions ? [c.positions] : []), c.outputs]);
    return y!.data as Float32Array;
  } finally {
    await session.release();
  }
}

const measured: Record<string, number> = {};
afterAll(() => console.log('ONNX (onnxruntime-node) vs predict, max |Δ| / (1 + |y|):', measured));

describe.each(ONNX_CASES)('$name', (c) => {
  it('in-thread trainer: the graph gives predict\'s outputs, and raw ones with { raw: true }', async () => {
    const trainer = await createTrainer(c.spec, { worker: false });
    try {
      const { x, y } = onnxData(c, 64, 1);
      await trainer.fit(x, y, { epochs: 3, batchSize: 16 });
      const test = onnxData(c, 37, 2).x;
      const onnx = await exportOnnx(trainer);
      const got = await runOnnx(onnx, c, test);
      const difference = maxDifference(got, await trainer.predict(test));
      measured[c.name] = difference;
      expect(difference).toBeLessThan(1e-5);
      const raw = await runOnnx(await exportOnnx(trainer, { raw: true }), c, test);
      expect(maxDifference(raw, await trainer.predict(test, { raw: true }))).toBeLessThan(1e-5);
      // checkpoint bytes export the same graph
      expect(await exportOnnx(await trainer.save())).toEqual(onnx);
    } finally {
      await trainer.dispose();
    }
  });
});

describe('exportOnnx', () => {
  it('works with a worker trainer', async () => {
    const c = ONNX_CASES[1]!;
    const trainer = await createTrainer(c.spec);
    try {
      const { x, y } = onnxData(c, 32, 3);
      await trainer.fit(x, y, { epochs: 2, batchSize: 8 });
      const test = onnxData(c, 9, 4).x;
      expect(maxDifference(await runOnnx(await exportOnnx(trainer), c, test), await trainer.predict(test))).toBeLessThan(1e-5);
    } finally {
      await trainer.dispose();
    }
  });

  it('writes an opset ≥ 13 model whose input and output are x [N, inputSize] and y [N, outputs]', async () => {
    const c = ONNX_CASES[0]!;
    const trainer = await createTrainer(c.spec, { worker: false });
    try {
      expect(ONNX_OPSET).toBeGreaterThanOrEqual(13);
      const session = await ort.InferenceSession.create(await exportOnnx(trainer));
      expect(session.inputNames).toEqual(['x']);
      expect(session.outputNames).toEqual(['y']);
      await session.release();
    } finally {
      await trainer.dispose();
    }
  });

  it('refuses what is not a trainer or checkpoint, and unknown options', async () => {
    await expect(exportOnnx({} as never)).rejects.toThrow(/exportOnnx needs a trainer \(with save\(\)\) or checkpoint bytes, got Object/);
    await expect(exportOnnx(new Uint8Array(3))).rejects.toThrow(/checkpoint must be at least 8 bytes/);
    const trainer = await createTrainer(ONNX_CASES[4]!.spec, { worker: false });
    try {
      await expect(exportOnnx(trainer, { raw: 1 } as never)).rejects.toThrow(/raw must be a boolean, got 1/);
      await expect(exportOnnx(trainer, { opset: 12 } as never)).rejects.toThrow(/unknown option "opset" in exportOnnx options; it takes raw/);
    } finally {
      await trainer.dispose();
    }
  });
});
