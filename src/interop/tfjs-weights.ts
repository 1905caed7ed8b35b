// The weights of a tfjs model: its weight specs ({ name, shape, dtype, quantization?, group? }, in
// the order of their bytes) over one buffer of little-endian values. Every spec is checked and every
// byte accounted for before a value is read, so a hostile model.json cannot make this allocate more
// than its weight data holds: shapes are multiplied with a bound, and the declared bytes must add up
// to the buffer's length exactly (short and long buffers are both errors).

import { describe, notOneOf, plainObject } from '../validate.js';

/** A weight's place in the buffer and how its values are stored. */
export interface TfjsWeight {
  name: string;
  shape: number[];
  /** Bytes from the start of the weight data. */
  offset: number;
  /** 'float32' and 'int32' as they are; 'uint8' / 'uint16' affine-quantized (q · scale + min); 'float16'. */
  storage: 'float32' | 'int32' | 'uint8' | 'uint16' | 'float16';
  scale: number;
  min: number;
  /** 'optimizer' for optimizer state (saved with includeOptimizer), which the import skips. */
  group?: string;
}

const BYTES = { float32: 4, int32: 4, uint8: 1, uint16: 2, float16: 2 } as const;

/** The number of elements of `shape` (non-negative integers), or throws once it passes `limit`. */
function elements(path: string, shape: unknown, limit: number): number {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new RangeError(`${path}.shape must be an array of non-negative integers, got ${Array.isArray(shape) ? JSON.stringify(shape) : describe(shape)}`);
  }
  let n = 1;
  for (const d of shape as number[]) {
    n *= d;
    if (n > limit) throw new RangeError(`${path}.shape ${JSON.stringify(shape)} declares more values than the weight data holds (${limit})`);
  }
  return n;
}

/** Checks `specs` against `byteLength` bytes of weight data; returns each weight's place. */
export function weightPlaces(specs: unknown, byteLength: number): TfjsWeight[] {
  if (!Array.isArray(specs)) throw new TypeError(`model.json weight specs must be an array, got ${describe(specs)}`);
  const places: TfjsWeight[] = [];
  let offset = 0;
  specs.forEach((raw, i) => {
    const path = `weightSpecs[${i}]`;
    const spec = plainObject(path, raw);
    if (typeof spec.name !== 'string') throw new TypeError(`${path}.name must be a string, got ${describe(spec.name)}`);
    const q = spec.quantization === undefined || spec.quantization === null ? null : plainObject(`${path}.quantization`, spec.quantization);
    const storage = q ? q.dtype : spec.dtype;
    if (typeof storage !== 'string' || !Object.hasOwn(BYTES, storage)) {
      const what = q ? `${path}.quantization.dtype` : `${path}.dtype`;
      throw notOneOf(what, storage, Object.keys(BYTES));
    }
    const kind = storage as TfjsWeight['storage'];
    const affine = kind === 'uint8' || kind === 'uint16';
    const scale = affine ? Number(q!.scale) : 1;
    const min = affine ? Number(q!.min) : 0;
    if (!Number.isFinite(scale) || !Number.isFinite(min)) {
      throw new RangeError(`${path}.quantization needs finite scale and min, got scale ${describe(q!.scale)}, min ${describe(q!.min)}`);
    }
    const left = byteLength - offset;
    const count = elements(path, spec.shape, Math.floor(left / BYTES[kind]));
    places.push({
      name: spec.name, shape: [...(spec.shape as number[])], offset, storage: kind, scale, min,
      ...(typeof spec.group === 'string' ? { group: spec.group } : {}),
    });
    offset += count * BYTES[kind];
  });
  if (offset !== byteLength) {
    throw new RangeError(`weight data must be exactly the ${offset} bytes its ${specs.length} weight specs declare, got ${byteLength} bytes`);
  }
  return places;
}

/** One weight's values as float32 (dequantized). */
export function readWeight(data: Uint8Array, weight: TfjsWeight): Float32Array {
  const count = weight.shape.reduce((a, b) => a * b, 1);
  const view = new DataView(data.buffer, data.byteOffset + weight.offset, count * BYTES[weight.storage]);
  const out = new Float32Array(count);
  const { scale, min } = weight;
  for (let i = 0; i < count; i++) {
    switch (weight.storage) {
      case 'float32': out[i] = view.getFloat32(4 * i, true); break;
      case 'int32': out[i] = view.getInt32(4 * i, true); break;
      case 'uint8': out[i] = view.getUint8(i) * scale + min; break;
      case 'uint16': out[i] = view.getUint16(2 * i, true) * scale + min; break;
      case 'float16': out[i] = halfToFloat(view.getUint16(2 * i, true)); break;
    }
  }
  return out;
}

/** An IEEE 754 half-precision value from its 16 bits. */
function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** `values` (row-major over `shape`) with its axes reordered: output axis i is input axis perm[i]. */
export function permute(values: Float32Array, shape: readonly number[], perm: readonly number[]): Float32Array {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]!);
  const inStrides = new Array<number>(rank);
  for (let a = rank - 1, s = 1; a >= 0; a--) {
    inStrides[a] = s;
    s *= shape[a]!;
  }
  const strides = perm.map((p) => inStrides[p]!);
  const out = new Float32Array(values.length);
  const index = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let at = 0;
    for (let a = 0; a < rank; a++) at += index[a]! * strides[a]!;
    out[o] = values[at]!;
    for (let a = rank - 1; a >= 0; a--) {
      if (++index[a]! < outShape[a]!) break;
      index[a] = 0;
    }
  }
  return out;
}
