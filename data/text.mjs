// Character-level text for sequence models, anywhere (Node, browsers, Deno): the vocabulary, encoding
// and decoding, windows of ids as per-position targets (x [N, T] and y [N, T], y the next character
// of each position), a held-out tail, and the bigram baseline a model has to beat on that tail.
// datasets.mjs (Node) and datasets.web.mjs (browsers) load the bundled text.

/** Throws a RangeError naming `name`, the rule and the value got unless `value` is an integer ≥ `min`. */
function integerAtLeast(name, value, min) {
  if (!Number.isInteger(value) || value < min) throw new RangeError(`${name} must be an integer ≥ ${min}, got ${String(value)}`);
}

/** The distinct characters of `text`, sorted by code point: id i stands for chars[i]. */
export function charVocabulary(text) {
  if (typeof text !== 'string' || text.length === 0) throw new TypeError(`text must be a non-empty string, got ${typeof text === 'string' ? 'an empty string' : typeof text}`);
  // for…of walks code points, so a character outside the BMP stays one character
  return [...new Set(text)].sort((a, b) => a.codePointAt(0) - b.codePointAt(0));
}

/** `text` as ids into `chars` (an Int32Array, one id per character). */
export function encodeText(text, chars) {
  const index = new Map(chars.map((c, i) => [c, i]));
  const ids = new Int32Array([...text].length);
  let at = 0;
  for (const c of text) {
    const id = index.get(c);
    if (id === undefined) throw new RangeError(`text[${at}] is ${JSON.stringify(c)}, which is not in the vocabulary of ${chars.length} characters`);
    ids[at++] = id;
  }
  return ids;
}

/** The characters of `ids` (ids into `chars`) as a string. */
export function decodeIds(ids, chars) {
  let text = '';
  for (let i = 0; i < ids.length; i++) {
    const c = chars[ids[i]];
    if (c === undefined) throw new RangeError(`ids[${i}] must be an id in [0, ${chars.length}), got ${ids[i]}`);
    text += c;
  }
  return text;
}

/**
 * Windows of `length` + 1 consecutive ids, starting every `stride` ids: x holds each window's first
 * `length` ids and y the `length` ids after them (position t's target is the id that follows it),
 * both Int32Array [rows, length]. Ids left over after the last whole window are not used.
 */
export function textWindows(ids, length, stride = length) {
  integerAtLeast('length', length, 1);
  integerAtLeast('stride', stride, 1);
  const rows = ids.length > length ? Math.floor((ids.length - 1 - length) / stride) + 1 : 0;
  const x = new Int32Array(rows * length);
  const y = new Int32Array(rows * length);
  for (let r = 0; r < rows; r++) {
    x.set(ids.subarray(r * stride, r * stride + length), r * length);
    y.set(ids.subarray(r * stride + 1, r * stride + length + 1), r * length);
  }
  return { x, y, rows, length };
}

/** The ids split in two, in order: the first part to train on, the last `fraction` held out. */
export function heldOutSplit(ids, fraction = 0.1) {
  if (!(fraction > 0 && fraction < 1)) throw new RangeError(`fraction must be in (0, 1), got ${String(fraction)}`);
  const cut = ids.length - Math.round(ids.length * fraction);
  return { train: ids.subarray(0, cut), heldOut: ids.subarray(cut) };
}

/**
 * The held-out cross-entropy (nats per character, mean over every consecutive pair of `heldOut`) of a
 * bigram model fitted on `train` with add-k smoothing: P(b | a) = (count(a, b) + k) / (count(a) + k·V),
 * counts over the consecutive pairs of `train`, V = `vocabSize`. Computed in float64.
 */
export function bigramCrossEntropy(train, heldOut, vocabSize, k = 1) {
  integerAtLeast('vocabSize', vocabSize, 1);
  if (!(k > 0 && Number.isFinite(k))) throw new RangeError(`k must be a finite number above 0, got ${String(k)}`);
  if (heldOut.length < 2) throw new RangeError(`heldOut must hold at least 2 ids (one pair), got ${heldOut.length}`);
  const pairs = new Float64Array(vocabSize * vocabSize);
  const from = new Float64Array(vocabSize);
  const check = (ids, name) => {
    for (let i = 0; i < ids.length; i++) {
      if (!(ids[i] >= 0 && ids[i] < vocabSize)) throw new RangeError(`${name}[${i}] must be an id in [0, ${vocabSize}), got ${ids[i]}`);
    }
  };
  check(train, 'train');
  check(heldOut, 'heldOut');
  for (let i = 0; i + 1 < train.length; i++) {
    pairs[train[i] * vocabSize + train[i + 1]]++;
    from[train[i]]++;
  }
  let sum = 0;
  for (let i = 0; i + 1 < heldOut.length; i++) {
    const a = heldOut[i];
    sum -= Math.log((pairs[a * vocabSize + heldOut[i + 1]] + k) / (from[a] + k * vocabSize));
  }
  return sum / (heldOut.length - 1);
}

/**
 * A text made ready for a character-level model: its vocabulary, the training windows (every `stride`
 * ids) and the held-out windows (the last `heldOutFraction` of the text, windows side by side, so each
 * held-out pair is a target once), and the add-k bigram's cross-entropy over exactly those held-out
 * pairs: the line a model's held-out loss has to get under. k = 0.1 by default: on the bundled text it
 * is within 0.001 nats of the best k (add-one is 0.014 nats weaker), so the line is not an easy one.
 */
export function prepareText(text, { length = 64, stride = length, heldOutFraction = 0.1, k = 0.1 } = {}) {
  const chars = charVocabulary(text);
  const ids = encodeText(text, chars);
  const { train, heldOut } = heldOutSplit(ids, heldOutFraction);
  const heldOutWindows = textWindows(heldOut, length, length);
  if (heldOutWindows.rows === 0) throw new RangeError(`the held-out part (${heldOut.length} characters) must be longer than length (${length})`);
  const trainWindows = textWindows(train, length, stride);
  return {
    chars,
    vocabSize: chars.length,
    ids,
    trainIds: train,
    heldOutIds: heldOut,
    train: trainWindows,
    heldOut: heldOutWindows,
    bigram: bigramCrossEntropy(train, heldOut.subarray(0, heldOutWindows.rows * length + 1), chars.length, k),
  };
}
