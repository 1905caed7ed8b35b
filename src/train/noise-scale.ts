// The gradient noise scale (S. McCandlish, J. Kaplan, D. Amodei et al., "An Empirical Model of
// Large-Batch Training", 2018): the batch size beyond which larger batches stop paying off is about
// B_simple = tr(Σ) / |G|², where G is the gradient of the whole data set's loss and Σ the covariance
// of one row's gradient. Neither is measured directly: a batch of B rows drawn with replacement has
// E|G_B|² = |G|² + tr(Σ)/B, so the squared norms at two batch sizes give unbiased estimates of both
// (the paper's Appendix A.1):
//   |G|² ≈ (B_big |G_big|² − B_small |G_small|²) / (B_big − B_small)
//   tr(Σ) ≈ (|G_small|² − |G_big|²) / (1/B_small − 1/B_big)
// each averaged over `batches` batches before their ratio is taken (a ratio of noisy estimates is
// biased; the paper averages them separately for the same reason).

import { Random } from '../model/random.js';
import { booleanOption, describe, knownKeys, numberOption, plainObject } from '../validate.js';
import type { WasmArray } from '../wasm/heap.js';
import type { GradientStep, Staged } from './step.js';
import type { NoiseScaleResult } from './types.js';

export interface NoiseScaleSettings {
  smallBatchSize: number;
  largeBatchSize: number;
  batches: number;
}

const KEYS = ['smallBatchSize', 'largeBatchSize', 'batches', 'transfer'];
// Earlier names: refused with the new name rather than kept as aliases (one spelling per option).
const RENAMED: Record<string, string> = { small: 'smallBatchSize', large: 'largeBatchSize' };

/** Checks gradientNoiseScale's options (every error names the option, the rule and the value). */
export function noiseScaleSettings(options: unknown): NoiseScaleSettings {
  const o = plainObject('options', options ?? {});
  for (const [old, now] of Object.entries(RENAMED)) {
    if (old in o) throw new TypeError(`gradientNoiseScale option "${old}" is now "${now}" (batch sizes are named like fit's batchSize), got ${old}: ${describe(o[old])}`);
  }
  knownKeys('gradientNoiseScale options', o, KEYS);
  const smallBatchSize = numberOption('smallBatchSize', o.smallBatchSize, 32, { min: 1, integer: true });
  const largeBatchSize = numberOption('largeBatchSize', o.largeBatchSize, 8 * smallBatchSize, { min: 1, integer: true });
  if (smallBatchSize >= largeBatchSize) {
    throw new RangeError(
      `smallBatchSize must be less than largeBatchSize, got smallBatchSize ${describe(smallBatchSize)} and largeBatchSize ${describe(largeBatchSize)}`,
    );
  }
  const batches = numberOption('batches', o.batches, 20, { min: 1, integer: true });
  booleanOption('transfer', o.transfer, false);
  return { smallBatchSize, largeBatchSize, batches };
}

/** What the estimate needs of its trainer: a gradient step for up to `largeBatchSize` rows over the staged data. */
export interface NoiseScaleHost {
  step: GradientStep;
  data: Staged;
  /** Scratch of the network's parameter count, for the big batch's gradient. */
  big: WasmArray;
  seed: number;
  /** Optimizer steps so far: keys the dropout masks, as the next fit's first step would. */
  stepNumber: number;
  /** Lets queued messages in (stop()) and says whether to end early. */
  pause(): Promise<boolean>;
}

/**
 * Runs the estimate: per batch, `largeBatchSize` rows drawn uniformly with replacement (so that the
 * formulas above hold exactly for this data set) are split into chunks of `smallBatchSize` rows; each full chunk's
 * gradient gives a |G_small|², and their row-weighted mean, the whole batch's gradient, gives |G_big|².
 * Gradients are those fit applies: of the mean loss plus the L1/L2 penalties, which, being the same
 * for every batch, add to |G|² and nothing to tr(Σ).
 */
export async function measureNoiseScale(host: NoiseScaleHost, settings: NoiseScaleSettings): Promise<NoiseScaleResult> {
  const { step, data, big } = host;
  const network = step.network;
  const k = network.heap.exports;
  const size = network.size;
  const { smallBatchSize: small, largeBatchSize: large } = settings;
  let smallSum = 0;
  let smallCount = 0;
  let bigSum = 0;
  let done = 0;
  for (let b = 0; b < settings.batches; b++) {
    const random = new Random(host.seed, 0x401e, host.stepNumber, b);
    const rows = Int32Array.from({ length: large }, () => Math.floor(random.next() * data.rows));
    big.array.fill(0);
    for (let start = 0; start < large; start += small) {
      const count = Math.min(small, large - start);
      (step.indices.array as Int32Array).set(rows.subarray(start, start + count));
      step.compute(data, count, host.stepNumber, start);
      if (count === small) {
        smallSum += k.sum_squares_f32(network.grads.ptr, size);
        smallCount++;
      }
      // big −= (−count / large) · grads: the row-weighted mean of the chunks' mean gradients
      k.subtract_scaled_f32(big.ptr, network.grads.ptr, size, -count / large);
    }
    bigSum += k.sum_squares_f32(big.ptr, size);
    done++;
    if (await host.pause()) break;
  }
  const smallNormSq = smallSum / smallCount;
  const bigNormSq = bigSum / done;
  const gradNormSq = (large * bigNormSq - small * smallNormSq) / (large - small);
  const trace = (smallNormSq - bigNormSq) / (1 / small - 1 / large);
  return { bSimple: trace / gradNormSq, gradNormSq, trace, batches: done };
}
