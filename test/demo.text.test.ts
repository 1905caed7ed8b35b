// The writing page's parts that run without a page: its two model specs (they build, have the
// parameter counts worked out by hand below, and can be sampled by generate) and how it shows text
// and the next-character distribution.
import { describe, expect, it } from 'vitest';
import { createTrainer } from '../src/index.js';
// @ts-expect-error: plain JavaScript module without declarations
import { TEXT_MODELS, textLayers, textSpec } from '../demo/text-models.js';
// @ts-expect-error: plain JavaScript module without declarations
import { asProse, charLabel, nextChars } from '../demo/text-view.js';

describe("the writing page's models", () => {
  // LSTM: embedding 78·32 = 2,496; lstm 4·128·(32 + 128) + 2·4·128 = 82,944; dense 128·78 + 78 = 10,062.
  // Transformer (width 64): embedding 78·64 = 4,992; positions 64·64 = 4,096; per block: two layernorms
  // 2·128, attention 3·64·64 + 3·64 + 64·64 + 64 = 16,640, MLP 64·256 + 256 + 256·64 + 64 = 33,088, so
  // 49,984, twice; final layernorm 128; dense 64·78 + 78 = 5,070.
  const expected: Record<string, number> = { lstm: 2_496 + 82_944 + 10_062, transformer: 4_992 + 4_096 + 2 * 49_984 + 128 + 5_070 };

  it.each(Object.keys(TEXT_MODELS))('%s builds for 78 characters in windows of 64, with the parameters counted by hand, and generates', async (kind) => {
    const trainer = await createTrainer(textSpec(kind, 78, 64), { worker: false });
    try {
      expect(trainer.info.parameters).toBe(expected[kind]);
      const written = await trainer.generate([1, 2, 3], { steps: 5, temperature: 0.8, seed: 1 });
      expect(written).toHaveLength(5);
      expect([...written].every((id) => id >= 0 && id < 78)).toBe(true);
    } finally {
      await trainer.dispose();
    }
  });

  it('refuses a model it does not know, naming the ones it has', () => {
    expect(() => textLayers('gru', 78)).toThrow(`model must be one of 'lstm', 'transformer'; got "gru"`);
  });
});

describe("the writing page's text views", () => {
  it('prose: hard line breaks become spaces, paragraph breaks stay one blank line', () => {
    expect(asProse('Call me\nIshmael.\n\nSome years\nago')).toBe('Call me Ishmael.\n\nSome years ago');
    expect(asProse('a\n\n\n\nb')).toBe('a\n\nb');
  });

  it('names the characters a bar cannot show', () => {
    expect([' ', '\n', 'a', '—'].map(charLabel)).toEqual(['␣', '↵', 'a', '—']);
  });

  it('ranks the next-character probabilities at a position', () => {
    // two positions of three characters: position 1 is [0.2, 0.5, 0.3]
    const out = Float32Array.from([0.9, 0.05, 0.05, 0.2, 0.5, 0.3]);
    expect(nextChars(out, 1, ['a', 'b', 'c'], 2).map(({ char, p }: { char: string; p: number }) => [char, Number(p.toFixed(6))])).toEqual([['b', 0.5], ['c', 0.3]]);
  });
});
