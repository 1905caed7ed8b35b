// A network over flat buffers: every layer's parameter tensors in one f32 region (in layer order,
// each `{index}.{name}` in torch's layout), gradients in a second of the same layout. Network only
// composes: each layer module runs its own forward and backward kernels; activations and the
// buffers layers keep between the passes are sized for the largest batch seen so far.

import type { Segment } from '../optim/transform.js';
import type { Heap, WasmArray } from '../wasm/heap.js';
import type { BackwardArgs, TrainingStep } from './layers/layer.js';
import { fillInitial } from './init.js';
import { Random } from './random.js';
import type { Model } from './spec.js';

/** A state tensor's place in the flat state buffer, and how checkpoints store it. */
export interface StateSegment extends Segment {
  dtype: 'f32' | 'i64';
}

interface LayerBuffers {
  out: WasmArray;
  /** Gradient w.r.t. the output (the layer may overwrite it in backward). */
  dOut: WasmArray;
  /** The layer's own buffers, by the names it declared. */
  own: Record<string, WasmArray>;
  /** The arguments of the layer's passes, made once per capacity: a pass only sets x, rows and training. */
  args: BackwardArgs;
}

export class Network {
  readonly heap: Heap;
  readonly model: Model;
  readonly params: WasmArray;
  readonly grads: WasmArray;
  /** One segment per parameter tensor, named as in checkpoints. */
  readonly segments: Segment[] = [];
  /** Tensors layers keep but do not train (batchnorm's running statistics), in a flat buffer of their own. */
  readonly states: WasmArray;
  readonly stateSegments: StateSegment[] = [];
  readonly #stateOffsets: number[][];
  /** Per layer: the offsets and lengths (in floats) of its tensors in the flat buffers. */
  readonly #offsets: number[][];
  readonly #lengths: number[][];
  #capacity = 0;
  #buffers: LayerBuffers[] = [];
  #scratch: WasmArray | null = null;
  /** The training step of the current forward pass (reused: the hot path allocates nothing). */
  readonly #training: TrainingStep;

