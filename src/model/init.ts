// Seeded initial values of one parameter tensor, for every `init` a tensor may name.
//   glorotUniform  U(±√(6 / (fanIn + fanOut)))                Keras' default for Dense and Conv
//   heNormal       truncated N(0, 2 / fanIn)                  Keras
//   lecunNormal    truncated N(0, 1 / fanIn)                  Keras
//   torchDefault   U(±1 / √fanIn), weights and biases alike   torch.nn.Linear / ConvNd.reset_parameters:
//                  kaiming_uniform_(a = √5) gives the weight bound gain·√(3 / fanIn) with gain = √(2 / (1 + 5)),
//                  which is 1 / √fanIn, and the bias is drawn from U(±1 / √fanIn)
//   normal         N(0, std²), std 1 by default               torch.nn.Embedding; std 0.02: GPT-2's position embedding
//   torchRecurrent U(±1 / √hidden), hidden = fanOut           torch.nn.RNNBase.reset_parameters: every
//                  weight and bias of nn.LSTM / nn.GRU from U(±1 / √hidden_size)
//   zeros, ones

import type { TensorSpec } from './layers/layer.js';
import type { Random } from './random.js';

/** Keras' truncated normal: std sqrt(scale / fanIn) divided by the truncation's own std. */
const TRUNCATED_NORMAL_STD = 0.87962566103423978;

/** Writes `tensor`'s initial values into `values` (its flat elements), drawing from `random`. */
export function fillInitial(values: Float32Array, tensor: TensorSpec, random: Random): void {
  const { init, fanIn, fanOut } = tensor;
  const count = values.length;
  switch (init) {
    case 'zeros':
      values.fill(0);
      return;
    case 'ones':
      values.fill(1);
      return;
    case 'normal': {
      const std = tensor.std ?? 1;
      for (let i = 0; i < count; i++) values[i] = std * random.normal();
      break;
    }
    case 'glorotUniform': {
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < count; i++) values[i] = (2 * random.next() - 1) * limit;
      break;
    }
    case 'torchDefault': {
      const limit = 1 / Math.sqrt(fanIn);
      for (let i = 0; i < count; i++) values[i] = (2 * random.next() - 1) * limit;
      break;
    }
    case 'torchRecurrent': {
      const limit = 1 / Math.sqrt(fanOut);
      for (let i = 0; i < count; i++) values[i] = (2 * random.next() - 1) * limit;
      break;
    }
    case 'heNormal':
    case 'lecunNormal': {
      const std = Math.sqrt((init === 'heNormal' ? 2 : 1) / fanIn) / TRUNCATED_NORMAL_STD;
      for (let i = 0; i < count; i++) values[i] = random.truncatedNormal(std);
      break;
    }
  }
  if (tensor.zeroRow !== undefined) {
    const width = count / tensor.shape[0]!;
    values.fill(0, tensor.zeroRow * width, (tensor.zeroRow + 1) * width);
  }
}
