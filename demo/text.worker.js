// Loads the bundled text and makes it ready for a character-level model off the main thread: the
// vocabulary, the training and held-out windows (Int32 [N, T], moved to the page without a copy)
// and the bigram line (encoding and windowing 217,057 characters would cost the page ~20 ms or more).
import { loadMobyDick } from '../data/datasets.web.mjs';
import { prepareText } from '../data/text.mjs';

let text = null; // the loaded text, kept for the next request

self.onmessage = async ({ data: { id, length } }) => {
  try {
    text ??= loadMobyDick();
    const p = prepareText(await text, { length });
    self.postMessage(
      {
        id,
        chars: p.chars,
        length,
        train: p.train,
        heldOut: p.heldOut,
        bigram: p.bigram,
        characters: p.ids.length,
        trainCharacters: p.trainIds.length,
      },
      [p.train.x.buffer, p.train.y.buffer, p.heldOut.x.buffer, p.heldOut.y.buffer],
    );
  } catch (error) {
    text = null;
    self.postMessage({ id, error: error.message });
  }
};
