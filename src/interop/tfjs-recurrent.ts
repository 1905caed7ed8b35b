// Keras/tfjs LSTM and GRU layers as descent's lstm and gru (torch's nn.LSTM / nn.GRU). Keras keeps
// kernel [C, G·U], recurrent_kernel [U, G·U] and one bias; torch keeps weight_ih [G·U, C], weight_hh
// [G·U, U] and two biases. LSTM's gate blocks are in the same order (Keras i, f, c, o = torch i, f, g,
// o), and its one bias goes into bias_ih with bias_hh zero (they are only ever added). GRU's blocks
// are z, r, h in Keras and r, z, n in torch; Keras' `reset_after: true` (Keras 2 and 3's default,
// bias [2, 3U]: input and recurrent bias) is torch's formula, r ⊙ (W_hn·h + b_hn); `reset_after:
// false` (tfjs-layers' only GRU: it throws on true) applies r before the product, (r ⊙ h)·W_hn, which
// no torch GRU computes, so it is refused rather than imported with other predictions.
// tfjs's default recurrent_activation is hard_sigmoid (Keras 2 and 3: sigmoid); descent's cells are
// torch's, sigmoid gates and tanh, so any other activation is refused.

import type { LayerSpec } from '../model/layers/index.js';
import { describe } from '../validate.js';
import { activationName, type MappedLayer, option, type TensorSource } from './tfjs-config.js';

/** Options that change what the layer computes and that descent's cells do not have: refused when on. */
const REFUSED = {
  go_backwards: 'descent reads the steps forwards',
  return_state: "descent's layer gives one output",
  stateful: 'descent starts every row from a zero state',
  time_major: "descent's rows are [T, C] (batch first)",
} as const;

/** Maps an LSTM or GRU layer config. */
export function recurrentLayer(where: string, className: 'LSTM' | 'GRU', config: Record<string, unknown>): MappedLayer {
  const notes: string[] = [];
  const activation = activationName(option(config, 'activation') ?? 'tanh');
  if (activation !== 'tanh') throw new RangeError(`${where} activation must be 'tanh' to import (torch's ${className} cell), got ${describe(activation)}`);
  // tfjs-layers writes its default, hard_sigmoid, into the config; a config without the key is Keras 2/3's sigmoid
  const gate = activationName(option(config, 'recurrent_activation') ?? 'sigmoid');
  if (gate !== 'sigmoid') {
    throw new RangeError(`${where} recurrent_activation must be 'sigmoid' to import (torch's ${className} gates), got ${describe(gate)}` +
      (gate === 'hard_sigmoid' || gate === 'hardSigmoid' ? "; tfjs-layers' default is hard_sigmoid: build the layer with recurrentActivation: 'sigmoid'" : ''));
  }
  for (const [key, why] of Object.entries(REFUSED)) {
    const value = option(config, key);
    if (value !== undefined && value !== null && value !== false) throw new RangeError(`${where} ${key} must be false to import (${why}), got ${describe(value)}`);
  }
  if (Number(option(config, 'dropout') ?? 0) > 0 || Number(option(config, 'recurrent_dropout') ?? 0) > 0) {
    notes.push(`${where}: dropout and recurrent_dropout are not imported (predictions are unchanged; training runs without them)`);
  }
  if (['kernel_regularizer', 'recurrent_regularizer', 'bias_regularizer', 'activity_regularizer'].some((k) => option(config, k))) {
    notes.push(`${where}: regularizers are not imported`);
  }
  const useBias = option(config, 'use_bias') !== false;
  if (!useBias) notes.push(`${where}: use_bias false in Keras; descent's ${className.toLowerCase()} has biases, imported as zeros and trained`);
  const spec = { type: className === 'LSTM' ? 'lstm' : 'gru', units: option(config, 'units') as number, returnSequences: option(config, 'return_sequences') === true } as LayerSpec;
  if (className === 'LSTM') {
    const tensors: Record<string, TensorSource> = {
      weight_ih_l0: { weight: 'kernel', perm: [1, 0] },
      weight_hh_l0: { weight: 'recurrent_kernel', perm: [1, 0] },
      bias_ih_l0: useBias ? { weight: 'bias' } : { fill: 0 },
      bias_hh_l0: { fill: 0 },
    };
    return { spec, tensors, notes };
  }
  const resetAfter = option(config, 'reset_after');
  if (resetAfter !== true) {
    throw new RangeError(`${where} reset_after must be true to import (torch's GRU applies the reset gate after the recurrent product, ` +
      `r ⊙ (W_hn·h + b_hn)), got ${describe(resetAfter)}; tfjs-layers builds only reset_after false GRUs: rebuild it in Keras (reset_after=True, the default) or use an LSTM`);
  }
  // torch's r, z, n blocks are Keras' z, r, h blocks 1, 0, 2
  const gates = [1, 0, 2];
  const tensors: Record<string, TensorSource> = {
    weight_ih_l0: { weight: 'kernel', perm: [1, 0], gates },
    weight_hh_l0: { weight: 'recurrent_kernel', perm: [1, 0], gates },
    bias_ih_l0: useBias ? { weight: 'bias', row: { index: 0, of: 2 }, gates } : { fill: 0 },
    bias_hh_l0: useBias ? { weight: 'bias', row: { index: 1, of: 2 }, gates } : { fill: 0 },
  };
  return { spec, tensors, notes };
}
