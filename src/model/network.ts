// A dense network over flat buffers: all parameters in one f32 region (per dense layer i: `{i}.weight`
// [out, in] as torch.nn.Linear, then `{i}.bias` [out]), gradients in a second of the same layout.
// Forward and backward run layer by layer as WASM kernels; activations live in per-layer buffers
// sized for the largest batch seen so far.

import type { Segment } from '../optim/transform.js';
import type { KernelExports } from '../wasm/exports.js';
import type { Heap, WasmArray } from '../wasm/heap.js';
import { Random } from './random.js';
import type { Activation, DenseLayer, Layer, Model } from './spec.js';

interface DenseSlots {
  weight: number; // offset in floats
  bias: number; // offset in floats, −1 without bias
}

interface LayerBuffers {
  /** Pre-activation (dense) — the same array as `out` for linear layers. */
  z: WasmArray | null;
  /** Output of the layer. */
  out: WasmArray;
  /** Gradient w.r.t. the output, turned into the gradient w.r.t. z in place. */
  dOut: WasmArray;
  /** Dropout's scaled keep-mask. */
  mask: WasmArray | null;
}

/** Which tensor an activation's backward kernel reads: its output or its input. */
const READS_INPUT: Partial<Record<Activation, boolean>> = { leaky_relu: true, gelu: true };

export class Network {
  readonly heap: Heap;
  readonly model: Model;
  readonly params: WasmArray;
  readonly grads: WasmArray;
  readonly segments: Segment[] = [];
  readonly #slots = new Map<number, DenseSlots>();
  #capacity = 0;
  #buffers: LayerBuffers[] = [];
  #scratch: WasmArray | null = null;

  constructor(heap: Heap, model: Model) {
    this.heap = heap;
    this.model = model;
    let size = 0;
    for (const layer of model.layers) {
      if (layer.kind !== 'dense') continue;
      const weight = size;
      size += layer.units * layer.inputs;
      this.segments.push({ name: `${layer.index}.weight`, offset: weight, length: layer.units * layer.inputs, shape: [layer.units, layer.inputs] });
      let bias = -1;
      if (layer.useBias) {
        bias = size;
        size += layer.units;
        this.segments.push({ name: `${layer.index}.bias`, offset: bias, length: layer.units, shape: [layer.units] });
      }
      this.#slots.set(layer.index, { weight, bias });
    }
    this.params = heap.alloc(size, 'f32', 'parameter count');
    this.grads = heap.alloc(size, 'f32', 'parameter count');
    this.grads.array.fill(0);
    this.initialize();
  }

  /** Number of parameters. */
  get size(): number {
    return this.params.length;
  }

  /** Seeded initial weights (Keras initialisers) and zero biases. */
  initialize(): void {
    const p = this.params.array as Float32Array;
    p.fill(0);
    for (const layer of this.model.layers) {
      if (layer.kind !== 'dense') continue;
      const { weight } = this.#slots.get(layer.index)!;
      const random = new Random(this.model.seed, 0x1a1e, layer.index);
      const fanIn = layer.inputs;
      const fanOut = layer.units;
      const count = fanIn * fanOut;
      for (let i = 0; i < count; i++) {
        let w: number;
        if (layer.init === 'glorotUniform') {
          const limit = Math.sqrt(6 / (fanIn + fanOut));
          w = (2 * random.next() - 1) * limit;
        } else {
          // Keras: truncated normal with std sqrt(scale / fanIn) / 0.8796 (the truncation's std)
          const scale = layer.init === 'heNormal' ? 2 : 1;
          w = random.truncatedNormal(Math.sqrt(scale / fanIn) / 0.87962566103423978);
        }
        p[weight + i] = w;
      }
    }
  }

  /** Offsets of a dense layer's weight and bias in the flat buffers. */
  slotsOf(index: number): DenseSlots {
    return this.#slots.get(index)!;
  }

