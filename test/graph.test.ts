// Graph models (DESIGN.md, "Graph models"): entries that name their inputs, `add` and `concat`, a
// tensor read by several entries (its gradient is the sum of theirs), frozen layers. Each case is a
// small network checked on every build against the float64 reference network run as a graph
// (test/reference/network.ts): forward outputs, and one full-batch SGD step of learning rate 1
// against central differences of the reference objective (the new backward paths: add, concat,
// fan-out sums, frozen layers passing gradients through). Frozen tensors must not move at all.
import { describe, expect, it } from 'vitest';
import { createTrainer, type LayerSpec, type TrainerSpec } from '../src/index.js';
import { centralDifferences } from './reference/gradcheck.js';
import { referenceForward, referenceObjective } from './reference/network.js';
import { BUILDS } from './reference/builds.js';

interface GraphCase {
  inputShape?: number[];
  layers: LayerSpec[];
  /** Layers frozen with setTrainable after the trainer is made (by index or name). */
  freeze?: (number | string)[];
}

const GRAPH_CASES: Record<string, GraphCase> = {
  'residual dense block: x + f(x)': {
    layers: [
      { units: 4, activation: 'tanh', name: 'h' },
      { units: 4, activation: 'tanh' },
      { units: 4, name: 'f' },
      { type: 'add', inputs: ['h', 'f'] },
      { units: 3 },
    ],
  },
  'concat of two branches of the model input (different widths)': {
    layers: [
      { units: 3, activation: 'tanh', name: 'a' },
      { units: 4, activation: 'sigmoid', inputs: ['input'], name: 'b' },
      { type: 'concat', inputs: ['a', 'input', 'b'] },
      { units: 3 },
    ],
  },
  'one tensor read by three entries, and twice by one (add(t, t))': {
    layers: [
      { units: 4, activation: 'tanh', name: 't' },
      { units: 4, activation: 'relu', name: 'u' },
      { type: 'add', inputs: ['t', 't', 'u'], name: 's' },
      { type: 'concat', inputs: ['s', 't'] },
      { units: 3 },
    ],
  },
  'residual CNN: conv → conv same + skip, concat of channels, pool, dense': {
    inputShape: [5, 4, 2],
    layers: [
      { type: 'conv2d', filters: 3, kernelSize: 3, padding: 'same', activation: 'tanh', name: 'c1' },
      { type: 'conv2d', filters: 3, kernelSize: 3, padding: 'same', name: 'c2' },
      { type: 'add', inputs: ['c1', 'c2'], name: 'r' },
      { type: 'concat', inputs: ['r', 'input'] },
      { type: 'maxpool2d', poolSize: 2 },
      { type: 'flatten' },
      { units: 3 },
    ],
  },
  'frozen middle layer (spec): gradients flow through it to the first': {
    layers: [
      { units: 4, activation: 'tanh' },
      { units: 4, activation: 'tanh', trainable: false },
      { units: 3 },
    ],
  },
  'frozen prefix with setTrainable (a base and a new head): the base does not move': {
    inputShape: [4, 4, 1],
    layers: [
      { type: 'conv2d', filters: 2, kernelSize: 3, activation: 'tanh', name: 'base' },
      { type: 'flatten' },
      { units: 4, activation: 'tanh', name: 'base2' },
      { units: 3 },
    ],
    freeze: ['base', 2],
  },
  'frozen conv inside a residual branch, layernorm frozen on the skip': {
    inputShape: [4, 3, 2],
    layers: [
      { type: 'conv2d', filters: 2, kernelSize: 3, padding: 'same', activation: 'tanh', name: 'a' },
      { type: 'conv2d', filters: 2, kernelSize: 3, padding: 'same', trainable: false, name: 'b' },
      { type: 'layernorm', inputs: ['a'], trainable: false, name: 'n' },
      { type: 'add', inputs: ['n', 'b'] },
      { type: 'flatten' },
      { units: 3 },
    ],
  },
};

const rows = 6;
const y = Float32Array.from({ length: rows * 3 }, (_, i) => Math.cos(0.7 * i));
const asNumbers = (weights: Record<string, Float32Array>) => Object.fromEntries(Object.entries(weights).map(([k, v]) => [k, Array.from(v)]));

/** Which layer a checkpoint name belongs to. */
const layerOf = (name: string) => Number(name.split('.')[0]);

