// Character-level models on the bundled text (data/moby-dick.txt.gz, chapters 1–22 of Moby-Dick): an
// LSTM and a causal transformer each reach a held-out loss (nats per character, mean over every
// held-out position) below the add-k bigram's on the same held-out pairs, computed in this test from
// counts (data/text.mjs). Then each samples text with generate: ids in the vocabulary, decodable.
import { describe, expect, it } from 'vitest';
import { createTrainer, type TrainerSpec } from '../src/index.js';
import { decodeIds, encodeText, loadMobyDick, prepareText } from '../data/datasets.mjs';

const T = 32;
const text = prepareText(loadMobyDick(), { length: T }) as {
  chars: string[]; vocabSize: number; bigram: number;
  train: { x: Int32Array; y: Int32Array }; heldOut: { x: Int32Array; y: Int32Array };
};
const V = text.vocabSize;
const C = 64;

const MODELS: [string, TrainerSpec, number][] = [
  ['LSTM(128)', {
    inputShape: [T], loss: 'softmax_cross_entropy', optimizer: { name: 'adam', learningRate: 0.01 }, seed: 1,
    layers: [{ type: 'embedding', vocabSize: V, units: 32 }, { type: 'lstm', units: 128, returnSequences: true }, { units: V }],
  }, 1],
  ['a pre-LN transformer block (d 64, 4 heads, causal)', {
    inputShape: [T], loss: 'softmax_cross_entropy', optimizer: { name: 'adam', learningRate: 0.003 }, seed: 1,
    layers: [
      { type: 'embedding', vocabSize: V, units: C }, { type: 'positionEmbedding', name: 'pos' },
      { type: 'layernorm' }, { type: 'attention', heads: 4, causal: true, name: 'att' }, { type: 'add', inputs: ['att', 'pos'], name: 'r1' },
      { type: 'layernorm' }, { units: 4 * C, activation: 'gelu' }, { units: C, name: 'mlp' }, { type: 'add', inputs: ['mlp', 'r1'] },
      { type: 'layernorm' }, { units: V },
    ],
  }, 2],
];

describe('character-level models on the bundled text', () => {
  it('the bigram line is a real one: well under the uniform model\'s log V', () => {
    expect(text.bigram).toBeGreaterThan(2);
    expect(text.bigram).toBeLessThan(Math.log(V) - 1.5);
  });

  it.each(MODELS)('%s reaches a held-out loss below the bigram model\'s, and samples text', async (_name, spec, epochs) => {
    const t = await createTrainer(spec, { worker: false });
    try {
      const before = await t.evaluate(text.heldOut.x, text.heldOut.y);
      expect(before.loss).toBeGreaterThan(text.bigram);
      await t.fit(text.train.x, text.train.y, { epochs, batchSize: 32 });
      const after = await t.evaluate(text.heldOut.x, text.heldOut.y);
      expect(after.loss).toBeLessThan(text.bigram);
      const prompt = encodeText('Call me ', text.chars) as Int32Array;
      const sample = await t.generate(prompt, { steps: 80, temperature: 0.8, seed: 1 });
      expect(sample).toHaveLength(80);
      expect((decodeIds(sample, text.chars) as string).length).toBe(80);
    } finally {
      await t.dispose();
    }
  });
});
