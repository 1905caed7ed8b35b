// importTfjsModel on hostile or broken model.json: unknown layers, options descent cannot honour,
// wrong shapes, weight bytes short or long, huge declared sizes. Each is a clear error naming the
// layer (its class, index and name) or the weight spec, and nothing is allocated beyond the input's
// size: the declared sizes are checked against the bytes before any value is read.
import { describe, expect, it } from 'vitest';
import { importTfjsModel } from '../src/index.js';

type Layer = { class_name: string; config: Record<string, unknown> };
const dense = (name: string, units: number, extra: Record<string, unknown> = {}): Layer =>
  ({ class_name: 'Dense', config: { name, units, activation: 'linear', use_bias: true, ...extra } });
const first = (layer: Layer, shape: (number | null)[]): Layer => ({ ...layer, config: { ...layer.config, batch_input_shape: [null, ...shape] } });
const f32 = (name: string, shape: number[]) => ({ name, shape, dtype: 'float32' });

/** A model.json object and matching float32 weight bytes for `layers` and `specs`. */
function model(layers: Layer[], specs: { name: string; shape: number[]; dtype: string }[], extraBytes = 0) {
  const floats = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
  return {
    json: { modelTopology: { class_name: 'Sequential', config: { name: 's', layers } }, weightsManifest: [{ paths: ['w.bin'], weights: specs }] },
    bytes: new ArrayBuffer(floats < 1e7 ? 4 * floats + extraBytes : 0),
  };
}

const twoDense = () => model(
  [first(dense('d1', 3), [4]), dense('d2', 2)],
  [f32('d1/kernel', [4, 3]), f32('d1/bias', [3]), f32('d2/kernel', [3, 2]), f32('d2/bias', [2])],
);

