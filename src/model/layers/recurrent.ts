// Recurrent layers, as torch.nn.LSTM and nn.GRU (one layer, batch_first, zero initial state) over
// channels-last rows [T, C]: the output is the last step's h [units], or every step's [T, units]
// with returnSequences. Tensors in torch's names and layouts: weight_ih_l0 [G·units, C],
// weight_hh_l0 [G·units, units], bias_ih_l0 and bias_hh_l0 [G·units], gate blocks in torch's order
// (LSTM i, f, g, o: G = 4; GRU r, z, n: G = 3), all four drawn from U(±1/√units) as torch does.
//
// The matrix products are strided GEMMs (assembly/gemm.ts gemm_strided_f32): x·W_ihᵀ for all steps
// at once into a time-major gate buffer [T, rows, G·units], so that each step's block is contiguous
// for the element-wise cell kernels (assembly/layers/recurrent.ts); h·W_hhᵀ per step, reading h where
// it lies (the output rows, stride T·units, or the layer's own time-major h). The cell kernels keep
// in those blocks what their backward reads, and leave the pre-activation gradients there; the
// weight gradients then sum over all steps in one batched GEMM each (Σ_t dG_tᵀ·x_t accumulates into
// one C), and dx_t = dG_t·W_ih is one batched GEMM writing each step's columns of dx.
//
// Floats kept per row (backprop through time):
//   LSTM  gates 4·T·U, c T·U, tanh c T·U, h (T − 1)·U unless returnSequences (out holds it), dc U, dh U
//   GRU   gi 3·T·U, gh 3·T·U, h (T − 1)·U unless returnSequences, two dh blocks 2·U

import type { Graph, ParamConstant, Value } from '../../interop/onnx-graph.js';
import { booleanOption, knownKeys, numberOption } from '../../validate.js';
import type { KernelExports } from '../../wasm/exports.js';
import { type BackwardArgs, copyFloats, type ForwardArgs, type Layer, shapeText, type TensorSpec } from './layer.js';

interface RecurrentOptions {
  units: number;
  /** true: every step's h, [T, units]; false (default): the last step's, [units]. */
  returnSequences?: boolean;
}

export interface LstmLayerSpec extends RecurrentOptions {
  type: 'lstm';
}

export interface GruLayerSpec extends RecurrentOptions {
  type: 'gru';
}

const KEYS = ['type', 'units', 'returnSequences'];
/** Gate blocks per cell: LSTM's i, f, g, o; GRU's r, z, n. */
const GATES = { lstm: 4, gru: 3 } as const;

/** Where a step's h lies: its pointer and row stride in floats. */
interface Rows {
  ptr: number;
  stride: number;
}

export class RecurrentLayer implements Layer {
  readonly activation = '';
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly inputSize: number;
  readonly outputSize: number;
  readonly tensors: TensorSpec[];
  readonly buffers: Record<string, number>;
  readonly label: string;
  readonly steps: number;
  readonly channels: number;
  /** G·units: the width of a gate block row. */
  readonly #width: number;

  constructor(readonly type: 'lstm' | 'gru', readonly index: number, inputShape: readonly number[], readonly units: number, readonly returnSequences: boolean) {
    const [steps, channels] = [inputShape[0]!, inputShape[1]!];
    this.inputShape = inputShape;
    this.steps = steps;
    this.channels = channels;
    this.inputSize = steps * channels;
    this.outputShape = returnSequences ? [steps, units] : [units];
    this.outputSize = returnSequences ? steps * units : units;
    const width = GATES[type] * units;
    this.#width = width;
    const tensor = (name: string, shape: number[]): TensorSpec => ({ name, shape, init: 'torchRecurrent', fanIn: shape[1] ?? units, fanOut: units, l1: 0, l2: 0 });
    this.tensors = [
      tensor('weight_ih_l0', [width, channels]), tensor('weight_hh_l0', [width, units]),
      tensor('bias_ih_l0', [width]), tensor('bias_hh_l0', [width]),
    ];
    const h: Record<string, number> = returnSequences || steps === 1 ? {} : { h: (steps - 1) * units };
    this.buffers = type === 'lstm'
      ? { gates: steps * width, c: steps * units, tanhC: steps * units, ...h, dc: units, dh: units }
      : { gi: steps * width, gh: steps * width, ...h, dhA: units, dhB: units };
    this.label = `${type}(${units})`;
  }

