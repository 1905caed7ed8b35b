// descent's embedding, layernorm and batchnorm against PyTorch, from golden files (no torch at test
// time): test/fixtures/torch/layers_norm.py records, in float64 and float32,
//   layers    one layer on a small batch (nn.Embedding, nn.LayerNorm(C), nn.BatchNorm1d/2d with the
//             channels permuted first): the forward output, and for an upstream gradient G the
//             gradients of Σ out·G w.r.t. the input and the parameters; batchnorm in train mode
//             (batch statistics) with the running statistics it leaves, and in eval mode;
//   training  short fits (shuffle off) of small models with these layers: final weights and states,
//             epoch losses, evaluate() and predict() in eval mode.
// Here each layer runs through its module's forward and backward on the raw kernels (that is where
// the input gradient is visible), and each fit through the trainer, on every build (relaxed, simd, scalar).
//
// Errors and tolerances as in golden.torch.test.ts: per array max |a − r| / max |r|, per loss
// |a − r| / |r|; tol = max(K · d32, FLOOR) with d32 the same error between torch's float32 and
// float64 runs of the case (K = 8, FLOOR = 1e-6); num_batches_tracked must match exactly.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createTrainer, loadKernels, type LayerSpec, type TrainerSpec } from '../src/index.js';
import { layerFromSpec } from '../src/model/layers/index.js';
import type { BackwardArgs } from '../src/model/layers/layer.js';
import { FLOOR, K, relArray, relEach, trainingErrors, type TrainingCase, type TrainingResult } from './reference/golden.js';
import { BUILDS, type Build } from './reference/builds.js';


interface LayerResult {
  forward: number[];
  dx?: number[];
  grads: Record<string, number[]>;
  states?: Record<string, number[]>;
  eval?: number[];
}

interface LayerCase {
  name: string;
  layer: LayerSpec & { type: string };
  inputShape: number[];
  rows: number;
  x: number[];
  g: number[];
  tensors: Record<string, number[]>;
  float64: LayerResult;
  float32: LayerResult;
}

const golden = JSON.parse(readFileSync(new URL('./fixtures/torch/layers_norm.json', import.meta.url), 'utf8')) as {
  layers: LayerCase[];
  training: TrainingCase[];
};

function layerErrors(a: LayerResult, r: LayerResult): Record<string, number> {
  const out: Record<string, number> = { forward: relArray(a.forward, r.forward) };
  if (r.dx) out.dx = relArray(a.dx, r.dx);
  for (const [name, values] of Object.entries(r.grads)) out[`grad ${name}`] = relArray(a.grads[name], values);
  if (r.eval) out.eval = relArray(a.eval, r.eval);
  for (const [name, values] of Object.entries(r.states ?? {})) if (name !== 'num_batches_tracked') out[`state ${name}`] = relArray(a.states?.[name], values);
  return out;
}

const worst = (e: Record<string, number>) => Math.max(...Object.values(e));

function expectWithin(name: string, errors: Record<string, number>, tol: number, d32: number): void {
  const over = Object.entries(errors).filter(([, v]) => !(v <= tol));
  if (over.length > 0) expect.unreachable(`${name}: ${over.map(([q, v]) => `${q} error ${v.toExponential(2)} > tol ${tol.toExponential(2)} (d32 ${d32.toExponential(2)})`).join('; ')}`);
}