describe.each(BUILDS)('graph models (%s build)', (build) => {
  it.each(Object.entries(GRAPH_CASES))('%s', async (_name, { inputShape = [5], layers, freeze = [] }) => {
    const spec: TrainerSpec = { inputShape, layers, loss: 'mse', optimizer: { name: 'sgd', learningRate: 1 }, seed: 9 };
    const x = Float32Array.from({ length: rows * inputShape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(1.3 * i + 0.4));
    const t = await createTrainer(spec, { worker: false, build });
    for (const layer of freeze) t.setTrainable(layer, false);
    const names = layers.map((l) => (l as { name?: string }).name);
    const frozen = new Set(layers.flatMap((l, i) => ((l as { trainable?: boolean }).trainable === false || freeze.includes(i) || freeze.includes(names[i]!) ? [i] : [])));
    const weights = t.getWeights();
    const w64 = asNumbers(weights);
    const got = await t.predict(x, { raw: true });
    referenceForward(spec, w64, x).flat().forEach((want, i) => expect(Math.abs(got[i]! - want), `output ${i}`).toBeLessThan(1e-5 + 1e-5 * Math.abs(want)));

    await t.fit(x, y, { epochs: 1, batchSize: rows, shuffle: false });
    const after = t.getWeights();
    await t.dispose();
    for (const [name, values] of Object.entries(weights)) {
      if (frozen.has(layerOf(name))) expect(after[name], `${name} is frozen`).toEqual(values);
    }
    const { worst, scale } = centralDifferences(
      w64, (name, i) => weights[name]![i]! - after[name]![i]!, () => referenceObjective(spec, w64, x, y), 1e-6,
      (name) => frozen.has(layerOf(name)),
    );
    expect(worst).toBeLessThan(2e-4 * scale + 1e-6);
    expect(scale).toBeGreaterThan(1e-3);
  });
});

describe('graph specs', () => {
  const base = { inputSize: 4, loss: 'mse', optimizer: 'sgd' } as const;
  it.each([
    [[{ units: 2, name: 'a' }, { units: 2, name: 'a' }], /layers\[1\]\.name must be unique: "a" is also layers\[0\]\.name/],
    [[{ units: 2, name: 'input' }], /layers\[0\]\.name must be a non-empty string other than 'input'/],
    [[{ units: 2, name: 7 }], /layers\[0\]\.name must be a non-empty string .*got 7/],
    [[{ units: 2, name: 'a' }, { units: 2, inputs: ['b'] }], /layers\[1\]\.inputs reads "b", which is not the name of an earlier entry \(names before it: "a"; 'input' is the model input\)/],
    [[{ units: 2, inputs: ['c'], name: 'c' }], /layers\[0\]\.inputs reads "c", which is not the name of an earlier entry \(names before it: none/],
    [[{ units: 2, inputs: [] }], /layers\[0\]\.inputs must be a non-empty array of names of earlier entries or 'input', got Array\(0\)/],
    [[{ units: 2, inputs: 'input' }], /layers\[0\]\.inputs must be a non-empty array .*got "input"/],
    [[{ units: 2, name: 'a' }, { units: 3, inputs: ['input'], name: 'b' }, { type: 'add', inputs: ['a', 'b'] }],
      /layers\[2\] \(add\) sums inputs of equal shapes: input "b" has shape \[3\], input "a" \[2\]/],
    [[{ units: 2, name: 'a' }, { type: 'add', inputs: ['a'] }], /layers\[1\] \(add\) joins at least two inputs/],
    [[{ units: 2, name: 'a' }, { type: 'concat', inputs: ['a', 'input'], axis: 0 }], /layers\[1\]\.axis must be -1 \(concat joins along the last axis\), got 0/],
    [[{ units: 2, name: 'a' }, { units: 2, inputs: ['a', 'input'] }], /layers\[1\] \(dense\) reads one input, got inputs \["a","input"\]: join them first with \{ type: 'add' \} or \{ type: 'concat' \}/],
    [[{ units: 2, name: 'a' }, { units: 2, inputs: ['input'] }], /layers\[0\] \(dense\) is not read by any later entry: only the last entry is the model's output/],
    [[{ units: 2, trainable: 'no' }], /layers\[0\]\.trainable must be a boolean, got "no"/],
  ])('%j is refused naming the entry and the input', async (layers, message) => {
    await expect(createTrainer({ ...base, layers: layers as LayerSpec[] }, { worker: false })).rejects.toThrow(message);
  });

  it('concat of images joins channels; shapes other than the last axis must agree', async () => {
    const spec = (second: LayerSpec): TrainerSpec => ({
      inputShape: [4, 4, 1], loss: 'mse', layers: [
        { type: 'conv2d', filters: 2, kernelSize: 3, padding: 'same', name: 'a' }, second,
        { type: 'concat', inputs: ['a', 'b'] }, { type: 'flatten' }, { units: 2 },
      ],
    });
    const t = await createTrainer(spec({ type: 'conv2d', filters: 3, kernelSize: 1, inputs: ['input'], name: 'b' }), { worker: false });
    expect(t.summary()).toMatch(/concat\s+4×4×5\s+0\s+a, b/);
    await t.dispose();
    await expect(createTrainer(spec({ type: 'conv2d', filters: 3, kernelSize: 3, inputs: ['input'], name: 'b' }), { worker: false }))
      .rejects.toThrow(/layers\[2\] \(concat\) joins along the last axis, the other axes equal: input "b" has shape \[2, 2, 3\], input "a" \[4, 4, 2\]/);
  });
});

describe('frozen layers', () => {
  const spec: TrainerSpec = {
    inputSize: 4, loss: 'mse', optimizer: { name: 'adam', learningRate: 0.01 }, seed: 3,
    layers: [{ units: 5, activation: 'tanh', name: 'base' }, { units: 5, activation: 'tanh' }, { units: 2, name: 'head' }],
  };
  const x = Float32Array.from({ length: 40 }, (_, i) => Math.sin(i));
  const yy = Float32Array.from({ length: 20 }, (_, i) => Math.cos(i));

  it('setTrainable checks its arguments and refuses during fit; summary counts trainable and frozen parameters', async () => {
    const t = await createTrainer(spec, { worker: false });
    expect(() => t.setTrainable('nope', false)).toThrow(/layer must be a layer index in \[0, 3\) or a layer name \("base", "head"\), got "nope"/);
    expect(() => t.setTrainable(3, false)).toThrow(/layer must be an integer in \[0, 3\)|layer must be .*3\)/);
    expect(() => t.setTrainable(0, 'no' as unknown as boolean)).toThrow(/trainable must be a boolean, got "no"/);
    t.setTrainable('base', false);
    expect(t.summary()).toMatch(/25 \(frozen\)/);
    expect(t.summary()).toMatch(/trainable parameters: 42, frozen: 25/);
    const running = t.fit(x, yy, { epochs: 1 });
    expect(() => t.setTrainable(0, true)).toThrow(/setTrainable is not allowed while fit is running/);
    await running;
    await t.dispose();
  });

  it('a checkpoint records frozen layers: createTrainer(bytes) resumes them, load() adopts them, and the run continues bit-identically', async () => {
    const a = await createTrainer(spec, { worker: false });
    await a.fit(x, yy, { epochs: 2, batchSize: 4 });
    a.setTrainable(0, false);
    await a.fit(x, yy, { epochs: 1, batchSize: 4 });
    const bytes = await a.save();
    const b = await createTrainer(bytes, { worker: false });
    expect(b.summary()).toMatch(/frozen: 25/);
    const c = await createTrainer(spec, { worker: false });
    await c.load(bytes); // c's layer 0 was trainable: it takes the file's frozen state
    expect(c.summary()).toMatch(/frozen: 25/);
    // unfreeze everywhere, train on: same weights in all three
    for (const t of [a, b, c]) {
      t.setTrainable('base', true);
      await t.fit(x, yy, { epochs: 2, batchSize: 4 });
    }
    const [wa, wb, wc] = [a.getWeights(), b.getWeights(), c.getWeights()];
    expect(wb).toEqual(wa);
    expect(wc).toEqual(wa);
    for (const t of [a, b, c]) await t.dispose();
  });

  it('a frozen layer keeps no optimizer slots in the checkpoint; unfreezing gives it fresh (zero) slots', async () => {
    const t = await createTrainer({ ...spec, layers: spec.layers.map((l, i) => (i === 0 ? { ...l, trainable: false } : l)) }, { worker: false });
    await t.fit(x, yy, { epochs: 1, batchSize: 4 });
    const header = (bytes: Uint8Array) => {
      const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
      return Object.keys(JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))));
    };
    const names = header(await t.save());
    expect(names.filter((n) => n.startsWith('optimizer.exp_avg.')).sort()).toEqual(
      ['optimizer.exp_avg.1.bias', 'optimizer.exp_avg.1.weight', 'optimizer.exp_avg.2.bias', 'optimizer.exp_avg.2.weight'],
    );
    t.setTrainable(0, true);
    expect(header(await t.save())).toContain('optimizer.exp_avg.0.weight');
    await t.dispose();
  });
});
