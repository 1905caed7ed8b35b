// trainer.generate(ids, { steps, temperature, topK, seed }): token-by-token sampling from a model that
// maps a row of T token ids to per-position logits [T, V] (an embedding first layer, a sequence
// output, a class-index loss). Each step runs one forward pass over the last T tokens (the context
// slides past T; a shorter prompt is padded after its end, and the logits are read at its last
// position, which a causal model computes from the prompt alone), divides the logits by the
// temperature, keeps the topK largest, and draws from their softmax with a seeded generator. In a
// worker the whole loop runs there: one round trip for all tokens.

import type { Model } from '../model/spec.js';
import { Random } from '../model/random.js';
import { describe, knownKeys, numberOption, plainObject } from '../validate.js';
import type { Heap } from '../wasm/heap.js';

/** generate's options. */
export interface GenerateOptions {
  /** New tokens to sample (required). */
  steps: number;
  /** Logits are divided by it before the softmax: below 1 sharper, above 1 flatter; 0 takes the most likely token. Default 1. */
  temperature?: number;
  /** Sample among the topK most likely tokens only (default: all). */
  topK?: number;
  /** Seeds the sampling: the same seed, weights and prompt give the same tokens. Default: a fresh seed per call. */
  seed?: number;
}

/** Checked arguments of generate. */
export interface GenerateRequest {
  prompt: Int32Array;
  steps: number;
  temperature: number;
  topK: number;
  seed: number;
}

/** The most tokens one call may ask for. */
const MAX_STEPS = 1 << 20;

/** Checks that `model` maps token ids to per-position logits, and generate's arguments; throws naming what is wrong. */
export function checkGenerate(model: Model, ids: unknown, options: unknown): GenerateRequest {
  const first = model.layers[0]!;
  if (model.inputKind !== 'index') {
    throw new TypeError(`generate needs a model that reads token ids (an embedding first layer), got layers[0] ${first.type}`);
  }
  const T = model.inputSize;
  if (model.positions !== T) {
    throw new TypeError(`generate needs per-position logits: the model's output must be [T, V] with T = ${T} (its input), got ${model.positions === 1 ? `a flat output [${model.outputs}]` : `[${model.positions}, ${model.classes}]`}`);
  }
  if (model.lossName !== 'softmax_cross_entropy' && model.lossName !== 'nll') {
    throw new TypeError(`generate samples from logits: the loss must be softmax_cross_entropy or nll, got ${model.lossName}`);
  }
  const range = first.indexRange!;
  if (model.classes > range) {
    throw new RangeError(`generate feeds sampled tokens back as input: the output's ${model.classes} classes must be token ids of layers[0] (vocabSize ${range})`);
  }
  if (!(ids instanceof Int32Array) && !(Array.isArray(ids) && ids.every((v) => typeof v === 'number'))) {
    throw new TypeError(`ids must be an Int32Array or number[] of token ids (the prompt), got ${describe(ids)}`);
  }
  if (ids.length === 0) throw new RangeError('ids must hold at least one token id (the prompt), got none');
  const prompt = Int32Array.from(ids as ArrayLike<number>);
  for (let i = 0; i < prompt.length; i++) {
    const id = (ids as ArrayLike<number>)[i]!;
    if (!(Number.isInteger(id) && id >= 0 && id < range)) throw new RangeError(`ids[${i}] must be a token id in [0, ${range}), got ${id}`);
  }
  const o = plainObject('generate options', options);
  knownKeys('generate options', o, ['steps', 'temperature', 'topK', 'seed']);
  return {
    prompt,
    steps: numberOption('steps', o.steps, undefined, { min: 1, max: MAX_STEPS, integer: true }),
    temperature: numberOption('temperature', o.temperature, 1, { min: 0 }),
    topK: numberOption('topK', o.topK, model.classes, { min: 1, max: model.classes, integer: true }),
    seed: numberOption('seed', o.seed, Math.floor(Math.random() * 2 ** 32), { min: 0, max: 2 ** 32, maxExclusive: true, integer: true }),
  };
}

/**
 * Draws a token from `logits` ([V] at `offset`): argmax at temperature 0, else the softmax of the topK
 * largest / temperature. `order` (Int32) and `weights` (Float64) are V-long scratch the caller keeps.
 */
export function sampleToken(
  logits: Float32Array, offset: number, V: number, temperature: number, topK: number, random: Random, order: Int32Array, weights: Float64Array,
): number {
  let best = 0;
  for (let v = 1; v < V; v++) if (logits[offset + v]! > logits[offset + best]!) best = v;
  if (temperature === 0) return best;
  // the topK largest first: sorting V ids is cheap next to a forward pass (V is a vocabulary)
  let kept = V;
  if (topK < V) {
    for (let v = 0; v < V; v++) order[v] = v;
    order.subarray(0, V).sort((a, b) => logits[offset + b]! - logits[offset + a]! || a - b);
    kept = topK;
  }
  const at = (i: number) => (kept === V ? i : order[i]!);
  const top = logits[offset + best]!;
  let total = 0;
  for (let i = 0; i < kept; i++) {
    weights[i] = Math.exp((logits[offset + at(i)]! - top) / temperature);
    total += weights[i]!;
  }
  let u = random.next() * total;
  for (let i = 0; i < kept; i++) {
    u -= weights[i]!;
    if (u < 0) return at(i);
  }
  return at(kept - 1);
}

/** What generate needs of the trainer: its heap and one forward pass over staged ids, returning the output's floats. */
export interface Forward {
  heap: Heap;
  /** Runs the network at inference on one row of ids at `x`; its output [T, V] as a view of WASM memory. */
  forward(x: number): Float32Array;
}

/** Samples `request.steps` tokens after the prompt (see the file's comment). */
export function generateTokens(model: Model, run: Forward, request: GenerateRequest): Int32Array {
  const T = model.inputSize;
  const V = model.classes;
  const { prompt, steps, temperature, topK } = request;
  const random = new Random(request.seed, 0x67656e); // 'gen'
  const order = new Int32Array(V);
  const weights = new Float64Array(V);
  const result = new Int32Array(steps);
  // the context: the last T tokens of prompt + result
  const context = Int32Array.from(prompt.subarray(Math.max(0, prompt.length - T)));
  let length = context.length;
  const window = new Int32Array(T);
  window.set(context.subarray(0, Math.min(length, T)));
  const staged = run.heap.alloc(T, 'i32', 'ids');
  try {
    for (let s = 0; s < steps; s++) {
      staged.array.set(window);
      const logits = run.forward(staged.ptr);
      const position = Math.min(length, T) - 1;
      const token = sampleToken(logits, position * V, V, temperature, topK, random, order, weights);
      result[s] = token;
      if (length < T) {
        window[length] = token;
        length++;
      } else {
        window.copyWithin(0, 1);
        window[T - 1] = token;
      }
    }
  } finally {
    staged.free();
  }
  return result;
}
