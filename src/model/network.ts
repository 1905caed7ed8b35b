// A network over flat buffers: every layer's parameter tensors in one f32 region (in layer order,
// each `{index}.{name}` in torch's layout), gradients in a second of the same layout. Network only
// composes: the spec's entries run in order, each reading the outputs of earlier entries by index
// (torch.fx style), each layer module running its own forward and backward kernels; activations
// and the buffers layers keep between the passes are sized for the largest batch seen so far.

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
  /** The arguments of the layer's passes, made once per capacity: a pass only sets the model input, rows and training. */
  args: BackwardArgs;
}

/** One gradient of a tensor read by several entries: `width` floats per row at `from`, added into `into`. */
interface FanOutAdd {
  from: number;
  into: number;
  width: number;
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
  /** Buffers for gradients added into a tensor read by several entries (as many as an entry has inputs). */
  #fanOut: WasmArray[] = [];
  /** The tensors with an L1/L2 penalty: where they and their gradients are, their length, λ1 and λ2. */
  readonly #penalties: { param: number; grad: number; length: number; l1: number; l2: number }[];
  /** Per layer: whether its tensors train. */
  readonly #trainable: boolean[];
  /** The entries whose backward runs, last first, with the fan-out gradients each adds in. */
  #backward: { entry: number; adds: FanOutAdd[] }[] = [];
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
    this.#penalties = model.layers.flatMap((layer, l) => layer.tensors.flatMap((tensor, t) => (tensor.l1 === 0 && tensor.l2 === 0 ? [] : [{
      param: this.params.ptr + 4 * this.#offsets[l]![t]!, grad: this.grads.ptr + 4 * this.#offsets[l]![t]!,
      length: this.#lengths[l]![t]!, l1: tensor.l1, l2: tensor.l2,
    }])));
    this.#training = { seed: model.seed, step: 0, firstRow: 0 };
    this.#trainable = [...model.trainable];
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
    const layers = this.model.layers;
    const scratchFloats = Math.max(16, ...layers.map((layer) => layer.gemmScratchFloats(k, capacity)));
    this.#scratch = this.heap.alloc(scratchFloats, 'f32', 'gemm scratch');
    // a gradient for a tensor that an earlier-run backward already wrote goes here first, then is
    // added in: an entry needs one such buffer per input that other entries read too (a chain: none)
    const readers = new Map<number, number>();
    for (const j of this.model.inputs.flat()) readers.set(j, (readers.get(j) ?? 0) + 1);
    const fanOut = Math.max(0, ...this.model.inputs.map((reads) => reads.filter((j) => j >= 0 && readers.get(j)! > 1).length));
    const widest = Math.max(1, ...layers.map((layer) => layer.outputSize));
    for (let i = 0; i < fanOut; i++) this.#fanOut.push(this.heap.alloc(capacity * widest, 'f32', 'batch buffer'));
    layers.forEach((layer, l) => {
      const own: Record<string, WasmArray> = {};
      const pointers: Record<string, number> = {};
      for (const [name, perRow] of Object.entries(layer.buffers)) {
        own[name] = this.heap.alloc(capacity * perRow, 'f32', 'batch buffer');
        pointers[name] = own[name].ptr;
      }
      const out = this.heap.alloc(capacity * layer.outputSize, 'f32', 'batch buffer');
      const dOut = this.heap.alloc(capacity * layer.outputSize, 'f32', 'batch buffer');
      const inputs = this.model.inputs[l]!.map((j) => (j < 0 ? 0 : this.#buffers[j]!.out.ptr));
      const args: BackwardArgs = {
        x: inputs[0]!, inputs, rows: 0, out: out.ptr, buffers: pointers, gemmScratch: this.#scratch!.ptr, training: null,
        params: this.#offsets[l]!.map((offset) => this.params.ptr + offset * 4),
        grads: this.#offsets[l]!.map((offset) => this.grads.ptr + offset * 4),
        states: this.#stateOffsets[l]!.map((offset) => this.states.ptr + offset * 4),
        trainable: this.#trainable[l]!, dOut: dOut.ptr, dx: 0, dxs: [],
      };
      this.#buffers.push({ out, dOut, own, args });
    });
    this.#capacity = capacity;
    this.#planBackward();
  }

  /**
   * Which entries run backward and where each writes its inputs' gradients. An entry needs its
   * backward when it or an entry upstream of it has trainable tensors (a frozen prefix needs none);
   * the first gradient to reach a tensor (walking back from the output) is written into its dOut,
   * every further one into a fan-out buffer and then added in (add_f32), so a tensor read by
   * several entries gets the sum of their gradients.
   */
  #planBackward(): void {
    const { layers, inputs } = this.model;
    const needs = layers.map(() => false);
    layers.forEach((layer, l) => {
      needs[l] = (this.#trainable[l]! && layer.tensors.length > 0) || inputs[l]!.some((j) => j >= 0 && needs[j]!);
    });
    this.#backward = [];
    if (this.#buffers.length === 0) return;
    const written = new Set<number>();
    for (let l = layers.length - 1; l >= 0; l--) {
      const args = this.#buffers[l]!.args;
      args.trainable = this.#trainable[l]!;
      if (!needs[l]) continue;
      const adds: FanOutAdd[] = [];
      args.dxs = inputs[l]!.map((j) => {
        if (j < 0 || !needs[j]) return 0;
        const dOut = this.#buffers[j]!.dOut.ptr;
        if (!written.has(j)) {
          written.add(j);
          return dOut;
        }
        const temporary = this.#fanOut[adds.length]!.ptr;
        adds.push({ from: temporary, into: dOut, width: layers[j]!.outputSize });
        return temporary;
      });
      args.dx = args.dxs[0]!;
      this.#backward.push({ entry: l, adds });
    }
  }

  #freeBuffers(): void {
    for (const b of this.#buffers) {
      b.out.free();
      b.dOut.free();
      for (const array of Object.values(b.own)) array.free();
    }
    for (const array of this.#fanOut) array.free();
    this.#fanOut = [];
    this.#buffers = [];
    this.#backward = [];
    this.#scratch?.free();
    this.#scratch = null;
    this.#capacity = 0;
  }

  /** Whether layer `index`'s tensors train (the spec's `trainable`, or as setTrainable left it). */
  isTrainable(index: number): boolean {
    return this.#trainable[index]!;
  }

  /** Freezes (false) or unfreezes layer `index`'s tensors; the next backward follows. */
  setTrainable(index: number, trainable: boolean): void {
    this.#trainable[index] = trainable;
    this.#planBackward();
  }

  /** The flat ranges (offset, length in floats) of the trainable tensors, adjacent ones merged: what the optimizer updates. */
  trainableRanges(): { offset: number; length: number }[] {
    const ranges: { offset: number; length: number }[] = [];
    this.model.layers.forEach((_layer, l) => {
      if (!this.#trainable[l]) return;
      this.#offsets[l]!.forEach((offset, t) => {
        const length = this.#lengths[l]![t]!;
        const last = ranges.at(-1);
        if (last && last.offset + last.length === offset) last.length += length;
        else ranges.push({ offset, length });
      });
    });
    return ranges;
  }

  /**
   * The segments of the tensors trainable under `trainable` (per layer; default the current flags),
   * with offsets in the optimizer's layout: those tensors back to back, in layer order.
   */
  slotSegments(trainable: readonly boolean[] = this.#trainable): Segment[] {
    const segments: Segment[] = [];
    let at = 0;
    this.model.layers.forEach((layer, l) => {
      if (!trainable[l]) return;
      layer.tensors.forEach((tensor, t) => {
        const length = this.#lengths[l]![t]!;
        segments.push({ name: `${layer.index}.${tensor.name}`, offset: at, length, shape: [...tensor.shape] });
        at += length;
      });
    });
    return segments;
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
   * Runs the entries in order on `rows` rows at `input` (a pointer to rows × inputSize floats). With
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
      this.#setInput(l, args, input);
      args.rows = rows;
      args.training = training;
      layers[l]!.forward(k, args);
    }
  }

  /** Points the entry's reads of the model input at `input` (it moves from call to call). */
  #setInput(l: number, args: BackwardArgs, input: number): void {
    const reads = this.model.inputs[l]!;
    for (let i = 0; i < reads.length; i++) if (reads[i]! < 0) (args.inputs as number[])[i] = input;
    args.x = args.inputs[0]!;
  }

  /**
   * Gradients of the loss w.r.t. every trainable parameter into `grads` (overwritten), from the
   * output gradient already in `outputGradient`; `input` and `rows` as given to the last (training)
   * `forward`. Adds the tensors' L1/L2 penalties to the gradient and returns their value.
   */
  backward(input: number, rows: number): number {
    const k = this.heap.exports;
    const layers = this.model.layers;
    for (const { entry, adds } of this.#backward) {
      const args = this.#buffers[entry]!.args;
      this.#setInput(entry, args, input);
      args.rows = rows;
      layers[entry]!.backward(k, args);
      for (const { from, into, width } of adds) k.add_f32(into, from, into, rows * width);
    }
    let penalty = 0;
    // a frozen tensor's slot in grads is written too, and never read
    for (const p of this.#penalties) penalty += k.weight_penalty_f32(p.param, p.grad, p.length, p.l1, p.l2);
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
