// What a trained network does without training: predict, evaluate, summary and its weights by
// checkpoint name. The Trainer uses it, and so does loadModel's light predictor (no optimizer state).

import type { Layer } from '../model/layers/index.js';
import type { Network } from '../model/network.js';
import type { Model } from '../model/spec.js';
import { booleanOption, knownKeys, plainObject } from '../validate.js';
import { checkData, checkFeatures, checkRoom, type FeatureStats, freeStaged, inputType, lengthOf, stage, writeFeatures } from './data.js';
import { Dataset } from './dataset.js';
import { checkGenerate, generateTokens } from './generate.js';
import { bindLoss, EVALUATION_CHUNK, evaluateStaged, PassStats } from './step.js';
import type { EvaluateResult } from './types.js';

/** accuracy (classification losses) or mae (the others) from a pass's counts. */
export function metricOf(model: Model, stats: PassStats): { accuracy: number } | { mae: number } {
  return model.lossRecord.metric === 'mae' ? { mae: stats.absSum / stats.counted } : { accuracy: stats.correct / stats.counted };
}

/**
 * Floats the network keeps per row of a batch (Network's batch buffers): each layer's output and its
 * gradient, and the buffers it declares (BPTT's per-step gates, attention's heads·T² probabilities).
 */
export function floatsPerRow(layers: readonly Layer[]): number {
  return layers.reduce((n, layer) => n + 2 * layer.outputSize + Object.values(layer.buffers).reduce((a, b) => a + b, 0), 0);
}

/** 1536 → "1.5 KB" (powers of 1024). */
function bytesText(bytes: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB'];
  let i = 0;
  while (bytes >= 1024 && i < units.length - 1) {
    bytes /= 1024;
    i++;
  }
  return i === 0 ? `${bytes} bytes` : `${bytes.toFixed(1)} ${units[i]}`;
}

export class Inference {
  /** Feature statistics of `normalize: true` (from the first fit, or a checkpoint); null: features as given. */
  normalization: FeatureStats | null = null;

  /** `stateBytes`: WASM bytes the model and any optimizer state take (for the room check). */
  constructor(readonly model: Model, readonly network: Network, readonly stateBytes: number) {}

  /** A whole pass's loss (with the penalty of the current weights) and its metric. */
  evaluation(stats: PassStats): EvaluateResult {
    return { loss: stats.total / stats.divisor + this.network.penalty(), ...metricOf(this.model, stats) };
  }

  /** Loss and accuracy (classification) or mae (regression) on x, y, in inference mode. */
  evaluate(x: unknown, y: unknown): EvaluateResult {
    const heap = this.network.heap;
    checkRoom(this.stateBytes, [['x', lengthOf(x)], ['y', lengthOf(y)]]);
    const data = checkData(this.model, x, y, 'x', 'y');
    const staged = stage(heap, this.model, data, 0, data.rows, this.normalization);
    let loss;
    try {
      loss = bindLoss(heap, this.model, staged.y.type === 'i32', EVALUATION_CHUNK);
      return this.evaluation(evaluateStaged(this.network, loss, staged, new PassStats()));
    } finally {
      loss?.free();
      freeStaged(staged);
    }
  }

  /** Loss and metric on a resident data set (with targets), in inference mode. */
  evaluateDataset(dataset: Dataset): EvaluateResult {
    const loss = bindLoss(this.network.heap, this.model, dataset.classIndices, EVALUATION_CHUNK);
    try {
      return this.evaluation(evaluateStaged(this.network, loss, dataset.staged(this.normalization), new PassStats()));
    } finally {
      loss.free();
    }
  }

  /**
   * Outputs for x (rows × outputs): probabilities for softmax_cross_entropy (softmax) and
   * bce_with_logits (sigmoid), raw outputs otherwise or with `{ raw: true }`.
   */
  predict(x: unknown, options: { raw?: boolean } = {}): Float32Array {
    const o = plainObject('options', options);
    knownKeys('predict options', o, ['raw', 'transfer']);
    booleanOption('transfer', o.transfer, false);
    const raw = booleanOption('raw', o.raw, false);
    const { model, network } = this;
    const heap = network.heap;
    if (x instanceof Dataset) return this.#predictStaged(x.staged(this.normalization).x.ptr, x.rows, raw);
    checkRoom(this.stateBytes, [['x', lengthOf(x)]]);
    const input = checkFeatures(model, x, 'x');
    const rows = input.length / model.inputSize;
    const staged = heap.alloc(input.length, inputType(model), 'x length');
    try {
      writeFeatures(heap, staged, input, 0, rows, model.inputSize, this.normalization);
      return this.#predictStaged(staged.ptr, rows, raw);
    } finally {
      staged.free();
    }
  }