  /** Makes sure the activation buffers hold `rows` rows. */
  ensureCapacity(rows: number): void {
    if (rows <= this.#capacity) return;
    this.#freeBuffers();
    const capacity = Math.max(rows, 2 * this.#capacity);
    let scratchFloats = 16;
    let width = this.model.inputSize;
    const k = this.heap.exports;
    for (const layer of this.model.layers) {
      const units = layer.units;
      const out = this.heap.alloc(capacity * units, 'f32', 'batch buffer');
      let z: WasmArray | null = null;
      let mask: WasmArray | null = null;
      if (layer.kind === 'dense') {
        z = layer.activation === 'linear' ? out : this.heap.alloc(capacity * units, 'f32', 'batch buffer');
        scratchFloats = Math.max(
          scratchFloats, k.gemm_scratch_floats(width, units), k.gemm_scratch_floats(capacity, width), k.gemm_scratch_floats(units, width),
        );
      } else {
        mask = this.heap.alloc(capacity * units, 'f32', 'batch buffer');
      }
      this.#buffers.push({ z, out, dOut: this.heap.alloc(capacity * units, 'f32', 'batch buffer'), mask });
      width = units;
    }
    this.#scratch = this.heap.alloc(scratchFloats, 'f32', 'gemm scratch');
    this.#capacity = capacity;
  }

  #freeBuffers(): void {
    for (const b of this.#buffers) {
      if (b.z && b.z !== b.out) b.z.free();
      b.out.free();
      b.dOut.free();
      b.mask?.free();
    }
    this.#buffers = [];
    this.#scratch?.free();
    this.#scratch = null;
    this.#capacity = 0;
  }

  /** The output buffer of the last layer (rows × outputs) after `forward`. */
  get output(): WasmArray {
    return this.#buffers[this.#buffers.length - 1]!.out;
  }

  /** The gradient buffer for the last layer's output, to be filled by the loss before `backward`. */
  get outputGradient(): WasmArray {
    return this.#buffers[this.#buffers.length - 1]!.dOut;
  }

  /**
   * Runs the layers on `rows` rows at `input` (a pointer to rows × inputSize floats). With
   * `dropoutStep` ≥ 0 dropout is active, its masks keyed by (seed, step, layer) and by the row's
   * position in the whole batch (`firstRow`: where these rows start, for a shard of a batch).
   */
  forward(input: number, rows: number, dropoutStep = -1, firstRow = 0): void {
    this.ensureCapacity(rows);
    const k = this.heap.exports;
    let x = input;
    let width = this.model.inputSize;
    this.model.layers.forEach((layer, i) => {
      const b = this.#buffers[i]!;
      if (layer.kind === 'dense') {
        const { weight, bias } = this.#slots.get(layer.index)!;
        const p = this.params.ptr;
        k.gemm_nt_f32(x, p + weight * 4, b.z!.ptr, rows, width, layer.units, bias >= 0 ? p + bias * 4 : 0, false, this.#scratch!.ptr);
        activationForward(k, layer.activation, b.z!.ptr, b.out.ptr, rows, layer.units);
      } else if (dropoutStep >= 0 && layer.rate > 0) {
        const key = k.dropout_key(this.model.seed, dropoutStep, layer.index);
        k.dropout_forward_f32(x, b.out.ptr, b.mask!.ptr, rows * layer.units, layer.rate, key, firstRow * layer.units);
      } else {
        // identity at inference (and rate 0): copy through
        new Uint8Array(k.memory.buffer).copyWithin(b.out.ptr, x, x + rows * layer.units * 4);
      }
      x = b.out.ptr;
      width = layer.units;
    });
  }

  /**
   * Gradients of the loss w.r.t. every parameter into `grads` (overwritten), from the output
   * gradient already in `outputGradient`; `input` and `rows` as given to the last `forward`.
   * Adds the layers' L1/L2 penalties to the gradient and returns their value.
   */
  backward(input: number, rows: number): number {
    const k = this.heap.exports;
    const layers = this.model.layers;
    const p = this.params.ptr;
    const g = this.grads.ptr;
    let penalty = 0;
    for (let i = layers.length - 1; i >= 0; i--) {
      const layer: Layer = layers[i]!;
      const b = this.#buffers[i]!;
      const x = i > 0 ? this.#buffers[i - 1]!.out.ptr : input;
      const dx = i > 0 ? this.#buffers[i - 1]!.dOut.ptr : 0;
      if (layer.kind === 'dropout') {
        // forward wrote a mask only for rate > 0; at rate 0 the layer is the identity both ways
        if (dx && layer.rate > 0) k.multiply_f32(b.dOut.ptr, b.mask!.ptr, dx, rows * layer.units);
        else if (dx) new Uint8Array(k.memory.buffer).copyWithin(dx, b.dOut.ptr, b.dOut.ptr + rows * layer.units * 4);
        continue;
      }
      const dense: DenseLayer = layer;
      activationBackward(k, dense.activation, b.dOut.ptr, b.z!.ptr, b.out.ptr, rows, dense.units);
      const { weight, bias } = this.#slots.get(dense.index)!;
      // dW[out, in] = dZᵀ · X ; db = Σ_rows dZ ; dX = dZ · W
      k.gemm_tn_f32(b.dOut.ptr, x, g + weight * 4, dense.units, rows, dense.inputs, 0, false, this.#scratch!.ptr);
      if (bias >= 0) k.column_sums_f32(b.dOut.ptr, rows, dense.units, g + bias * 4, false);
      if (dx) k.gemm_nn_f32(b.dOut.ptr, p + weight * 4, dx, rows, dense.units, dense.inputs, 0, false, this.#scratch!.ptr);
      if (dense.l1 > 0 || dense.l2 > 0) {
        penalty += k.weight_penalty_f32(p + weight * 4, g + weight * 4, dense.units * dense.inputs, dense.l1, dense.l2);
      }
    }
    return penalty;
  }

  /** The L1/L2 penalty of the current weights, without touching gradients (for evaluation). */
  penalty(): number {
    let total = 0;
    const p = this.params.array;
    for (const layer of this.model.layers) {
      if (layer.kind !== 'dense' || (layer.l1 === 0 && layer.l2 === 0)) continue;
      const { weight } = this.#slots.get(layer.index)!;
      let abs = 0;
      let sq = 0;
      for (let i = weight; i < weight + layer.units * layer.inputs; i++) {
        abs += Math.abs(p[i]!);
        sq += p[i]! * p[i]!;
      }
      total += layer.l1 * abs + layer.l2 * sq;
    }
    return total;
  }

  /** Frees every buffer of this network. */
  free(): void {
    this.#freeBuffers();
    this.params.free();
    this.grads.free();
  }
}

function activationForward(k: KernelExports, activation: Activation, z: number, y: number, rows: number, cols: number): void {
  const n = rows * cols;
  switch (activation) {
    case 'linear': return;
    case 'relu': return k.relu_forward_f32(z, y, n);
    case 'leaky_relu': return k.leaky_relu_forward_f32(z, y, n);
    case 'sigmoid': return k.sigmoid_forward_f32(z, y, n);
    case 'tanh': return k.tanh_forward_f32(z, y, n);
    case 'gelu': return k.gelu_forward_f32(z, y, n);
    case 'softmax': return k.softmax_forward_f32(z, y, rows, cols, false);
    case 'log_softmax': return k.softmax_forward_f32(z, y, rows, cols, true);
  }
}

// dy → dz in place (the kernels allow dz = dy).
function activationBackward(k: KernelExports, activation: Activation, dy: number, z: number, y: number, rows: number, cols: number): void {
  const n = rows * cols;
  const source = READS_INPUT[activation] ? z : y;
  switch (activation) {
    case 'linear': return;
    case 'relu': return k.relu_backward_f32(dy, source, dy, n);
    case 'leaky_relu': return k.leaky_relu_backward_f32(dy, source, dy, n);
    case 'sigmoid': return k.sigmoid_backward_f32(dy, source, dy, n);
    case 'tanh': return k.tanh_backward_f32(dy, source, dy, n);
    case 'gelu': return k.gelu_backward_f32(dy, source, dy, n);
    case 'softmax': return k.softmax_backward_f32(dy, source, dy, rows, cols, false);
    case 'log_softmax': return k.softmax_backward_f32(dy, source, dy, rows, cols, true);
  }
}