  /** Checks an lstm or gru spec at `path` over rows of `inputShape` ([T, C]). */
  static fromSpec(spec: Record<string, unknown>, path: string, index: number, inputShape: readonly number[]): RecurrentLayer {
    knownKeys(path, spec, KEYS);
    const type = spec.type as 'lstm' | 'gru';
    if (inputShape.length !== 2) {
      throw new RangeError(`${path} (${type}) needs rows of shape [T, C] (time steps, channels), got shape ${shapeText(inputShape)}`);
    }
    const units = numberOption(`${path}.units`, spec.units, undefined, { min: 1, integer: true });
    return new RecurrentLayer(type, index, inputShape, units, booleanOption(`${path}.returnSequences`, spec.returnSequences, false));
  }

  gemmScratchFloats(k: KernelExports, rows: number): number {
    const [C, U, W] = [this.channels, this.units, this.#width];
    return Math.max(k.gemm_scratch_floats(C, W), k.gemm_scratch_floats(U, W), k.gemm_scratch_floats(rows, C), k.gemm_scratch_floats(Math.max(1, this.steps - 1) * rows, U),
      k.gemm_scratch_floats(W, C), k.gemm_scratch_floats(W, U), k.gemm_packed_floats(U, W), k.gemm_packed_floats(W, U));
  }

  /** x·W_ihᵀ per step (T·C·G·U) and h·W_hhᵀ per step (T·U·G·U), plus the element-wise cell. */
  get multiplyAdds(): number {
    return this.steps * this.#width * (this.channels + this.units + 1);
  }

  /** Step t's h: the output rows with returnSequences or at the last step, else the layer's time-major h. */
  #h(t: number, rows: number, out: number, buffers: Readonly<Record<string, number>>): Rows {
    const [T, U] = [this.steps, this.units];
    if (this.returnSequences) return { ptr: out + 4 * t * U, stride: T * U };
    if (t === T - 1) return { ptr: out, stride: U };
    return { ptr: buffers.h! + 4 * t * rows * U, stride: U };
  }

  /** All steps' inputs times W_ihᵀ (+ `bias`) into the time-major blocks at `gates` ([T, rows, G·U]); accumulate: added to them. */
  #inputProducts(k: KernelExports, x: number, rows: number, params: readonly number[], gates: number, bias: number, accumulate: boolean, scratch: number): void {
    const [T, C, W] = [this.steps, this.channels, this.#width];
    k.gemm_strided_f32(x, T * C, 1, C, params[0]!, 1, C, 0, gates, W, rows * W, T, rows, C, W, bias, accumulate, scratch);
  }

  /** W_hhᵀ packed whole into `scratch` once per pass (the step loop runs no other GEMM). */
  #packRecurrentWeights(k: KernelExports, params: readonly number[], scratch: number): number {
    const [U, W] = [this.units, this.#width];
    k.gemm_pack_b_f32(params[1]!, 1, U, U, W, scratch);
    return scratch;
  }

  /** c (+)= h·W_hhᵀ (+ `bias`) over `rows` rows (c's row stride G·U), W_hhᵀ packed at `packed`. */
  #recurrentProduct(k: KernelExports, h: Rows, rows: number, packed: number, c: number, bias: number, accumulate: boolean): void {
    const [U, W] = [this.units, this.#width];
    k.gemm_packed_f32(h.ptr, h.stride, 1, packed, c, W, rows, U, W, bias, accumulate);
  }

