// Multiply-adds per row of a model's forward pass, from its layers: a layer that declares its cost
// (dense, convolution: one per weight per output position) gives it; every other layer costs about
// one per output value. Data-parallel training sizes its chunks with it (parallel/protocol.ts).

import type { Model } from './spec.js';

/** Multiply-adds of one row's forward pass through every entry. */
export function multiplyAddsPerRow(model: Model): number {
  return model.layers.reduce((total, layer) => total + (layer.multiplyAdds ?? layer.outputSize), 0);
}
