// Reading the data arguments of `k.loss`: float inputs (typed arrays, number[], number[][], f32
// WasmArray) with their length and inferred shape, and the checks every WasmArray argument needs.

import { describe } from '../validate.js';
import { type Heap, WasmArray } from '../wasm/heap.js';

/** Float data: Float32Array, Float64Array, number[], number[][] (rows; gives the shape) or an f32 WasmArray. */
export type FloatInput = Float32Array | Float64Array | readonly number[] | readonly (readonly number[])[] | WasmArray;
/** Class indices: Int32Array, an i32 WasmArray, or number[] of integers for `nll`. */
export type IndexInput = Int32Array | WasmArray | readonly number[];
/** Flat float values, in JavaScript or in WASM memory. */
export type FloatValues = Float32Array | Float64Array | readonly number[] | WasmArray;

export function isNumberArray(value: unknown): value is readonly number[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'number');
}

function isNestedNumberArray(value: unknown): value is readonly (readonly number[])[] {
  return Array.isArray(value) && value.length > 0 && value.every(isNumberArray);
}

export function checkWasmArray(array: WasmArray, what: string, heap: Heap, type: 'f32' | 'i32'): void {
  if (!array.live) throw new TypeError(`${what} is a freed WasmArray`);
  if (array.heap !== heap) throw new TypeError(`${what} is a WasmArray of another kernels instance`);
  if (array.type !== type) throw new TypeError(`${what} must be an ${type} WasmArray, got ${array.type}`);
}

/** Flattens a float input and reports its length and, for nested rows, its shape. */
export function readFloatInput(value: unknown, what: string, heap: Heap): { data: FloatValues; length: number; shape?: [number, number] } {
  if (value instanceof WasmArray) {
    checkWasmArray(value, what, heap, 'f32');
    return { data: value, length: value.length };
  }
  if (value instanceof Float32Array || value instanceof Float64Array) return { data: value, length: value.length };
  if (isNumberArray(value)) return { data: value, length: value.length };
  if (isNestedNumberArray(value)) {
    const cols = value[0]!.length;
    value.forEach((row, i) => {
      if (row.length !== cols) throw new RangeError(`${what}[${i}] must have ${cols} values like ${what}[0], got ${row.length}`);
    });
    return { data: value.flat(), length: value.length * cols, shape: [value.length, cols] };
  }
  throw new TypeError(
    `${what} must be a Float32Array, Float64Array, number[], number[][] or f32 WasmArray, got ${describe(value)}`,
  );
}

export function checkShape(shape: unknown, length: number): [number, number] {
  if (
    !Array.isArray(shape) || shape.length !== 2 ||
    !shape.every((v) => typeof v === 'number' && Number.isInteger(v) && v > 0)
  ) {
    throw new RangeError(`shape must be [rows, cols] of positive integers, got ${Array.isArray(shape) ? `[${shape.join(', ')}]` : describe(shape)}`);
  }
  if (shape[0] * shape[1] !== length) {
    throw new RangeError(`shape [${shape[0]}, ${shape[1]}] must multiply to the input length ${length}, got ${shape[0] * shape[1]}`);
  }
  return [shape[0], shape[1]];
}
