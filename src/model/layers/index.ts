// The layer types a spec may use, by their `type`: adding one is a module here plus its kernels.

import { notOneOf } from '../../validate.js';
import { AttentionLayer, type AttentionLayerSpec } from './attention.js';
import { ActivationLayer, type ActivationLayerSpec } from './activation.js';
import { BatchNormLayer, type BatchNormLayerSpec } from './batchnorm.js';
import { ConvLayer, type Conv1dLayerSpec, type Conv2dLayerSpec } from './conv.js';
import { DenseLayer, type DenseLayerSpec } from './dense.js';
import { DropoutLayer, type DropoutLayerSpec } from './dropout.js';
import { EmbeddingLayer, type EmbeddingLayerSpec } from './embedding.js';
import { FlattenLayer, type FlattenLayerSpec } from './flatten.js';
import type { Layer } from './layer.js';
import { LayerNormLayer, type LayerNormLayerSpec } from './layernorm.js';
import { AddLayer, type AddLayerSpec, ConcatLayer, type ConcatLayerSpec } from './merge.js';
import { GlobalAvgPoolLayer, type GlobalAvgPoolLayerSpec, PoolLayer, type PoolLayerSpec } from './pool.js';
import { PositionEmbeddingLayer, type PositionEmbeddingLayerSpec } from './position-embedding.js';
import { type GruLayerSpec, type LstmLayerSpec, RecurrentLayer } from './recurrent.js';

export type { ActivationLayerSpec, DenseLayerSpec, DropoutLayerSpec, FlattenLayerSpec };
export type { Layer } from './layer.js';
export { DenseLayer, DropoutLayer, ActivationLayer, FlattenLayer };
export type { GlobalAvgPoolLayerSpec, PoolLayerSpec };
export { GlobalAvgPoolLayer, PoolLayer };
export type { EmbeddingLayerSpec, LayerNormLayerSpec, BatchNormLayerSpec };
export { EmbeddingLayer, LayerNormLayer, BatchNormLayer };
export { ConvLayer, type Conv1dLayerSpec, type Conv2dLayerSpec, type ConvSize } from './conv.js';
export { INITIALIZERS, type Initializer, shapeText, sizeOf } from './layer.js';

export type { AddLayerSpec, ConcatLayerSpec };
export type { GruLayerSpec, LstmLayerSpec };
export { RecurrentLayer };
export type { AttentionLayerSpec, PositionEmbeddingLayerSpec };
export { AttentionLayer, PositionEmbeddingLayer };
export { AddLayer, ConcatLayer };

/** Every entry may also carry these (spec.ts reads them): its name, the entries it reads, whether its tensors train. */
export interface GraphOptions {
  /** Unique; other entries read this one by it. */
  name?: string;
  /** Names of earlier entries or 'input' (the model input); default: the entry before. */
  inputs?: string[];
  /** false: the layer's tensors are frozen (default true). */
  trainable?: boolean;
}

export type LayerSpec = (DenseLayerSpec | DropoutLayerSpec | ActivationLayerSpec | FlattenLayerSpec
  | PoolLayerSpec | GlobalAvgPoolLayerSpec
  | EmbeddingLayerSpec | LayerNormLayerSpec | BatchNormLayerSpec
  | Conv2dLayerSpec | Conv1dLayerSpec | AddLayerSpec | ConcatLayerSpec
  | LstmLayerSpec | GruLayerSpec | AttentionLayerSpec | PositionEmbeddingLayerSpec) & GraphOptions;

type SingleInputFactory = (spec: Record<string, unknown>, path: string, index: number, inputShape: readonly number[]) => Layer;
type MergeFactory = (spec: Record<string, unknown>, path: string, index: number, inputShapes: readonly (readonly number[])[], inputNames: readonly string[]) => Layer;

const LAYER_TYPES: Record<string, SingleInputFactory> = {
  dense: DenseLayer.fromSpec,
  dropout: DropoutLayer.fromSpec,
  activation: ActivationLayer.fromSpec,
  flatten: FlattenLayer.fromSpec,
  maxpool2d: PoolLayer.fromSpec,
  avgpool2d: PoolLayer.fromSpec,
  maxpool1d: PoolLayer.fromSpec,
  avgpool1d: PoolLayer.fromSpec,
  globalavgpool: GlobalAvgPoolLayer.fromSpec,
  embedding: EmbeddingLayer.fromSpec,
  layernorm: LayerNormLayer.fromSpec,
  batchnorm: BatchNormLayer.fromSpec,
  conv2d: ConvLayer.fromSpec,
  conv1d: ConvLayer.fromSpec,
  lstm: RecurrentLayer.fromSpec,
  gru: RecurrentLayer.fromSpec,
  attention: AttentionLayer.fromSpec,
  positionEmbedding: PositionEmbeddingLayer.fromSpec,
};

/** The layers that read several inputs. */
const MERGE_TYPES: Record<string, MergeFactory> = {
  add: AddLayer.fromSpec,
  concat: ConcatLayer.fromSpec,
};

export const LAYER_TYPE_NAMES = [...Object.keys(LAYER_TYPES), ...Object.keys(MERGE_TYPES)];

/**
 * Builds layer `index` of a spec (at `path`, its graph keys already taken out) over rows of
 * `inputShapes` (one per input, read from the entries `inputNames`); errors name the path.
 */
export function layerFromSpec(
  spec: Record<string, unknown>, path: string, index: number, inputShapes: readonly number[] | readonly (readonly number[])[],
  inputNames: readonly string[] = ['input'],
): Layer {
  const shapes = (typeof inputShapes[0] === 'number' ? [inputShapes] : inputShapes) as readonly (readonly number[])[];
  const type = spec.type ?? 'dense';
  const known = (table: object) => typeof type === 'string' && Object.hasOwn(table, type);
  if (known(MERGE_TYPES)) return MERGE_TYPES[type as string]!(spec, path, index, shapes, inputNames);
  if (!known(LAYER_TYPES)) throw notOneOf(`${path}.type`, type, LAYER_TYPE_NAMES);
  if (shapes.length !== 1) {
    throw new RangeError(`${path} (${type}) reads one input, got inputs ${JSON.stringify(inputNames)}: join them first with { type: 'add' } or { type: 'concat' }`);
  }
  return LAYER_TYPES[type as string]!(spec, path, index, shapes[0]!);
}
