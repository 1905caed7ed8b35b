// The bundled text and its character-level loader (data/text.mjs): vocabulary, encoding, windows of
// per-position targets, the held-out tail and the add-k bigram baseline. The small cases are worked
// by hand in the comments; the bundled text's numbers are checked against a second, plain count.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: plain JavaScript module without declarations
import * as datasets from '../data/datasets.mjs';
// @ts-expect-error: plain JavaScript module without declarations
import * as text from '../data/text.mjs';

interface Windows { x: Int32Array; y: Int32Array; rows: number; length: number }
const { bigramCrossEntropy, charVocabulary, decodeIds, encodeText, heldOutSplit, prepareText, textWindows } = text as {
  bigramCrossEntropy(train: Int32Array, heldOut: Int32Array, vocabSize: number, k?: number): number;
  charVocabulary(text: string): string[];
  decodeIds(ids: ArrayLike<number>, chars: string[]): string;
  encodeText(text: string, chars: string[]): Int32Array;
  heldOutSplit(ids: Int32Array, fraction?: number): { train: Int32Array; heldOut: Int32Array };
  prepareText(text: string, options?: { length?: number; stride?: number; heldOutFraction?: number; k?: number }): {
    chars: string[]; vocabSize: number; ids: Int32Array; trainIds: Int32Array; heldOutIds: Int32Array; train: Windows; heldOut: Windows; bigram: number;
  };
  textWindows(ids: Int32Array, length: number, stride?: number): Windows;
};
const loadMobyDick = (datasets as { loadMobyDick(): string }).loadMobyDick;

describe('character vocabulary, encoding, decoding', () => {
  it('the vocabulary is the distinct characters sorted by code point; encode and decode invert each other', () => {
    expect(charVocabulary('hello, world')).toEqual([' ', ',', 'd', 'e', 'h', 'l', 'o', 'r', 'w']);
    // curly quotes and the em dash sort after ASCII (U+2014, U+2018, U+2019); an astral character stays one
    expect(charVocabulary('“a—b’ 😀')).toEqual([' ', 'a', 'b', '—', '’', '“', '😀']);
    const chars = charVocabulary('abcab');
    expect(Array.from(encodeText('cab', chars))).toEqual([2, 0, 1]);
    expect(decodeIds([2, 0, 1, 1], chars)).toBe('cabb');
    const emoji = charVocabulary('x😀y');
    expect(Array.from(encodeText('😀x😀', emoji))).toEqual([2, 0, 2]);
    expect(decodeIds(encodeText('y😀x', emoji), emoji)).toBe('y😀x');
  });

  it('refuses what is not in the vocabulary, naming the position and the value', () => {
    const chars = charVocabulary('abc');
    expect(() => encodeText('abz', chars)).toThrow('text[2] is "z", which is not in the vocabulary of 3 characters');
    expect(() => decodeIds([0, 3], chars)).toThrow('ids[1] must be an id in [0, 3), got 3');
    expect(() => decodeIds([-1], chars)).toThrow('ids[0] must be an id in [0, 3), got -1');
    expect(() => charVocabulary('')).toThrow('text must be a non-empty string, got an empty string');
  });
});

