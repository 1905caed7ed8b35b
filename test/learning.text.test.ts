// Character-level models learn the bundled text (Moby-Dick, chapters 1-22) on every build: an LSTM and
// a transformer, each one epoch over windows of 32 characters, end with a held-out loss below the
// add-k bigram's, computed here from the same split (data/text.mjs; test/data.text.test.ts checks it
// against a plain count). Then each writes on from a prompt with generate.
import { describe, expect, it } from 'vitest';
import { createTrainer, type LayerSpec } from '../src/index.js';
import { BUILDS } from './reference/builds.js';
// @ts-expect-error: plain JavaScript module without declarations
import { loadMobyDick } from '../data/datasets.mjs';
// @ts-expect-error: plain JavaScript module without declarations
import { decodeIds, encodeText, prepareText } from '../data/text.mjs';

const T = 32;
const book = prepareText(loadMobyDick(), { length: T }) as {
  chars: string[]; vocabSize: number; bigram: number;
  train: { x: Int32Array; y: Int32Array }; heldOut: { x: Int32Array; y: Int32Array };
};

const width = 32;
const MODELS: Record<string, { layers: LayerSpec[]; learningRate: number; batchSize: number }> = {
  lstm: {
    layers: [
      { type: 'embedding', vocabSize: book.vocabSize, units: 16 },
      { type: 'lstm', units: 64, returnSequences: true },
      { units: book.vocabSize },
    ],
    learningRate: 0.01,
    batchSize: 32,
  },
  // one pre-LN block: layernorm → causal attention → add, layernorm → MLP → add
  transformer: {
    layers: [
      { type: 'embedding', vocabSize: book.vocabSize, units: width },
      { type: 'positionEmbedding', name: 'x' },
      { type: 'layernorm' },
      { type: 'attention', heads: 4, causal: true, name: 'attn' },
      { type: 'add', inputs: ['x', 'attn'], name: 'mid' },
      { type: 'layernorm' },
      { units: 4 * width, activation: 'gelu' },
      { units: width, name: 'mlp' },
      { type: 'add', inputs: ['mid', 'mlp'] },
      { type: 'layernorm' },
      { units: book.vocabSize },
    ],
    learningRate: 0.01,
    batchSize: 16,
  },
};

describe.each(BUILDS)('character-level models on the bundled text (%s build)', (build) => {
  it.each(Object.keys(MODELS))('%s: one epoch ends under the bigram line held out, then writes from a prompt', async (kind) => {
    const { layers, learningRate, batchSize } = MODELS[kind]!;
    const trainer = await createTrainer({
      inputShape: [T], layers, loss: 'softmax_cross_entropy', optimizer: { name: 'adam', learningRate, clipGlobalNorm: 1 }, seed: 1,
    }, { worker: false, build });
    try {
      const { epochs } = await trainer.fit(book.train.x, book.train.y, { epochs: 1, batchSize, validationData: [book.heldOut.x, book.heldOut.y] });
      const heldOut = epochs[0]!.valLoss!;
      console.log(`${kind} (${build}): held-out ${heldOut.toFixed(4)} nats/char after one epoch, bigram ${book.bigram.toFixed(4)}`);
      // uniform guessing would be ln 78 = 4.36; the bigram line is 2.46
      expect(heldOut).toBeLessThan(book.bigram);
      const written = await trainer.generate(encodeText('Call me Ishmael. ', book.chars), { steps: 80, temperature: 0.7, seed: 3 });
      const text = decodeIds(written, book.chars) as string;
      expect([...text]).toHaveLength(80);
      // what it writes has spaces between words: more than one in ten characters, as English has
      expect(text.split(' ').length - 1).toBeGreaterThan(8);
    } finally {
      await trainer.dispose();
    }
  });
});
