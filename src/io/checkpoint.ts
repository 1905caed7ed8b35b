// A trainer's state as a safetensors checkpoint that PyTorch can read: weights `{i}.weight` [out, in]
// and `{i}.bias` (torch.nn.Linear), optimizer slots `optimizer.{slot}.{i}.weight`, the step count
// `optimizer.step`, and everything else as JSON strings in __metadata__ (non-finite numbers written
// as strings so values such as alpha: -Infinity survive).

import type { StateSegment } from '../model/network.js';
import { type Model, modelFromSpec, type TrainerSpec } from '../model/spec.js';
import type { Segment } from '../optim/transform.js';
import type { EpochLog } from '../train/types.js';
import {
  decodeSafetensors, encodeSafetensors, f32Tensor, i64Scalar, type SafetensorsFile, type TensorEntry, tensorToFloat32,
  tensorToInteger,
} from './safetensors.js';

export const CHECKPOINT_FORMAT = 'descent-checkpoint/1';

export interface CheckpointState {
  spec: TrainerSpec;
  segments: readonly Segment[];
  params: Float32Array;
  /** Tensors the layers keep but do not train (batchnorm's running statistics), F32 or I64 counters. */
  stateSegments: readonly StateSegment[];
  states: Float32Array;
  /** The trainable tensors, offsets in the optimizer's slots (frozen tensors have no slots). */
  slotSegments: readonly Segment[];
  slots: Map<string, Float32Array>;
  optimizerScalars: Record<string, number>;
  step: number;
  epoch: number;
  scheduleState: Record<string, number>;
  normalization: { mean: Float64Array; std: Float64Array } | null;
  history: EpochLog[];
  /** Per layer: whether its tensors train (the spec's `trainable`, false when frozen). */
  trainable: boolean[];
}

const NON_FINITE = new Set(['Infinity', '-Infinity', 'NaN']);

/** JSON with non-finite numbers as the strings "Infinity", "-Infinity", "NaN". */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
}

/** Inverse of toJson. */
export function fromJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text, (_key, v: unknown) => (typeof v === 'string' && NON_FINITE.has(v) ? Number(v) : v));
  } catch (error) {
    throw new RangeError(`checkpoint __metadata__.${what} is not valid JSON: ${(error as Error).message}`);
  }
}

/** JSON with object keys sorted, to compare specs whatever order their keys were written in. */
function canonical(value: unknown): string {
  return toJson(value === null || typeof value !== 'object' ? value : sortKeys(value));
}

/** A spec without its layers' `trainable` (which a checkpoint may change: load adopts the file's). */
function withoutTrainable(spec: TrainerSpec): unknown {
  if (!Array.isArray(spec?.layers)) return spec;
  return { ...spec, layers: spec.layers.map((layer) => (layer !== null && typeof layer === 'object' ? { ...layer, trainable: undefined } : layer)) };
}

/** Per layer of `spec`: whether it trains (anything but `trainable: false`). */
function trainableOf(spec: TrainerSpec, layers: number): boolean[] {
  return Array.from({ length: layers }, (_x, l) => (spec.layers[l] as { trainable?: unknown } | undefined)?.trainable !== false);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined).sort()
      .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
  );
}

export function encodeCheckpoint(state: CheckpointState): Uint8Array {
  const tensors = new Map<string, TensorEntry>();
  for (const s of state.segments) tensors.set(s.name, f32Tensor(state.params.subarray(s.offset, s.offset + s.length), s.shape));
  for (const [slot, values] of state.slots) {
    for (const s of state.slotSegments) tensors.set(`optimizer.${slot}.${s.name}`, f32Tensor(values.subarray(s.offset, s.offset + s.length), s.shape));
  }
  for (const s of state.stateSegments) {
    tensors.set(s.name, s.dtype === 'i64' ? i64Scalar(state.states[s.offset]!) : f32Tensor(state.states.subarray(s.offset, s.offset + s.length), s.shape));
  }
  tensors.set('optimizer.step', i64Scalar(state.step));
  const metadata: Record<string, string> = {
    format: CHECKPOINT_FORMAT,
    spec: toJson(state.spec),
    epoch: String(state.epoch),
    optimizer: toJson(state.optimizerScalars),
    schedule: toJson(state.scheduleState),
    normalization: toJson(state.normalization && { mean: [...state.normalization.mean], std: [...state.normalization.std] }),
    history: toJson(state.history),
  };
  return encodeSafetensors(tensors, metadata);
}

