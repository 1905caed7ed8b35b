// One layer's own forward and backward on WASM memory, outside any trainer: what the layer-level
// golden and gradient tests compare. Every buffer starts as NaN, so a value read before it is
// written shows up in the results.
import { loadKernels } from '../../src/index.js';
import { layerFromSpec } from '../../src/model/layers/index.js';
import type { WasmArray } from '../../src/wasm/heap.js';
import type { Build } from './builds.js';

export interface LayerRun {
  /** The layer spec (as in spec.layers) and the shape of one input row. */
  layer: Record<string, unknown>;
  inputShape: readonly number[];
  rows: number;
  /** The layer's tensors by their names (without the `{index}.` prefix). */
  weights: Record<string, ArrayLike<number>>;
  x: ArrayLike<number>;
  /** The upstream gradient of the output: the results are the gradients of Σ g·output. */
  g: ArrayLike<number>;
  /** false: a frozen layer (its tensors' gradients are not written). */
  trainable?: boolean;
}

/** `output`, `dx` and `d{tensor}` per tensor, as float32 values read back. */
export async function runLayer(run: LayerRun, build: Build): Promise<Record<string, number[]>> {
  const k = await loadKernels({ build });
  const layer = layerFromSpec(run.layer, 'layers[0]', 0, run.inputShape);
  const arrays: WasmArray[] = [];
  const take = (data: ArrayLike<number> | number) => {
    const array = k.alloc(Math.max(1, typeof data === 'number' ? data : data.length));
    arrays.push(array);
    array.array.fill(Number.NaN);
    if (typeof data !== 'number') array.array.set(Array.from(data));
    return array;
  };
  try {
    const x = take(run.x);
    const params = layer.tensors.map((t) => take(run.weights[t.name]!));
    const grads = layer.tensors.map((t) => take(t.shape.reduce((a, b) => a * b, 1)));
    const out = take(run.rows * layer.outputSize);
    const dOut = take(run.g);
    const dx = take(run.rows * layer.inputSize);
    const buffers = Object.fromEntries(Object.entries(layer.buffers).map(([name, perRow]) => [name, take(run.rows * perRow).ptr]));
    const scratch = take(layer.gemmScratchFloats(k.raw, run.rows));
    const args = {
      x: x.ptr, rows: run.rows, out: out.ptr, buffers, params: params.map((p) => p.ptr), states: [], gemmScratch: scratch.ptr, training: null,
      dOut: dOut.ptr, dx: dx.ptr, grads: grads.map((p) => p.ptr), inputs: [x.ptr], dxs: [dx.ptr], trainable: run.trainable ?? true,
    };
    layer.forward(k.raw, args);
    const result: Record<string, number[]> = { output: Array.from(out.array) };
    layer.backward(k.raw, args);
    result.dx = Array.from(dx.array);
    layer.tensors.forEach((t, i) => { result[`d${t.name}`] = Array.from(grads[i]!.array); });
    return result;
  } finally {
    for (const array of arrays) array.free();
  }
}
