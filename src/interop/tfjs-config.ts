// What every tfjs layer mapping shares: reading a Keras layer config's options, and the description
// of where each descent tensor's values come from in the tfjs weights.

import type { LayerSpec } from '../model/layers/index.js';

/**
 * Where a descent tensor's values come from: a tfjs weight of the layer, or a constant (Keras'
 * center/scale off, a bias Keras does not have). The tfjs weight is turned into torch's layout in
 * this order: `row` picks one row of a weight with a leading axis of `of` rows (Keras' GRU bias
 * [2, 3U]: input and recurrent bias); `perm` reorders its axes (axis perm[i] of tfjs is axis i of
 * torch); `gates` reorders equal blocks of torch's first axis (torch's block j is tfjs's gates[j]).
 */
export type TensorSource =
  | { weight: string; perm?: readonly number[]; row?: { index: number; of: number }; gates?: readonly number[] }
  | { fill: number };

export interface MappedLayer {
  /** null for InputLayer, which only gives the input shape. */
  spec: LayerSpec | null;
  /** By descent tensor name ('weight', 'bias', 'running_mean', …). */
  tensors: Record<string, TensorSource>;
  /** What the mapping could not keep (shown with the import's result). */
  notes: string[];
}

/** A layer config's value by its snake_case key (Keras, tfjs) or camelCase (hand-written configs). */
export function option(config: Record<string, unknown>, key: string): unknown {
  const camel = key.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
  return config[key] ?? config[camel];
}

/** An activation's name: Keras 3 writes some as { class_name, config }, tfjs and Keras 2 as a string. */
export function activationName(value: unknown): unknown {
  return typeof value === 'object' && value !== null && 'class_name' in value ? (value as { class_name: unknown }).class_name : value;
}
