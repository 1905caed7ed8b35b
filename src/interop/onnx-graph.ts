// The graph an ONNX export builds: nodes and constants, values that know their rank and where their
// channels are (descent is channels-last, ONNX's Conv and pools channels-first), and the activations.
// Each layer module writes its own nodes into it (Layer.onnx); onnx-export.ts walks the entries.

import type { Activation } from '../model/activations.js';
import { type AttributeValue, type Message, node, tensor } from './onnx-proto.js';

/** A value of the graph: its name, rank (with the batch axis) and where its channels are. */
export interface Value {
  name: string;
  rank: number;
  layout: 'last' | 'first';
}

export class Graph {
  readonly nodes: Message[] = [];
  readonly initializers: Message[] = [];
  #count = 0;

  constant(name: string, dims: readonly number[], values: Float32Array | Float64Array | { int64: readonly number[] }): string {
    this.initializers.push(tensor(name, dims, values));
    return name;
  }

  op(op: string, inputs: readonly string[], attributes: Record<string, AttributeValue> = {}, output?: string): string {
    const name = output ?? `${op.toLowerCase()}_${this.#count}`;
    this.nodes.push(node(op, inputs, [name], `${op}_${this.#count++}`, attributes));
    return name;
  }

  /** A node with several outputs (LSTM's Y, Y_h, Y_c): the names of those `wanted`, '' (not computed) for the others. */
  ops(op: string, inputs: readonly string[], wanted: readonly boolean[], attributes: Record<string, AttributeValue> = {}): string[] {
    const count = this.#count++;
    const outputs = wanted.map((w, k) => (w ? `${op.toLowerCase()}_${count}_${k}` : ''));
    // ONNX leaves off trailing optional outputs; an empty name skips one in between
    const used = outputs.slice(0, wanted.lastIndexOf(true) + 1);
    this.nodes.push(node(op, inputs, used, `${op}_${count}`, attributes));
    return outputs;
  }

  /** An int64 constant (axes, shapes, indices) named after its `owner` (a layer's index) and `name`. */
  ints(owner: number, name: string, values: readonly number[]): string {
    return this.constant(`${owner}.onnx_${name}`, [values.length], { int64: values });
  }

  /** v with its channels moved to axis 1 (ONNX's Conv, pools, BatchNormalization). */
  channelsFirst(v: Value): Value {
    if (v.rank <= 2 || v.layout === 'first') return v;
    return { ...v, name: this.op('Transpose', [v.name], { perm: v.rank === 3 ? [0, 2, 1] : [0, 3, 1, 2] }), layout: 'first' };
  }

  /** v with its channels last again (descent's layout: flatten order, last-axis ops). */
  channelsLast(v: Value): Value {
    if (v.rank <= 2 || v.layout === 'last') return v;
    return { ...v, name: this.op('Transpose', [v.name], { perm: v.rank === 3 ? [0, 2, 1] : [0, 2, 3, 1] }), layout: 'last' };
  }

  activation(v: Value, activation: Activation | 'softmax' | 'sigmoid'): Value {
    switch (activation) {
      case 'linear': return v;
      case 'relu': return { ...v, name: this.op('Relu', [v.name]) };
      case 'leaky_relu': return { ...v, name: this.op('LeakyRelu', [v.name], { alpha: { float: 0.01 } }) };
      case 'sigmoid': return { ...v, name: this.op('Sigmoid', [v.name]) };
      case 'tanh': return { ...v, name: this.op('Tanh', [v.name]) };
      case 'gelu': {
        // exact GELU, x · ½(1 + erf(x / √2)) (the Gelu op needs opset 20)
        const sqrt2 = this.constant(`gelu_sqrt2_${this.#count}`, [], Float32Array.of(Math.SQRT2));
        const one = this.constant(`gelu_one_${this.#count}`, [], Float32Array.of(1));
        const half = this.constant(`gelu_half_${this.#count}`, [], Float32Array.of(0.5));
        const erf = this.op('Erf', [this.op('Div', [v.name, sqrt2])]);
        return { ...v, name: this.op('Mul', [this.op('Mul', [v.name, this.op('Add', [erf, one])]), half]) };
      }
      case 'softmax':
      case 'log_softmax': {
        const last = this.channelsLast(v);
        return { ...last, name: this.op(activation === 'softmax' ? 'Softmax' : 'LogSoftmax', [last.name], { axis: -1 }) };
      }
    }
  }
}

/** A layer's tensor `name` as a graph constant of `dims` (its declared shape unless given). */
export type ParamConstant = (name: string, dims?: readonly number[]) => string;