  constructor(heap: Heap, model: Model) {
    this.heap = heap;
    this.model = model;
    let size = 0;
    this.#lengths = model.layers.map((layer) => layer.tensors.map((tensor) => tensor.shape.reduce((a, b) => a * b, 1)));
    this.#offsets = model.layers.map((layer) => layer.tensors.map((tensor) => {
      const offset = size;
      const length = tensor.shape.reduce((a, b) => a * b, 1);
      this.segments.push({ name: `${layer.index}.${tensor.name}`, offset, length, shape: [...tensor.shape] });
      size += length;
      return offset;
    }));
    let stateSize = 0;
    this.#stateOffsets = model.layers.map((layer) => (layer.states ?? []).map((state) => {
      const offset = stateSize;
      const length = state.shape.reduce((a, b) => a * b, 1);
      this.stateSegments.push({ name: `${layer.index}.${state.name}`, offset, length, shape: [...state.shape], dtype: state.dtype });
      stateSize += length;
      return offset;
    }));
    this.params = heap.alloc(size, 'f32', 'parameter count');
    this.grads = heap.alloc(size, 'f32', 'parameter count');
    this.states = heap.alloc(Math.max(stateSize, 1), 'f32', 'state count');
    this.grads.array.fill(0);
    this.#training = { seed: model.seed, step: 0, firstRow: 0 };
    this.initialize();
  }

  /** Number of parameters. */
  get size(): number {
    return this.params.length;
  }

  /** Seeded initial weights (init.ts, one random stream per layer); states at their initial values. */
  initialize(): void {
    const states = this.states.array as Float32Array;
    this.model.layers.forEach((layer, l) => (layer.states ?? []).forEach((state, t) => {
      const offset = this.#stateOffsets[l]![t]!;
      states.fill(state.initial, offset, offset + state.shape.reduce((a, b) => a * b, 1));
    }));
    const p = this.params.array as Float32Array;
    this.model.layers.forEach((layer, l) => {
      const random = new Random(this.model.seed, 0x1a1e, layer.index);
      layer.tensors.forEach((tensor, t) => {
        const offset = this.#offsets[l]![t]!;
        fillInitial(p.subarray(offset, offset + this.#lengths[l]![t]!), tensor, random);
      });
    });
  }

  /** Makes sure the layers' buffers hold `rows` rows. */
  ensureCapacity(rows: number): void {
    if (rows <= this.#capacity) return;
    this.#freeBuffers();
    const capacity = Math.max(rows, 2 * this.#capacity);
    const k = this.heap.exports;
    const scratchFloats = Math.max(16, ...this.model.layers.map((layer) => layer.gemmScratchFloats(k, capacity)));
    this.#scratch = this.heap.alloc(scratchFloats, 'f32', 'gemm scratch');
    this.model.layers.forEach((layer, l) => {
      const own: Record<string, WasmArray> = {};
      const pointers: Record<string, number> = {};
      for (const [name, perRow] of Object.entries(layer.buffers)) {
        own[name] = this.heap.alloc(capacity * perRow, 'f32', 'batch buffer');
        pointers[name] = own[name].ptr;
      }
      const out = this.heap.alloc(capacity * layer.outputSize, 'f32', 'batch buffer');
      const dOut = this.heap.alloc(capacity * layer.outputSize, 'f32', 'batch buffer');
      const previous = this.#buffers[l - 1];
      const args: BackwardArgs = {
        x: previous?.out.ptr ?? 0, rows: 0, out: out.ptr, buffers: pointers, gemmScratch: this.#scratch!.ptr, training: null,
        params: this.#offsets[l]!.map((offset) => this.params.ptr + offset * 4),
        grads: this.#offsets[l]!.map((offset) => this.grads.ptr + offset * 4),
        states: this.#stateOffsets[l]!.map((offset) => this.states.ptr + offset * 4),
        dOut: dOut.ptr, dx: previous?.dOut.ptr ?? 0,
      };
      this.#buffers.push({ out, dOut, own, args });
    });
    this.#capacity = capacity;
  }

  #freeBuffers(): void {
    for (const b of this.#buffers) {
      b.out.free();
      b.dOut.free();
      for (const array of Object.values(b.own)) array.free();
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
   * `dropoutStep` ≥ 0 (training) dropout is active, its masks keyed by (seed, step, layer) and by the
   * row's position in the whole batch (`firstRow`: where these rows start, for a shard of a batch).
   */
  forward(input: number, rows: number, dropoutStep = -1, firstRow = 0): void {
    this.ensureCapacity(rows);
    const k = this.heap.exports;
    const training = dropoutStep >= 0 ? this.#training : null;
    if (training) {
      training.step = dropoutStep;
      training.firstRow = firstRow;
    }
    const layers = this.model.layers;
    for (let l = 0; l < layers.length; l++) {
      const args = this.#buffers[l]!.args;
      if (l === 0) args.x = input;
      args.rows = rows;
      args.training = training;
      layers[l]!.forward(k, args);
    }
  }

  /**
   * Gradients of the loss w.r.t. every parameter into `grads` (overwritten), from the output
   * gradient already in `outputGradient`; `input` and `rows` as given to the last (training) `forward`.
   * Adds the tensors' L1/L2 penalties to the gradient and returns their value.
   */
  backward(input: number, rows: number): number {
    const k = this.heap.exports;
    const layers = this.model.layers;
    let penalty = 0;
    for (let l = layers.length - 1; l >= 0; l--) {
      const layer = layers[l]!;
      const args = this.#buffers[l]!.args;
      if (l === 0) args.x = input;
      args.rows = rows;
      layer.backward(k, args);
      const tensors = layer.tensors;
      for (let t = 0; t < tensors.length; t++) {
        const tensor = tensors[t]!;
        if (tensor.l1 === 0 && tensor.l2 === 0) continue;
        penalty += k.weight_penalty_f32(args.params[t]!, args.grads[t]!, this.#lengths[l]![t]!, tensor.l1, tensor.l2);
      }
    }
    return penalty;
  }

  /** The L1/L2 penalty of the current weights, without touching gradients (for evaluation). */
  penalty(): number {
    const k = this.heap.exports;
    let total = 0;
    this.model.layers.forEach((layer, l) => {
      layer.tensors.forEach((tensor, t) => {
        if (tensor.l1 === 0 && tensor.l2 === 0) return;
        // g = 0: the kernel sums the penalty and leaves every gradient alone
        total += k.weight_penalty_f32(this.params.ptr + this.#offsets[l]![t]! * 4, 0, this.#lengths[l]![t]!, tensor.l1, tensor.l2);
      });
    });
    return total;
  }

  /** Frees every buffer of this network. */
  free(): void {
    this.#freeBuffers();
    this.params.free();
    this.grads.free();
    this.states.free();
  }
}