/**
 * The spec stored in a checkpoint (to build a trainer for it), checked against the file's weight
 * shapes first: a small hostile file must not make createTrainer allocate a huge network.
 */
export function checkpointSpec(bytes: unknown): TrainerSpec {
  const file = decodeSafetensors(bytes);
  const spec = readSpec(file);
  for (const layer of modelFromSpec(spec).layers) {
    for (const tensor of layer.tensors) tensorOf(file, `${layer.index}.${tensor.name}`, tensor.shape);
  }
  return spec;
}

function readSpec(file: SafetensorsFile): TrainerSpec {
  if (file.metadata.format !== CHECKPOINT_FORMAT) {
    throw new RangeError(
      `checkpoint __metadata__.format must be ${JSON.stringify(CHECKPOINT_FORMAT)}, got ${JSON.stringify(file.metadata.format)} ` +
      '(for weights made elsewhere use importWeights)',
    );
  }
  if (file.metadata.spec === undefined) throw new RangeError('checkpoint __metadata__ has no spec');
  return fromJson(file.metadata.spec, 'spec') as TrainerSpec;
}

/** Tensor `name` of `file`, which must exist with `shape`. */
function tensorOf(file: SafetensorsFile, name: string, shape: readonly number[]): TensorEntry {
  const tensor = file.tensors.get(name);
  if (!tensor) throw new RangeError(`checkpoint is missing tensor ${JSON.stringify(name)}`);
  if (tensor.shape.length !== shape.length || tensor.shape.some((d, i) => d !== shape[i])) {
    throw new RangeError(`tensor ${JSON.stringify(name)} must have shape [${shape.join(', ')}], got [${tensor.shape.join(', ')}]`);
  }
  return tensor;
}

function float32Of(file: SafetensorsFile, name: string, shape: readonly number[]): Float32Array {
  return tensorToFloat32(name, tensorOf(file, name, shape));
}

/** Reads and checks a whole checkpoint against a trainer's model and optimizer slots; changes nothing. */
export function decodeCheckpoint(
  bytes: unknown, model: Model, layout: TensorLayout, slotNames: readonly string[],
): Omit<CheckpointState, 'spec' | 'segments' | 'stateSegments' | 'slotSegments'> {
  return checkpointOf(decodeSafetensors(bytes), model, layout, slotNames);
}

/** Where a model's tensors live in its flat buffers: parameters, and states (both by checkpoint name). */
export interface TensorLayout {
  segments: readonly Segment[];
  stateSegments: readonly StateSegment[];
  /** The segments of the tensors trainable under `trainable` (per layer), offsets in the optimizer's slots. */
  slotSegments(trainable: readonly boolean[]): readonly Segment[];
}

/** The state tensors of a file (F32, or an I64 counter), checked against their shapes. */
function statesOf(file: SafetensorsFile, stateSegments: readonly StateSegment[]): Float32Array {
  const states = new Float32Array(stateSegments.reduce((n, s) => n + s.length, 0));
  for (const s of stateSegments) {
    if (s.dtype === 'i64') states[s.offset] = tensorToInteger(s.name, tensorOf(file, s.name, s.shape));
    else states.set(float32Of(file, s.name, s.shape), s.offset);
  }
  return states;
}

