// The two character-level models the writing page offers, as descent specs: an LSTM, and a small
// GPT-style transformer (pre-LN blocks: layernorm → causal attention → add, layernorm → MLP → add).
// Both map T character ids to T rows of next-character logits, so trainer.generate can sample them.
// Sizes and rates picked with PyTorch on the same data (T = 64): after one epoch the LSTM's held-out
// loss is 2.08 nats/char against the bigram's 2.46; the transformer sits near the bigram for its first
// epoch (it has to learn to look back before it can use more than one character) and passes it in
// the second: 2.22 with Adam 0.01 in batches of 16, where 0.003 in batches of 32 was still at 2.42.

export const TEXT_MODELS = {
  lstm: {
    label: 'LSTM (128 units)',
    caption: 'An LSTM reads the text one character at a time, carrying a memory of 128 numbers forward.',
    learningRate: 0.01,
    batchSize: 32,
  },
  transformer: {
    label: 'Transformer (2 blocks, 4 heads)',
    caption: 'A transformer: every position looks back at all earlier ones through 4 attention heads, in 2 blocks.',
    learningRate: 0.01,
    batchSize: 16,
  },
};

/** One pre-LN transformer block over `width` channels reading entry `from`; its output entry is named `${prefix}out`. */
function block(prefix, from, width, heads) {
  return [
    { type: 'layernorm', name: `${prefix}ln1`, inputs: [from] },
    { type: 'attention', heads, causal: true, name: `${prefix}attn` },
    { type: 'add', inputs: [from, `${prefix}attn`], name: `${prefix}mid` },
    { type: 'layernorm', name: `${prefix}ln2` },
    { units: 4 * width, activation: 'gelu' },
    { units: width, name: `${prefix}mlp` },
    { type: 'add', inputs: [`${prefix}mid`, `${prefix}mlp`], name: `${prefix}out` },
  ];
}

/** The layers of model `kind` ('lstm' or 'transformer') for a vocabulary of `vocabSize` characters. */
export function textLayers(kind, vocabSize) {
  if (kind === 'lstm') {
    return [
      { type: 'embedding', vocabSize, units: 32 },
      { type: 'lstm', units: 128, returnSequences: true },
      { units: vocabSize },
    ];
  }
  if (kind === 'transformer') {
    const width = 64;
    return [
      { type: 'embedding', vocabSize, units: width },
      { type: 'positionEmbedding', name: 'b0out' },
      ...block('b1', 'b0out', width, 4),
      ...block('b2', 'b1out', width, 4),
      { type: 'layernorm' },
      { units: vocabSize },
    ];
  }
  throw new RangeError(`model must be one of ${Object.keys(TEXT_MODELS).map((k) => `'${k}'`).join(', ')}; got ${JSON.stringify(kind)}`);
}

/** The whole spec: windows of `length` ids in, per-position softmax cross-entropy, Adam. */
export function textSpec(kind, vocabSize, length, seed = 1) {
  return {
    inputShape: [length],
    layers: textLayers(kind, vocabSize),
    loss: 'softmax_cross_entropy',
    optimizer: { name: 'adam', learningRate: TEXT_MODELS[kind].learningRate, clipGlobalNorm: 1 },
    seed,
  };
}
