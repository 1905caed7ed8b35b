// The layer types a spec may use, by their `type`: adding one is a module here plus its kernels.

import { notOneOf } from '../../validate.js';
import { ActivationLayer, type ActivationLayerSpec } from './activation.js';
import { BatchNormLayer, type BatchNormLayerSpec } from './batchnorm.js';
import { ConvLayer, type Conv1dLayerSpec, type Conv2dLayerSpec } from './conv.js';
import { DenseLayer, type DenseLayerSpec } from './dense.js';
import { DropoutLayer, type DropoutLayerSpec } from './dropout.js';
import { EmbeddingLayer, type EmbeddingLayerSpec } from './embedding.js';
import { FlattenLayer, type FlattenLayerSpec } from './flatten.js';
import type { Layer } from './layer.js';
import { LayerNormLayer, type LayerNormLayerSpec } from './layernorm.js';
import { GlobalAvgPoolLayer, type GlobalAvgPoolLayerSpec, PoolLayer, type PoolLayerSpec } from './pool.js';

export type { ActivationLayerSpec, DenseLayerSpec, DropoutLayerSpec, FlattenLayerSpec };
export type { Layer } from './layer.js';
export { DenseLayer, DropoutLayer, ActivationLayer, FlattenLayer };
export type { GlobalAvgPoolLayerSpec, PoolLayerSpec };
export { GlobalAvgPoolLayer, PoolLayer };
export type { EmbeddingLayerSpec, LayerNormLayerSpec, BatchNormLayerSpec };
export { EmbeddingLayer, LayerNormLayer, BatchNormLayer };
export { ConvLayer, type Conv1dLayerSpec, type Conv2dLayerSpec, type ConvSize } from './conv.js';
export { INITIALIZERS, type Initializer, shapeText, sizeOf } from './layer.js';

export type LayerSpec = DenseLayerSpec | DropoutLayerSpec | ActivationLayerSpec | FlattenLayerSpec
  | PoolLayerSpec | GlobalAvgPoolLayerSpec
  | EmbeddingLayerSpec | LayerNormLayerSpec | BatchNormLayerSpec
  | Conv2dLayerSpec | Conv1dLayerSpec;

type LayerFactory = (spec: Record<string, unknown>, path: string, index: number, inputShape: readonly number[]) => Layer;

const LAYER_TYPES: Record<string, LayerFactory> = {
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
};

export const LAYER_TYPE_NAMES = Object.keys(LAYER_TYPES);

/** Builds layer `index` of a spec (at `path`) over rows of `inputShape`; errors name the path. */
export function layerFromSpec(spec: Record<string, unknown>, path: string, index: number, inputShape: readonly number[]): Layer {
  const type = spec.type ?? 'dense';
  const factory = typeof type === 'string' && Object.hasOwn(LAYER_TYPES, type) ? LAYER_TYPES[type] : undefined;
  if (!factory) throw notOneOf(`${path}.type`, type, LAYER_TYPE_NAMES);
  return factory(spec, path, index, inputShape);
}