function checkpointOf(
  file: SafetensorsFile, model: Model, layout: TensorLayout, slotNames: readonly string[],
): Omit<CheckpointState, 'spec' | 'segments' | 'stateSegments' | 'slotSegments'> {
  const { segments, stateSegments } = layout;
  const spec = readSpec(file);
  if (canonical(withoutTrainable(spec)) !== canonical(withoutTrainable(model.spec))) {
    throw new RangeError('checkpoint spec differs from this trainer\'s spec; build a trainer from the checkpoint with createTrainer(bytes), or use importWeights');
  }
  const size = segments.reduce((n, s) => n + s.length, 0);
  const expected = new Set<string>(['optimizer.step']);
  const params = new Float32Array(size);
  for (const s of segments) {
    expected.add(s.name);
    params.set(float32Of(file, s.name, s.shape), s.offset);
  }
  for (const s of stateSegments) expected.add(s.name);
  const states = statesOf(file, stateSegments);
  const trainable = trainableOf(spec, model.layers.length);
  const slotSegments = layout.slotSegments(trainable);
  const slots = new Map<string, Float32Array>();
  for (const slot of slotNames) {
    const values = new Float32Array(slotSegments.reduce((n, s) => n + s.length, 0));
    for (const s of slotSegments) {
      const name = `optimizer.${slot}.${s.name}`;
      expected.add(name);
      values.set(float32Of(file, name, s.shape), s.offset);
    }
    slots.set(slot, values);
  }
  for (const name of file.tensors.keys()) {
    if (!expected.has(name)) throw new RangeError(`checkpoint has an unexpected tensor ${JSON.stringify(name)}`);
  }
  const stepTensor = file.tensors.get('optimizer.step');
  if (!stepTensor) throw new RangeError('checkpoint is missing tensor "optimizer.step"');
  const step = tensorToInteger('optimizer.step', stepTensor);
  const epoch = Number(file.metadata.epoch);
  if (!Number.isSafeInteger(epoch) || epoch < 0) throw new RangeError(`checkpoint __metadata__.epoch must be a non-negative integer, got ${JSON.stringify(file.metadata.epoch)}`);
  const record = (key: string): Record<string, number> => {
    const value = fromJson(file.metadata[key] ?? '{}', key);
    if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.values(value).every((v) => typeof v === 'number')) {
      throw new RangeError(`checkpoint __metadata__.${key} must be an object of numbers`);
    }
    return value as Record<string, number>;
  };
  const normalization = readNormalization(file, model);
  const history = fromJson(file.metadata.history ?? '[]', 'history');
  if (!Array.isArray(history)) throw new RangeError('checkpoint __metadata__.history must be an array');
  return {
    params, states, slots, optimizerScalars: record('optimizer'), step, epoch, scheduleState: record('schedule'), normalization,
    history: history as EpochLog[], trainable,
  };
}

/** The feature statistics of `normalize: true` stored in a checkpoint (null when it has none). */
export function readNormalization(file: SafetensorsFile, model: Model): CheckpointState['normalization'] {
  const value = fromJson(file.metadata.normalization ?? 'null', 'normalization') as { mean?: unknown; std?: unknown } | null;
  if (value === null) return null;
  const ok = (a: unknown): a is number[] => Array.isArray(a) && a.length === model.inputSize && a.every((v) => typeof v === 'number');
  if (!ok(value.mean) || !ok(value.std)) {
    throw new RangeError(`checkpoint __metadata__.normalization must hold mean and std of ${model.inputSize} numbers`);
  }
  return { mean: Float64Array.from(value.mean), std: Float64Array.from(value.std) };
}

/**
 * What inference needs from a checkpoint made by save() — the weights, states and feature statistics —
 * after checking the whole file as load() does, whatever optimizer slots it carries.
 */
export function decodeForInference(
  bytes: unknown, model: Model, layout: TensorLayout,
): Pick<CheckpointState, 'params' | 'states' | 'normalization'> {
  const file = decodeSafetensors(bytes);
  // optimizer.{slot}.{tensor}: the slot names are what precedes a tensor's name (a slot may hold dots)
  const slotNames = new Set<string>();
  for (const name of file.tensors.keys()) {
    if (!name.startsWith('optimizer.')) continue;
    const tensor = layout.segments.find((s) => name.endsWith(`.${s.name}`) && name.length > 'optimizer.'.length + s.name.length + 1);
    if (tensor) slotNames.add(name.slice('optimizer.'.length, -(tensor.name.length + 1)));
  }
  const { params, states, normalization } = checkpointOf(file, model, layout, [...slotNames]);
  return { params, states, normalization };
}

/** Weights (and states) from safetensors bytes made anywhere: exactly the model's tensor names, shapes checked. */
export function readWeights(bytes: unknown, layout: TensorLayout): { params: Float32Array; states: Float32Array } {
  const file = decodeSafetensors(bytes);
  const { segments, stateSegments } = layout;
  const params = new Float32Array(segments.reduce((n, s) => n + s.length, 0));
  const names = new Set([...segments, ...stateSegments].map((s) => s.name));
  for (const s of segments) params.set(float32Of(file, s.name, s.shape), s.offset);
  const states = statesOf(file, stateSegments);
  for (const name of file.tensors.keys()) {
    if (!names.has(name) && !name.startsWith('optimizer.')) {
      throw new RangeError(`weights file has an unexpected tensor ${JSON.stringify(name)}; expected ${[...names].join(', ')}`);
    }
  }
  return { params, states };
}