/** One layer's forward and backward (train mode) and, for batchnorm, its eval-mode forward, on the raw kernels. */
async function runLayer(c: LayerCase, build: Build): Promise<LayerResult> {
  const k = await loadKernels({ build });
  const layer = layerFromSpec(c.layer as unknown as Record<string, unknown>, 'layers[0]', 0, c.inputShape);
  const ids = layer.inputKind === 'index';
  const alloc = (values: ArrayLike<number> | number, type: 'f32' | 'i32' = 'f32') => {
    const array = k.alloc(typeof values === 'number' ? Math.max(values, 1) : values.length, type);
    if (typeof values !== 'number') array.array.set(values);
    return array;
  };
  const x = alloc(c.x, ids ? 'i32' : 'f32');
  const out = alloc(c.rows * layer.outputSize);
  const dOut = alloc(c.g);
  const dx = ids ? null : alloc(c.rows * layer.inputSize);
  const params = layer.tensors.map((t) => alloc(c.tensors[t.name]!));
  const grads = layer.tensors.map((t) => alloc(c.tensors[t.name]!.length));
  const states = (layer.states ?? []).map((s) => alloc(c.tensors[s.name]!));
  const buffers = Object.fromEntries(Object.entries(layer.buffers).map(([name, perRow]) => [name, alloc(c.rows * perRow)]));
  const args: BackwardArgs = {
    x: x.ptr, rows: c.rows, out: out.ptr, buffers: Object.fromEntries(Object.entries(buffers).map(([n, b]) => [n, b.ptr])),
    params: params.map((p) => p.ptr), states: states.map((s) => s.ptr), gemmScratch: 0, training: { seed: 0, step: 0, firstRow: 0 },
    dOut: dOut.ptr, dx: dx?.ptr ?? 0, grads: grads.map((g) => g.ptr), inputs: [x.ptr], dxs: [dx?.ptr ?? 0], trainable: true,
  };
  layer.forward(k.raw, args);
  const result: LayerResult = { forward: Array.from(out.array), grads: {} };
  layer.backward(k.raw, args);
  if (dx) result.dx = Array.from(dx.array);
  layer.tensors.forEach((t, i) => (result.grads[t.name] = Array.from(grads[i]!.array)));
  if (states.length > 0) {
    result.states = Object.fromEntries(layer.states!.map((s, i) => [s.name, Array.from(states[i]!.array)]));
    layer.states!.forEach((s, i) => states[i]!.array.set(c.tensors[s.name]!));
    layer.forward(k.raw, { ...args, training: null });
    result.eval = Array.from(out.array);
  }
  for (const array of [x, out, dOut, dx, ...params, ...grads, ...states, ...Object.values(buffers)]) array?.free();
  return result;
}

async function runTraining(c: TrainingCase, build: Build): Promise<TrainingResult & { stopReason: string }> {
  const trainer = await createTrainer(c.spec, { worker: false, build });
  try {
    trainer.setWeights(c.initialWeights);
    const ids = c.spec.layers[0]!.type === 'embedding';
    const x = ids ? Int32Array.from(c.x) : Float32Array.from(c.x);
    const y = c.targets === 'index' ? Int32Array.from(c.y) : Float32Array.from(c.y);
    const history = await trainer.fit(x, y, { epochs: c.fit.epochs, batchSize: c.fit.batchSize, shuffle: false });
    return {
      stopReason: history.stopReason,
      losses: history.epochs.map((e) => e.loss),
      weights: Object.fromEntries(Object.entries(trainer.getWeights()).map(([k, v]) => [k, Array.from(v)])),
      evaluate: (await trainer.evaluate(x, y)).loss,
      predict: Array.from(await trainer.predict(x)),
    };
  } finally {
    await trainer.dispose();
  }
}

describe.each(BUILDS)('embedding, layernorm, batchnorm vs torch (%s build)', (build) => {
  it.each(golden.layers.map((c) => [c.name, c] as const))('layer: %s', async (name, c) => {
    const d32 = worst(layerErrors(c.float32, c.float64));
    const got = await runLayer(c, build);
    if (c.float64.states) expect(got.states!.num_batches_tracked).toEqual(c.float64.states.num_batches_tracked);
    expectWithin(name, layerErrors(got, c.float64), Math.max(K * d32, FLOOR), d32);
  });

  it.each(golden.training.map((c) => [c.name, c] as const))('training: %s', async (name, c) => {
    const d32 = worst(trainingErrors(c.float32, c.float64));
    const got = await runTraining(c, build);
    expect(got.stopReason).toBe('completed');
    for (const [tensor, values] of Object.entries(c.float64.weights)) if (tensor.endsWith('num_batches_tracked')) expect(got.weights[tensor]).toEqual(values);
    expectWithin(name, trainingErrors(got, c.float64), Math.max(K * d32, FLOOR), d32);
  });
});
