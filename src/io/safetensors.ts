// The safetensors format: an 8-byte little-endian header length N, N bytes of JSON header
// `{ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: { key: string } }` padded with
// spaces to a multiple of 8, then the raw little-endian tensor bytes. Parsing keeps the format's own
// promises for untrusted files: a bounded header, offsets inside the buffer without overlaps or holes,
// sizes that match shape × dtype, and nothing ever executed.

export type DType = 'F32' | 'F16' | 'BF16' | 'F64' | 'I64' | 'I32';

const DTYPE_BYTES: Record<DType, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4 };

/** Largest header accepted, as the reference implementation (100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;

export interface TensorEntry {
  dtype: DType;
  shape: number[];
  /** The tensor's bytes (a view into the file for parsed tensors). */
  data: Uint8Array;
}

export interface SafetensorsFile {
  tensors: Map<string, TensorEntry>;
  metadata: Record<string, string>;
}

/** Encodes tensors (in insertion order) and string metadata into safetensors bytes. */
export function encodeSafetensors(tensors: Map<string, TensorEntry>, metadata: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, tensor] of tensors) {
    header[name] = { dtype: tensor.dtype, shape: tensor.shape, data_offsets: [offset, offset + tensor.data.byteLength] };
    offset += tensor.data.byteLength;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const withSpaces = new Uint8Array(padded).fill(0x20);
    withSpaces.set(json);
    json = withSpaces;
  }
  const bytes = new Uint8Array(8 + json.length + offset);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
  bytes.set(json, 8);
  let at = 8 + json.length;
  for (const tensor of tensors.values()) {
    bytes.set(tensor.data, at);
    at += tensor.data.byteLength;
  }
  return bytes;
}