describe('windows of per-position targets', () => {
  it('x is each window\'s first T ids, y the next id of every position', () => {
    const ids = Int32Array.from([0, 1, 2, 3, 4, 5, 6]);
    // T = 3, stride 3: windows [0..3] and [3..6]; 7 ids make exactly two windows of 4
    const w = textWindows(ids, 3);
    expect(w.rows).toBe(2);
    expect(Array.from(w.x)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(Array.from(w.y)).toEqual([1, 2, 3, 4, 5, 6]);
    // stride 2 overlaps: starts 0, 2 (a start at 4 would need ids up to 7)
    const overlapping = textWindows(ids, 3, 2);
    expect(overlapping.rows).toBe(2);
    expect(Array.from(overlapping.x)).toEqual([0, 1, 2, 2, 3, 4]);
    expect(Array.from(overlapping.y)).toEqual([1, 2, 3, 3, 4, 5]);
    // stride 1 with T = 6: the one window there is
    expect(textWindows(ids, 6, 1).rows).toBe(1);
    // too short for one window: none
    expect(textWindows(ids, 7).rows).toBe(0);
    expect(() => textWindows(ids, 0)).toThrow('length must be an integer ≥ 1, got 0');
    expect(() => textWindows(ids, 3, 1.5)).toThrow('stride must be an integer ≥ 1, got 1.5');
  });

  it('the held-out part is the last fraction of the ids, in order', () => {
    const ids = Int32Array.from({ length: 20 }, (_, i) => i);
    const { train, heldOut } = heldOutSplit(ids, 0.1);
    expect(Array.from(train)).toEqual(Array.from({ length: 18 }, (_, i) => i));
    expect(Array.from(heldOut)).toEqual([18, 19]);
    expect(() => heldOutSplit(ids, 1)).toThrow('fraction must be in (0, 1), got 1');
  });
});

describe('the add-k bigram baseline', () => {
  it('matches a hand-worked case (add-one, two symbols)', () => {
    // train 0 1 0 1 1: pairs (0,1) (1,0) (0,1) (1,1). From 0: count(0,1) = 2 of 2; from 1: one each of 2.
    // add-one: P(1|0) = 3/4, P(1|1) = 2/4, P(0|1) = 2/4.
    // held out 0 1 1 0: pairs (0,1) (1,1) (1,0): −(ln 3/4 + ln 1/2 + ln 1/2) / 3
    const train = Int32Array.from([0, 1, 0, 1, 1]);
    const heldOut = Int32Array.from([0, 1, 1, 0]);
    expect(bigramCrossEntropy(train, heldOut, 2, 1)).toBeCloseTo((Math.log(4 / 3) + 2 * Math.log(2)) / 3, 14);
    // add-k, k = 0.5, three symbols (2 never seen): P(1|0) = 2.5/3.5, P(1|1) = 1.5/3.5, P(0|1) = 1.5/3.5
    expect(bigramCrossEntropy(train, heldOut, 3, 0.5)).toBeCloseTo((Math.log(3.5 / 2.5) + 2 * Math.log(3.5 / 1.5)) / 3, 14);
    // a context never seen in training (2) gives the uniform 1/V: k / (0 + k·V)
    expect(bigramCrossEntropy(train, Int32Array.from([2, 0]), 3, 0.5)).toBeCloseTo(Math.log(3), 14);
  });

  it('refuses ids outside the vocabulary and too short a held-out part', () => {
    expect(() => bigramCrossEntropy(Int32Array.from([0, 2]), Int32Array.from([0, 1]), 2)).toThrow('train[1] must be an id in [0, 2), got 2');
    expect(() => bigramCrossEntropy(Int32Array.from([0, 1]), Int32Array.from([0]), 2)).toThrow('heldOut must hold at least 2 ids (one pair), got 1');
    expect(() => bigramCrossEntropy(Int32Array.from([0, 1]), Int32Array.from([0, 1]), 2, 0)).toThrow('k must be a finite number above 0, got 0');
  });
});

describe('the bundled text (Moby-Dick, chapters 1 to 22)', () => {
  const moby = loadMobyDick();

  it('is the excerpt data/README.md names: 217,057 characters of public-domain English, 78 distinct', () => {
    expect(createHash('sha256').update(moby, 'utf8').digest('hex')).toBe('b8d6d0094e373d8d5451dcb31eb665472cf1d28c9a99ee701fc2ebda82c5e3de');
    expect(moby.length).toBe(217_057);
    expect(moby.startsWith('CHAPTER 1. Loomings.\n\nCall me Ishmael.')).toBe(true);
    expect(moby.endsWith('and blindly plunged like fate into the lone\nAtlantic.\n')).toBe(true);
    expect(charVocabulary(moby)).toHaveLength(78);
    // the file on disk is that text gzipped, nothing else
    expect(gunzipSync(readFileSync(new URL('../data/moby-dick.txt.gz', import.meta.url))).toString('utf8')).toBe(moby);
  });

  it('prepareText: windows, held-out tail and the bigram line agree with a plain count over strings', () => {
    const T = 64;
    const p = prepareText(moby, { length: T, k: 0.1 });
    expect(p.vocabSize).toBe(78);
    expect(decodeIds(p.ids, p.chars)).toBe(moby);
    // the last 10 % held out, windows side by side over it: 21,706 ids make 339 windows of 65
    expect(p.heldOutIds.length).toBe(Math.round(moby.length * 0.1));
    expect(p.heldOut.rows).toBe(Math.floor((p.heldOutIds.length - 1) / T));
    expect(p.train.rows).toBe(Math.floor((p.trainIds.length - 1 - T) / T) + 1);
    // held-out window r, position t: x is the character at r·T + t of the tail, y the one after it
    const tail = moby.slice(moby.length - p.heldOutIds.length);
    for (const [r, t] of [[0, 0], [5, 17], [p.heldOut.rows - 1, T - 1]] as const) {
      expect(p.chars[p.heldOut.x[r * T + t]!]).toBe(tail[r * T + t]);
      expect(p.chars[p.heldOut.y[r * T + t]!]).toBe(tail[r * T + t + 1]);
    }
    // the bigram again, from string pairs in a Map (no ids, no typed arrays): same pairs, same smoothing
    const head = moby.slice(0, moby.length - p.heldOutIds.length);
    const pairs = new Map<string, number>();
    const from = new Map<string, number>();
    for (let i = 0; i + 1 < head.length; i++) {
      pairs.set(head[i]! + head[i + 1]!, (pairs.get(head[i]! + head[i + 1]!) ?? 0) + 1);
      from.set(head[i]!, (from.get(head[i]!) ?? 0) + 1);
    }
    const scored = tail.slice(0, p.heldOut.rows * T + 1);
    let nats = 0;
    for (let i = 0; i + 1 < scored.length; i++) {
      nats -= Math.log(((pairs.get(scored[i]! + scored[i + 1]!) ?? 0) + 0.1) / ((from.get(scored[i]!) ?? 0) + 0.1 * 78));
    }
    expect(p.bigram).toBeCloseTo(nats / (scored.length - 1), 12);
    // one character of context is worth a lot: uniform guessing costs ln 78 = 4.36 nats
    expect(p.bigram).toBeGreaterThan(2);
    expect(p.bigram).toBeLessThan(3);
  });
});