  /** Outputs for `rows` staged rows at `x` (already normalised), in chunks. */
  #predictStaged(x: number, rows: number, raw: boolean): Float32Array {
    const { model, network } = this;
    const k = network.heap.exports;
    const outputs = model.outputs;
    const result = new Float32Array(rows * outputs);
    const activation = raw ? undefined : model.lossRecord.predict;
    for (let start = 0; start < rows; start += EVALUATION_CHUNK) {
      const n = Math.min(EVALUATION_CHUNK, rows - start);
      network.forward(x + start * model.inputSize * 4, n);
      const out = network.output;
      // per position of a sequence output [T, K]
      if (activation === 'softmax') k.softmax_forward_f32(out.ptr, out.ptr, n * model.positions, model.classes, false);
      if (activation === 'sigmoid') k.sigmoid_forward_f32(out.ptr, out.ptr, n * outputs);
      result.set((out.array as Float32Array).subarray(0, n * outputs), start * outputs);
    }
    return result;
  }

  /** `steps` token ids sampled after the prompt `ids` (src/train/generate.ts); arguments are checked first. */
  generate(ids: unknown, options: unknown): Int32Array {
    const request = checkGenerate(this.model, ids, options);
    const network = this.network;
    const size = this.model.outputs;
    return generateTokens(this.model, {
      heap: network.heap,
      forward: (x) => {
        network.forward(x, 1);
        return (network.output.array as Float32Array).subarray(0, size);
      },
    }, request);
  }

  /** Layers, output widths and parameter counts, as a printable table. */
  summary(): string {
    const { layers, inputs, names } = this.model;
    const graph = inputs.some((reads, l) => reads.length !== 1 || reads[0] !== l - 1) || names.some((n) => n !== undefined);
    // a graph model also shows what each entry reads (its name, or its index)
    const entry = (l: number) => (l < 0 ? 'input' : names[l] ?? String(l));
    const labels = layers.map((layer, l) => (names[l] === undefined ? layer.label : `${layer.label} ${names[l]}`));
    // the type column grows with the longest label (attention(4, causal) with a name)
    const width = Math.max(13, ...labels.map((label) => label.length));
    const lines = [`layer  ${'type'.padEnd(width)} output     activation   params${graph ? '        inputs' : ''}`];
    let trainable = 0;
    let frozen = 0;
    layers.forEach((layer, l) => {
      const params = layer.tensors.reduce((n, tensor) => n + tensor.shape.reduce((a, b) => a * b, 1), 0);
      const train = this.network.isTrainable(l);
      if (train) trainable += params;
      else frozen += params;
      // the output shape, channels-last: 14×14×16 for an image, 64 for a flat row
      const shape = layer.outputShape.join('×');
      const count = `${params}${!train && params > 0 ? ' (frozen)' : ''}`;
      const reads = graph ? ` ${inputs[l]!.map(entry).join(', ')}` : '';
      lines.push(`${String(layer.index).padEnd(6)} ${labels[l]!.padEnd(width)} ${shape.padEnd(10)} ${layer.activation.padEnd(12)} ${graph ? count.padEnd(13) : count}${reads}`.trimEnd());
    });
    lines.push(`total parameters: ${this.network.size}`);
    if (frozen > 0) lines.push(`trainable parameters: ${trainable}, frozen: ${frozen}`);
    lines.push(`memory per row in training: ${bytesText(4 * floatsPerRow(layers))} (outputs, their gradients and what backward keeps)`);
    return lines.join('\n');
  }

  /** Parameters and states by checkpoint name (`{i}.weight` [out, in], `{i}.bias`, `{i}.running_mean`, …), copied. */
  weights(): Record<string, Float32Array> {
    const weights: Record<string, Float32Array> = {};
    const { params, segments, states, stateSegments } = this.network;
    for (const [buffer, list] of [[params, segments], [states, stateSegments]] as const) {
      const values = buffer.array as Float32Array;
      for (const segment of list) weights[segment.name] = values.slice(segment.offset, segment.offset + segment.length);
    }
    return weights;
  }
}