  forward(k: KernelExports, { x, rows, out, buffers, params, gemmScratch }: ForwardArgs): void {
    const [T, U, W] = [this.steps, this.units, this.#width];
    const block = rows * W;
    if (this.type === 'lstm') {
      const { gates, c, tanhC } = buffers as Record<string, number>;
      // b_ih + b_hh in the first gate row, copied to every row of every step: the GEMMs then only add
      // products (a GEMM that adds a bias to a C it accumulates into does it element by element)
      k.copy_strided_f32(params[3]!, 0, gates!, W, 1, W);
      k.add_f32(gates!, params[2]!, gates!, W);
      k.copy_strided_f32(gates!, 0, gates! + 4 * W, W, T * rows - 1, W);
      this.#inputProducts(k, x, rows, params, gates!, 0, true, gemmScratch);
      const packed = this.#packRecurrentWeights(k, params, gemmScratch);
      for (let t = 0; t < T; t++) {
        const g = gates! + 4 * t * block;
        if (t > 0) this.#recurrentProduct(k, this.#h(t - 1, rows, out, buffers), rows, packed, g, 0, true);
        const h = this.#h(t, rows, out, buffers);
        const cPrev = t > 0 ? c! + 4 * (t - 1) * rows * U : 0;
        k.lstm_cell_forward_f32(g, cPrev, c! + 4 * t * rows * U, tanhC! + 4 * t * rows * U, h.ptr, h.stride, rows, U);
      }
      return;
    }
    const { gi, gh } = buffers as Record<string, number>;
    this.#inputProducts(k, x, rows, params, gi!, params[2]!, false, gemmScratch);
    const packed = this.#packRecurrentWeights(k, params, gemmScratch);
    for (let t = 0; t < T; t++) {
      const a = gi! + 4 * t * block;
      const b = gh! + 4 * t * block;
      const previous = t > 0 ? this.#h(t - 1, rows, out, buffers) : { ptr: 0, stride: 0 };
      // the zero state's h·W_hhᵀ + b_hh is b_hh in every row
      if (t > 0) this.#recurrentProduct(k, previous, rows, packed, b, params[3]!, false);
      else k.copy_strided_f32(params[3]!, 0, b, W, rows, W);
      const h = this.#h(t, rows, out, buffers);
      k.gru_cell_forward_f32(a, b, previous.ptr, previous.stride, h.ptr, h.stride, rows, U);
    }
  }

  backward(k: KernelExports, args: BackwardArgs): void {
    const { rows, dOut, params, gemmScratch } = args;
    const [T, U, W] = [this.steps, this.units, this.#width];
    const block = rows * W;
    const outputGradient = (t: number): Rows => (this.returnSequences ? { ptr: dOut + 4 * t * U, stride: T * U } : { ptr: dOut, stride: U });
    // dh_{t−1} gets dG_t·W_hh (G·U → U: W_hh read row-major), W_hh packed once for all steps (the
    // loop runs no other GEMM; the weight gradients after it reuse the scratch)
    k.gemm_pack_b_f32(params[1]!, U, 1, W, U, gemmScratch);
    const recurrentGradient = (dG: number, into: Rows, accumulate: boolean) =>
      k.gemm_packed_f32(dG, W, 1, gemmScratch, into.ptr, into.stride, rows, W, U, 0, accumulate);
    let gradientBlocks: [number, number];
    if (this.type === 'lstm') {
      const { gates, c, tanhC, dc, dh } = args.buffers as Record<string, number>;
      new Float32Array(k.memory.buffer, dc!, rows * U).fill(0);
      let dhRows = outputGradient(T - 1);
      for (let t = T - 1; t >= 0; t--) {
        const g = gates! + 4 * t * block;
        k.lstm_cell_backward_f32(g, t > 0 ? c! + 4 * (t - 1) * rows * U : 0, tanhC! + 4 * t * rows * U, dhRows.ptr, dhRows.stride, dc!, rows, U);
        if (t === 0) break;
        // with returnSequences the loss's gradient at t − 1 is already in dOut: add to it there
        dhRows = this.returnSequences ? outputGradient(t - 1) : { ptr: dh!, stride: U };
        recurrentGradient(g, dhRows, this.returnSequences);
      }
      gradientBlocks = [gates!, gates!];
    } else {
      const { gi, gh, dhA, dhB } = args.buffers as Record<string, number>;
      let dhRows = outputGradient(T - 1);
      let [next, spare] = [dhA!, dhB!];
      for (let t = T - 1; t >= 0; t--) {
        const a = gi! + 4 * t * block;
        const b = gh! + 4 * t * block;
        const previous = t > 0 ? this.#h(t - 1, rows, args.out, args.buffers) : { ptr: 0, stride: 0 };
        // the cell writes the direct part z⊙dh of dh_{t−1} into `next`, the GEMM adds dgh_t·W_hh
        k.gru_cell_backward_f32(a, b, previous.ptr, previous.stride, dhRows.ptr, dhRows.stride, t > 0 ? next : 0, U, rows, U);
        if (t === 0) break;
        recurrentGradient(b, { ptr: next, stride: U }, true);
        if (this.returnSequences) {
          const loss = outputGradient(t - 1);
          k.copy_strided_f32(loss.ptr, loss.stride, spare, U, rows, U);
          k.add_f32(next, spare, next, rows * U);
        }
        dhRows = { ptr: next, stride: U };
        [next, spare] = [spare, next];
      }
      gradientBlocks = [gi!, gh!];
    }
    this.#parameterAndInputGradients(k, args, gradientBlocks[0], gradientBlocks[1]);
  }

  /**
   * From the pre-activation gradients left in the time-major blocks (dI: of x·W_ihᵀ + b_ih, dH: of
   * h·W_hhᵀ + b_hh; the same block for LSTM): the four tensors' gradients and dx.
   */
  #parameterAndInputGradients(k: KernelExports, { x, rows, out, buffers, params, gemmScratch, dx, grads, trainable }: BackwardArgs, dI: number, dH: number): void {
    const [T, C, U, W] = [this.steps, this.channels, this.units, this.#width];
    const block = rows * W;
    if (trainable) {
      const [dWih, dWhh, dbih, dbhh] = grads as [number, number, number, number];
      new Float32Array(k.memory.buffer, dWih, W * C).fill(0);
      new Float32Array(k.memory.buffer, dWhh, W * U).fill(0);
      // dW_ih = Σ_t dI_tᵀ·x_t and dW_hh = Σ_{t ≥ 1} dH_tᵀ·h_{t−1}: batches over t adding into one C
      k.gemm_strided_f32(dI, 1, W, block, x, T * C, 1, C, dWih, C, 0, T, W, rows, C, 0, true, gemmScratch);
      if (T > 1 && this.returnSequences) {
        // h_t is a column slice of the output rows (row stride T·U, step t at column t·U)
        k.gemm_strided_f32(dH + 4 * block, 1, W, block, out, T * U, 1, U, dWhh, U, 0, T - 1, W, rows, U, 0, true, gemmScratch);
      } else if (T > 1) {
        // the layer's own h is time-major like dH: steps and rows are one summation axis of (T − 1)·rows
        k.gemm_strided_f32(dH + 4 * block, 1, W, 0, buffers.h!, U, 1, 0, dWhh, U, 0, 1, W, (T - 1) * rows, U, 0, true, gemmScratch);
      }
      k.column_sums_f32(dI, T * rows, W, dbih, false);
      // LSTM's two biases enter the same sum, so their gradients are equal
      if (dH === dI) copyFloats(k, dbih, dbhh, W);
      else k.column_sums_f32(dH, T * rows, W, dbhh, false);
    }
    // dx_t = dI_t·W_ih into x's layout (row stride T·C, step t at column t·C)
    if (dx) k.gemm_strided_f32(dI, W, 1, block, params[0]!, C, 1, 0, dx, T * C, C, T, rows, W, C, 0, false, gemmScratch);
  }

  /**
   * ONNX's LSTM / GRU over time-major [T, N, C] (onnxruntime runs only layout 0), with torch's gate
   * blocks reordered to ONNX's (LSTM i, o, f, c from i, f, g, o; GRU z, r, h from r, z, n) by a Gather
   * of rows, and GRU's linear_before_reset = 1, which is torch's r ⊙ (W_hn·h + b_hn).
   */
  onnx(g: Graph, [v]: readonly Value[], param: ParamConstant): Value {
    const [U, i] = [this.units, this.index];
    const x = g.channelsLast(v!);
    const timeMajor = g.op('Transpose', [x.name], { perm: [1, 0, 2] });
    const blocks = this.type === 'lstm' ? [0, 3, 1, 2] : [1, 0, 2];
    const rows = g.ints(i, 'gate_rows', blocks.flatMap((b) => Array.from({ length: U }, (_u, u) => b * U + u)));
    const gates = (name: string) => g.op('Gather', [param(name), rows], { axis: 0 });
    const axis0 = g.ints(i, 'axis0', [0]);
    // one direction: W [1, G·U, C], R [1, G·U, U], B [1, 2·G·U] (input biases, then recurrent ones)
    const [w, r] = ['weight_ih_l0', 'weight_hh_l0'].map((name) => g.op('Unsqueeze', [gates(name), axis0]));
    const b = g.op('Unsqueeze', [g.op('Concat', [gates('bias_ih_l0'), gates('bias_hh_l0')], { axis: 0 }), axis0]);
    const attributes = { hidden_size: U, ...(this.type === 'gru' ? { linear_before_reset: 1 } : {}) };
    // outputs Y [T, 1, N, U] (every step) and Y_h [1, N, U] (the last step)
    const [y, yh] = g.ops(this.type === 'lstm' ? 'LSTM' : 'GRU', [timeMajor, w!, r!, b], [this.returnSequences, !this.returnSequences], attributes);
    if (!this.returnSequences) return { name: g.op('Squeeze', [yh!, axis0]), rank: 2, layout: 'last' };
    const steps = g.op('Squeeze', [y!, g.ints(i, 'axis1', [1])]);
    return { name: g.op('Transpose', [steps], { perm: [1, 0, 2] }), rank: 3, layout: 'last' };
  }
}
