// The few ONNX protobuf messages an inference graph needs, written by hand (field numbers from
// onnx/onnx.proto): ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto
// with its TypeProto and TensorShapeProto, OperatorSetIdProto. A message is a list of byte parts
// (large tensors are not copied until the one final concatenation). Repeated scalars are written
// unpacked, which every protobuf parser reads for proto2's `repeated int64`.

/** A protobuf message under construction. */
export class Message {
  readonly parts: Uint8Array[] = [];
  length = 0;

  #push(bytes: Uint8Array): this {
    this.parts.push(bytes);
    this.length += bytes.byteLength;
    return this;
  }

  /** Field `field` with wire type `wire` (0 varint, 2 length-delimited, 5 32-bit). */
  #key(field: number, wire: number): this {
    return this.#push(varint(field * 8 + wire));
  }

  /** An int64 / int32 / enum field (negative values as 10-byte two's complement, as protobuf does). */
  int(field: number, value: number): this {
    return this.#key(field, 0).#push(varint(value));
  }

  float(field: number, value: number): this {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    return this.#key(field, 5).#push(bytes);
  }

  bytes(field: number, value: Uint8Array): this {
    return this.#key(field, 2).#push(varint(value.byteLength)).#push(value);
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, value: Message): this {
    this.#key(field, 2).#push(varint(value.length));
    for (const part of value.parts) this.#push(part);
    return this;
  }

  /** The message's bytes. */
  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const part of this.parts) {
      out.set(part, at);
      at += part.byteLength;
    }
    return out;
  }
}

/** A base-128 varint; negative integers as their 64-bit two's complement. */
function varint(value: number): Uint8Array {
  if (!Number.isSafeInteger(value)) throw new RangeError(`protobuf integer must be a safe integer, got ${value}`);
  let v = value < 0 ? BigInt.asUintN(64, BigInt(value)) : BigInt(value);
  const bytes: number[] = [];
  do {
    const low = Number(v & 0x7fn);
    v >>= 7n;
    bytes.push(v ? low | 0x80 : low);
  } while (v);
  return Uint8Array.from(bytes);
}

/** ONNX TensorProto.DataType values used here. */
export const FLOAT = 1;
export const INT32 = 6;
export const INT64 = 7;
export const DOUBLE = 11;

export type AttributeValue = number | readonly number[] | string | { float: number };

/** An attribute: integers (AttributeType INT 2 / INTS 7), a float (FLOAT 1), a string (STRING 3). */
function attribute(name: string, value: AttributeValue): Message {
  const a = new Message().string(1, name);
  if (typeof value === 'number') return a.int(3, value).int(20, 2);
  if (typeof value === 'string') return a.string(4, value).int(20, 3);
  if ('float' in value) return a.float(2, value.float).int(20, 1);
  for (const v of value) a.int(8, v);
  return a.int(20, 7);
}

/** NodeProto: `op` from `inputs` to `outputs`, named `name`, with attributes. */
export function node(op: string, inputs: readonly string[], outputs: readonly string[], name: string, attributes: Record<string, AttributeValue> = {}): Message {
  const n = new Message();
  for (const input of inputs) n.string(1, input);
  for (const output of outputs) n.string(2, output);
  n.string(3, name).string(4, op);
  for (const [key, value] of Object.entries(attributes)) n.message(5, attribute(key, value));
  return n;
}

/** TensorProto with little-endian raw data: float32 or float64 values, or int64 for shapes. */
export function tensor(name: string, dims: readonly number[], values: Float32Array | Float64Array | { int64: readonly number[] }): Message {
  const t = new Message();
  for (const d of dims) t.int(1, d);
  if (values instanceof Float32Array) {
    const raw = new Uint8Array(4 * values.length);
    const view = new DataView(raw.buffer);
    values.forEach((v, i) => view.setFloat32(4 * i, v, true));
    return t.int(2, FLOAT).string(8, name).bytes(9, raw);
  }
  if (values instanceof Float64Array) {
    const raw = new Uint8Array(8 * values.length);
    const view = new DataView(raw.buffer);
    values.forEach((v, i) => view.setFloat64(8 * i, v, true));
    return t.int(2, DOUBLE).string(8, name).bytes(9, raw);
  }
  const raw = new Uint8Array(8 * values.int64.length);
  const view = new DataView(raw.buffer);
  values.int64.forEach((v, i) => view.setBigInt64(8 * i, BigInt(v), true));
  return t.int(2, INT64).string(8, name).bytes(9, raw);
}

/** ValueInfoProto of a tensor: its element type and dims (a string is a symbolic dim, as the batch 'N'). */
export function valueInfo(name: string, elementType: number, dims: readonly (number | string)[]): Message {
  const shape = new Message();
  for (const d of dims) shape.message(1, typeof d === 'string' ? new Message().string(2, d) : new Message().int(1, d));
  const tensorType = new Message().int(1, elementType).message(2, shape);
  return new Message().string(1, name).message(2, new Message().message(1, tensorType));
}

export interface GraphParts {
  name: string;
  nodes: Message[];
  initializers: Message[];
  inputs: Message[];
  outputs: Message[];
  doc: string;
}

/** ModelProto: the graph, its IR version and the default-domain opset. */
export function model(graph: GraphParts, opset: number, irVersion: number, producer: string): Uint8Array {
  const g = new Message();
  for (const n of graph.nodes) g.message(1, n);
  g.string(2, graph.name);
  for (const t of graph.initializers) g.message(5, t);
  g.string(10, graph.doc);
  for (const i of graph.inputs) g.message(11, i);
  for (const o of graph.outputs) g.message(12, o);
  return new Message()
    .int(1, irVersion).string(2, producer).message(7, g)
    .message(8, new Message().string(1, '').int(2, opset))
    .finish();
}