/** Parses and validates safetensors bytes; every violation is a RangeError or TypeError naming the rule. */
export function decodeSafetensors(bytes: unknown): SafetensorsFile {
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(`checkpoint must be a Uint8Array of safetensors bytes, got ${bytes === null ? 'null' : typeof bytes}`);
  }
  if (bytes.byteLength < 8) throw new RangeError(`checkpoint must be at least 8 bytes (the header length), got ${bytes.byteLength}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) {
    throw new RangeError(`checkpoint header length must be at most ${MAX_HEADER_BYTES} bytes, got ${headerLength}`);
  }
  const n = Number(headerLength);
  if (8 + n > bytes.byteLength) {
    throw new RangeError(`checkpoint header length ${n} runs past the end of the ${bytes.byteLength}-byte file`);
  }
  let header: unknown;
  try {
    // slice(): browsers' TextDecoder refuses views of shared memory
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.slice(8, 8 + n)));
  } catch (error) {
    throw new RangeError(`checkpoint header is not valid UTF-8 JSON: ${(error as Error).message}`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new RangeError('checkpoint header must be a JSON object');
  }
  const data = bytes.subarray(8 + n);
  const metadata: Record<string, string> = {};
  const entries: [string, TensorEntry, number, number][] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new RangeError('checkpoint __metadata__ must be an object of strings');
      for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof value !== 'string') throw new RangeError(`checkpoint __metadata__.${key} must be a string, got ${typeof value}`);
        metadata[key] = value;
      }
      continue;
    }
    if (raw === null || typeof raw !== 'object') throw new RangeError(`tensor ${JSON.stringify(name)}: header entry must be an object`);
    const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
    if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) {
      throw new RangeError(`tensor ${JSON.stringify(name)}: unsupported dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(DTYPE_BYTES).join(', ')})`);
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new RangeError(`tensor ${JSON.stringify(name)}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1]) {
      throw new RangeError(`tensor ${JSON.stringify(name)}: data_offsets must be [begin, end] with 0 ≤ begin ≤ end, got ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    if (end > data.byteLength) {
      throw new RangeError(`tensor ${JSON.stringify(name)}: data_offsets [${begin}, ${end}] run past the ${data.byteLength} data bytes`);
    }
    const expected = shape.reduce((p: number, d: number) => p * d, 1) * DTYPE_BYTES[dtype as DType];
    if (expected !== end - begin) {
      throw new RangeError(`tensor ${JSON.stringify(name)}: shape ${JSON.stringify(shape)} × ${dtype} needs ${expected} bytes, data_offsets give ${end - begin}`);
    }
    entries.push([name, { dtype: dtype as DType, shape: shape as number[], data: data.subarray(begin, end) }, begin, end]);
  }
  // The data must be covered exactly once, in order: no overlaps, no holes.
  const sorted = [...entries].sort((a, b) => a[2] - b[2] || a[3] - b[3]);
  let covered = 0;
  for (const [name, , begin, end] of sorted) {
    if (begin < covered) throw new RangeError(`tensor ${JSON.stringify(name)}: data_offsets [${begin}, ${end}] overlap another tensor`);
    if (begin > covered) throw new RangeError(`tensor ${JSON.stringify(name)}: data_offsets leave a hole at bytes [${covered}, ${begin})`);
    covered = end;
  }
  if (covered !== data.byteLength) throw new RangeError(`checkpoint has ${data.byteLength - covered} trailing bytes after the last tensor`);
  return { tensors: new Map(entries.map(([name, entry]) => [name, entry])), metadata };
}

/** A tensor entry for float32 values (copied, little-endian). */
export function f32Tensor(values: Float32Array, shape: number[]): TensorEntry {
  return { dtype: 'F32', shape, data: littleEndianBytes(values) };
}

function littleEndianBytes(values: Float32Array | Float64Array | BigInt64Array): Uint8Array {
  const bytes = new Uint8Array(values.byteLength);
  const view = new DataView(bytes.buffer);
  values.forEach((v: number | bigint, i: number) => {
    if (values instanceof Float32Array) view.setFloat32(i * 4, v as number, true);
    else if (values instanceof Float64Array) view.setFloat64(i * 8, v as number, true);
    else view.setBigInt64(i * 8, v as bigint, true);
  });
  return bytes;
}

/** A scalar int64 tensor (shape []). */
export function i64Scalar(value: number): TensorEntry {
  return { dtype: 'I64', shape: [], data: littleEndianBytes(BigInt64Array.of(BigInt(value))) };
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** The values of a floating tensor as float32 (F32, F16, BF16 and F64 are converted). */
export function tensorToFloat32(name: string, tensor: TensorEntry): Float32Array {
  const { data, dtype } = tensor;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const count = data.byteLength / DTYPE_BYTES[dtype];
  const out = new Float32Array(count);
  switch (dtype) {
    case 'F32':
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      break;
    case 'F64':
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      break;
    case 'F16':
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      break;
    case 'BF16': {
      const word = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < count; i++) {
        word.setUint32(0, view.getUint16(i * 2, true) << 16);
        out[i] = word.getFloat32(0);
      }
      break;
    }
    default:
      throw new RangeError(`tensor ${JSON.stringify(name)}: dtype ${dtype} is not a floating type`);
  }
  return out;
}

/** The value of a scalar integer tensor (I64 or I32, shape []). */
export function tensorToInteger(name: string, tensor: TensorEntry): number {
  if (tensor.shape.length !== 0) throw new RangeError(`tensor ${JSON.stringify(name)} must be a scalar, got shape ${JSON.stringify(tensor.shape)}`);
  const view = new DataView(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
  if (tensor.dtype === 'I64') {
    const value = view.getBigInt64(0, true);
    if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`tensor ${JSON.stringify(name)} must be a non-negative safe integer, got ${value}`);
    return Number(value);
  }
  if (tensor.dtype === 'I32') return view.getInt32(0, true);
  throw new RangeError(`tensor ${JSON.stringify(name)} must be I64 or I32, got ${tensor.dtype}`);
}