describe('importTfjsModel refuses, naming what and why', () => {
  it('imports the well-formed base case', async () => {
    const { json, bytes } = twoDense();
    const { spec, weights } = await importTfjsModel(json, bytes);
    expect(spec).toMatchObject({ inputSize: 4, layers: [{ units: 3 }, { units: 2 }], loss: 'mse' });
    expect(weights['0.weight']!.length).toBe(12);
  });

  it.each([
    ['an unknown layer class', (m: ReturnType<typeof twoDense>) => { m.json.modelTopology.config.layers.splice(1, 0, { class_name: 'SimpleRNN', config: { name: 'rnn_1', units: 4 } }); },
      /model\.json layers\[1\] \(SimpleRNN "rnn_1"\) is not supported: descent imports InputLayer, Dense, .*LayerNormalization, LSTM, GRU$/],
    ['a functional model without its wiring', (m: ReturnType<typeof twoDense>) => { (m.json.modelTopology as { class_name: string }).class_name = 'Model'; },
      /model\.json layers\[0\] \(Dense "d1"\) must have inbound_nodes \(a functional model's wiring\), got undefined/],
    ['a model class descent lacks', (m: ReturnType<typeof twoDense>) => { (m.json.modelTopology as { class_name: string }).class_name = 'Subclassed'; },
      /only Sequential and functional \(Model\) models import, got class_name "Subclassed"/],
    ['an activation descent lacks', (m: ReturnType<typeof twoDense>) => { m.json.modelTopology.config.layers[1]!.config.activation = 'selu'; },
      /model\.json layers\[1\] \(Dense "d2"\) activation must be one of 'linear', 'relu', .* to import; got "selu"/],
    ['a misspelt activation', (m: ReturnType<typeof twoDense>) => { m.json.modelTopology.config.layers[1]!.config.activation = 'Softmax'; },
      /activation must be one of 'linear', 'relu', .* to import; got "Softmax"; did you mean 'softmax'\?$/],
    ['a kernel of the wrong shape', (m: ReturnType<typeof twoDense>) => { m.json.weightsManifest[0]!.weights[2] = f32('d2/kernel', [2, 3]); },
      /model\.json layers\[1\] \(Dense "d2"\) weight "d2\/kernel" must have shape \[3,2\], got \[2,3\]/],
    ['a missing weight', (m: ReturnType<typeof twoDense>) => { m.json.weightsManifest[0]!.weights[3] = f32('other/bias', [2]); },
      /model\.json layers\[1\] \(Dense "d2"\) has no weight "d2\/bias" in the weight specs/],
    ['no input shape', (m: ReturnType<typeof twoDense>) => { delete m.json.modelTopology.config.layers[0]!.config.batch_input_shape; },
      /model\.json layers\[0\] \(Dense "d1"\) must give the input shape \(batch_input_shape\)/],
    ['a variable input length', (m: ReturnType<typeof twoDense>) => { m.json.modelTopology.config.layers[0]!.config.batch_input_shape = [null, null]; },
      /batch_input_shape must be \[null, \.\.\.positive sizes\] .*got \[null,null\]/],
    ['a units count descent refuses', (m: ReturnType<typeof twoDense>) => { m.json.modelTopology.config.layers[1]!.config.units = -2; },
      /model\.json layers\[1\] \(Dense "d2"\) maps to a descent layer it cannot be: layers\[1\]\.units must be a positive integer, got -2/],
    ['an unknown weight dtype', (m: ReturnType<typeof twoDense>) => { m.json.weightsManifest[0]!.weights[0]!.dtype = 'complex64'; },
      /weightSpecs\[0\]\.dtype must be one of 'float32', 'int32', 'uint8', 'uint16', 'float16'; got "complex64"$/],
    ['a misspelt weight dtype', (m: ReturnType<typeof twoDense>) => { m.json.weightsManifest[0]!.weights[0]!.dtype = 'float23'; },
      /weightSpecs\[0\]\.dtype must be one of 'float32', .*; got "float23"; did you mean 'float32'\?$/],
    ['a negative dimension', (m: ReturnType<typeof twoDense>) => { m.json.weightsManifest[0]!.weights[1]!.shape = [-3]; },
      /weightSpecs\[1\]\.shape must be an array of non-negative integers, got \[-3\]/],
  ])('%s', async (_what, mutate, message) => {
    const m = twoDense();
    mutate(m);
    await expect(importTfjsModel(m.json, m.bytes)).rejects.toThrow(message);
  });

  it('weight bytes short or long', async () => {
    const { json } = twoDense();
    await expect(importTfjsModel(json, new ArrayBuffer(4 * 23 - 4))).rejects.toThrow(/weightSpecs\[3\]\.shape \[2\] declares more values than the weight data holds \(1\)/);
    await expect(importTfjsModel(json, new ArrayBuffer(4 * 23 + 1))).rejects.toThrow(/weight data must be exactly the 92 bytes its 4 weight specs declare, got 93 bytes/);
    await expect(importTfjsModel(json, 'bytes')).rejects.toThrow(/weightData must be an ArrayBuffer, a typed array or an array of them/);
  });

  it('huge declared sizes fail on the bytes, before anything the size of the declaration exists', async () => {
    // a 2^40-value kernel declared over 100 bytes, and a layer of 10^12 units
    const huge = model([first(dense('d1', 2 ** 20), [2 ** 20])], [f32('d1/kernel', [2 ** 20, 2 ** 20]), f32('d1/bias', [2 ** 20])]);
    await expect(importTfjsModel(huge.json, new ArrayBuffer(100))).rejects.toThrow(/weightSpecs\[0\]\.shape \[1048576,1048576\] declares more values than the weight data holds \(25\)/);
    const wide = model([first(dense('d1', 1e12), [4])], []);
    await expect(importTfjsModel(wide.json, new ArrayBuffer(0))).rejects.toThrow(/layers need 5000000000000 parameters; one WASM block holds at most/);
    const before = process.memoryUsage().arrayBuffers;
    await expect(importTfjsModel(huge.json, new ArrayBuffer(100))).rejects.toThrow();
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1 << 20);
  });

  it('options descent cannot honour name the option', async () => {
    const conv = (extra: Record<string, unknown>) => model(
      [first({ class_name: 'Conv2D', config: { name: 'c', filters: 2, kernel_size: [3, 3], strides: [1, 1], padding: 'valid', ...extra } }, [8, 8, 1])], [],
    );
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ data_format: 'channels_first' }, /layers\[0\] \(Conv2D "c"\) data_format must be 'channels_last' \(descent's layout\), got "channels_first"/],
      [{ padding: 'Same' }, /layers\[0\] \(Conv2D "c"\) padding must be one of 'valid', 'same' to import; got "Same"; did you mean 'same'\?$/],
      [{ padding: 'causal' }, /layers\[0\] \(Conv2D "c"\) padding must be one of 'valid', 'same' to import; got "causal"$/],
      [{ strides: [2, 2], padding: 'same' }, /layers\[0\] \(Conv2D "c"\) padding 'same' with strides \[2,2\] pads one side more than the other here \(input \[8,8\]\)/],
      [{ groups: 2 }, /groups must be 1/],
    ];
    for (const [extra, message] of cases) {
      const m = conv(extra);
      await expect(importTfjsModel(m.json, m.bytes)).rejects.toThrow(message);
    }
    const embedding = model([first({ class_name: 'Embedding', config: { name: 'e', input_dim: 5, output_dim: 2, mask_zero: true } }, [3])], [f32('e/embeddings', [5, 2])]);
    await expect(importTfjsModel(embedding.json, embedding.bytes)).rejects.toThrow(/layers\[0\] \(Embedding "e"\) mask_zero must be false to import/);
    const leaky = model([first(dense('d', 2), [2]), { class_name: 'LeakyReLU', config: { name: 'l', alpha: 0.3 } }], [f32('d/kernel', [2, 2]), f32('d/bias', [2])]);
    await expect(importTfjsModel(leaky.json, leaky.bytes)).rejects.toThrow(/layers\[1\] \(LeakyReLU "l"\) alpha must be 0\.01 \(descent's leaky_relu slope\), got 0\.3/);
    const avg = model([first({ class_name: 'AveragePooling2D', config: { name: 'p', pool_size: [3, 3], strides: [1, 1], padding: 'same' } }, [5, 5, 1]), { class_name: 'Flatten', config: { name: 'f' } }, dense('d', 1)], [f32('d/kernel', [25, 1]), f32('d/bias', [1])]);
    await expect(importTfjsModel(avg.json, avg.bytes)).rejects.toThrow(/layers\[0\] \(AveragePooling2D "p"\) padding 'same' pads the input \[5,5\] here, and tfjs averages without the padding/);
  });

  it('recurrent options descent cannot honour name the option', async () => {
    const lstm = (extra: Record<string, unknown>, className = 'LSTM', gates = 4) => model(
      [first({ class_name: className, config: { name: 'r', units: 2, activation: 'tanh', recurrent_activation: 'sigmoid', reset_after: true, ...extra } }, [3, 2])],
      [f32('r/kernel', [2, gates * 2]), f32('r/recurrent_kernel', [2, gates * 2]), f32('r/bias', className === 'GRU' ? [2, 6] : [8])],
    );
    const cases: [Record<string, unknown>, RegExp, string?][] = [
      [{ activation: 'relu' }, /layers\[0\] \(LSTM "r"\) activation must be 'tanh' to import \(torch's LSTM cell\), got "relu"/],
      [{ recurrent_activation: { class_name: 'hard_sigmoid', config: {} } }, /layers\[0\] \(LSTM "r"\) recurrent_activation must be 'sigmoid' to import \(torch's LSTM gates\), got "hard_sigmoid"; tfjs-layers' default/],
      [{ go_backwards: true }, /layers\[0\] \(LSTM "r"\) go_backwards must be false to import \(descent reads the steps forwards\), got true/],
      [{ stateful: true }, /layers\[0\] \(LSTM "r"\) stateful must be false to import \(descent starts every row from a zero state\), got true/],
      [{ return_state: true }, /return_state must be false to import/],
      [{ time_major: true }, /time_major must be false to import/],
      [{ reset_after: false }, /layers\[0\] \(GRU "r"\) reset_after must be true to import .* got false; tfjs-layers builds only reset_after false GRUs/, 'GRU'],
      [{ reset_after: undefined }, /layers\[0\] \(GRU "r"\) reset_after must be true to import .* got undefined/, 'GRU'],
      [{ units: 3 }, /layers\[0\] \(LSTM "r"\) weight "r\/kernel" must have shape \[2,12\], got \[2,8\]/],
    ];
    for (const [extra, message, className] of cases) {
      const m = lstm(extra, className, className === 'GRU' ? 3 : 4);
      await expect(importTfjsModel(m.json, m.bytes)).rejects.toThrow(message);
    }
    // a GRU bias of one row (reset_after false's shape) under reset_after true: the shape check names it
    const gru = lstm({}, 'GRU', 3);
    (gru.json.weightsManifest[0]!.weights[2] as { shape: number[] }).shape = [6, 2];
    await expect(importTfjsModel(gru.json, gru.bytes)).rejects.toThrow(/layers\[0\] \(GRU "r"\) weight "r\/bias" must have shape \[2,6\], got \[6,2\]/);
    const flat = model([first({ class_name: 'LSTM', config: { name: 'r', units: 2 } }, [4])], []);
    await expect(importTfjsModel(flat.json, flat.bytes)).rejects.toThrow(/layers\[0\] \(LSTM "r"\) maps to a descent layer it cannot be: layers\[0\] \(lstm\) needs rows of shape \[T, C\]/);
  });

  it('malformed model.json', async () => {
    await expect(importTfjsModel('{ not json', new ArrayBuffer(0))).rejects.toThrow(/modelJson is not valid JSON/);
    await expect(importTfjsModel({ format: 'layers-model' }, new ArrayBuffer(0))).rejects.toThrow(/modelJson must have modelTopology/);
    await expect(importTfjsModel({ modelTopology: {} }, new ArrayBuffer(0))).rejects.toThrow(/modelJson must have weightsManifest or weightSpecs/);
    await expect(importTfjsModel(null, new ArrayBuffer(0))).rejects.toThrow(/modelJson must be an object, got null/);
    await expect(importTfjsModel('indexeddb://m', undefined)).rejects.toThrow(/indexeddb:\/\/m: IndexedDB is not available here/);
    await expect(importTfjsModel('localstorage://m', undefined)).rejects.toThrow(/localstorage:\/\/m: localStorage is not available here/);
  });

  it('unused weights (a model.json whose weights belong to other layers) are an error; optimizer weights are skipped', async () => {
    const m = twoDense();
    m.json.weightsManifest[0]!.weights.push(f32('stray/kernel', [1]));
    await expect(importTfjsModel(m.json, new ArrayBuffer(4 * 24))).rejects.toThrow(/weight specs name weights no imported layer has: "stray\/kernel"/);
    const o = twoDense();
    o.json.weightsManifest[0]!.weights.push({ ...f32('iter', [1]), group: 'optimizer' } as never);
    await expect(importTfjsModel(o.json, new ArrayBuffer(4 * 24))).resolves.toBeTruthy();
  });
});
