// Multiply-adds per row of a model's forward pass, estimated from its layers: a dense or
// convolution layer does one per weight per output position; every other layer about one per
// output value. Data-parallel training sizes its chunks with it (parallel/protocol.ts).

import { sizeOf } from './layers/layer.js';
import type { Model } from './spec.js';

const WEIGHTED = new Set(['dense', 'conv1d', 'conv2d']);

export function multiplyAddsPerRow(model: Model): number {
  let total = 0;
  for (const layer of model.layers) {
    if (WEIGHTED.has(layer.type)) {
      const weight = layer.tensors.find((t) => t.name === 'weight')!;
      const channels = layer.outputShape[layer.outputShape.length - 1]!;
      total += sizeOf(weight.shape) * (layer.outputSize / channels);
    } else {
      total += layer.outputSize;
    }
  }
  return total;
}
