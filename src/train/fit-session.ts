// What a fit (and the gradient-noise-scale estimate) sets up once its data source is chosen: the
// normalisation statistics (first fit), the staged rows, and the bound loss with its gradient step,
// grown with the largest batch (only a stream's batches vary). One set-up for every path that
// computes gradients from data; close() frees what it made.

import type { BoundLoss } from '../losses/index.js';
import { featureStats } from './data.js';
import type { FitSource, Feed, Owned } from './sources.js';
import { bindLoss, EVALUATION_CHUNK, GradientStep } from './step.js';
import type { TrainingState } from './training-state.js';

export class FitSession {
  readonly #owned: Owned = [];
  #capacity = 0;
  #loss: BoundLoss | null = null;
  #step: GradientStep | null = null;

  private constructor(readonly state: TrainingState, readonly feed: Feed, readonly classWeight: Float32Array | null) {}

  /**
   * Stages `source` (rows [0, trainRows) for training, the rest for validation), computing the
   * statistics of `normalize: true` from the training rows on the model's first fit.
   */
  static async open(state: TrainingState, source: FitSource, trainRows: number, classWeight: Float32Array | null = null): Promise<FitSession> {
    const { model, inference } = state;
    if (model.normalize && inference.normalization === null) inference.normalization = featureStats(source.features(), trainRows, model.inputSize);
    const owned: Owned = [];
    try {
      const feed = await source.stage(inference.normalization, trainRows, owned);
      const session = new FitSession(state, feed, classWeight);
      session.#owned.push(...owned);
      session.gradientStep(feed.capacity);
      return session;
    } catch (error) {
      for (const item of owned.reverse()) await item.free();
      throw error;
    }
  }

  /** The gradient step, with room for at least `rows` rows. */
  gradientStep(rows: number): GradientStep {
    if (rows > this.#capacity || !this.#step) {
      this.#freeStep();
      const { heap, model } = this.state;
      this.#loss = bindLoss(heap, model, this.feed.classIndices, Math.max(rows, EVALUATION_CHUNK), this.classWeight);
      this.#step = new GradientStep(this.state.network, this.#loss, rows);
      this.#capacity = rows;
    }
    return this.#step;
  }

  /** The loss bound for this fit (validation uses it too). */
  loss(): BoundLoss {
    return this.#loss!;
  }

  #freeStep(): void {
    this.#step?.free();
    this.#loss?.free();
    this.#step = null;
    this.#loss = null;
  }

  /** Frees the step, the loss and the staged rows. */
  async close(): Promise<void> {
    this.#freeStep();
    for (const item of this.#owned.reverse()) await item.free();
  }
}
