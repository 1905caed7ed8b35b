// One training run at a time. Start, Load and Cancel each begin a new generation; whatever an older
// generation was still loading or building is disposed as soon as it comes back, so a double click,
// a data set changed mid-load or a Load during a Start can never leave two trainers (or their workers)
// alive or mix one run's data with another's settings.
import { createTrainer } from 'descent-wasm';
import { loadSplit } from './data-client.js';

const PREVIEW_ROWS = 30;
const SLOW_RUN_MS = 10_000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class Runs {
  #generation = 0;
  /** 'idle' | 'loading' | 'training' | 'stopping' | 'stopped' | 'done' */
  phase = 'idle';
  /** { trainer, data, epochsDone, epochsWanted, batchSize, spec, history } of the current run, or null. */
  run = null;

  /** `view` gets phase(phase, run), ready(run), batch(run, log), epoch(run, log) (awaited), finished(run, history). */
  constructor(view, { slow, checkpoint }) {
    this.view = view;
    this.slow = slow; // () => boolean, read at every epoch so the toggle works mid-run
    this.checkpoint = checkpoint; // () => fit's checkpoint option or undefined
  }

  #setPhase(phase) {
    this.phase = phase;
    this.view.phase(phase, this.run);
  }

  /** True while a newer Start/Load/Cancel has not replaced `generation`. */
  #current = (generation) => generation === this.#generation;

  /** Disposes the current run (if any) and loads `name` with `seed`, then builds a trainer with `make()`. */
  async #prepare(name, seed, make) {
    const generation = ++this.#generation;
    const previous = this.run;
    this.run = null;
    this.#setPhase('loading');
    await previous?.trainer.dispose();
    let trainer;
    try {
      const { train, test } = await loadSplit(name, seed);
      if (!this.#current(generation)) return null;
      trainer = await make();
      if (!this.#current(generation)) {
        await trainer.dispose();
        return null;
      }
      const data = {
        name, rows: train.rows, testRows: test.rows, testY: test.y.slice(),
        preview: { x: test.x.slice(0, PREVIEW_ROWS * test.cols), y: test.y.slice(0, PREVIEW_ROWS), cols: test.cols },
        trainPoints: train.cols === 2 ? { x: train.x.slice(), y: train.y.slice() } : null,
      };
      data.trainSet = await trainer.dataset(train.x, train.y, { transfer: true });
      data.testSet = await trainer.dataset(test.x, test.y, { transfer: true });
      if (!this.#current(generation)) {
        await trainer.dispose();
        return null;
      }
      return { generation, trainer, data };
    } catch (error) {
      await trainer?.dispose();
      if (!this.#current(generation)) return null;
      throw error;
    }
  }

  /** Builds a new network from `plan` ({ spec, epochs, batchSize, workers, dataset, seed }) and trains it. */
  async start(plan) {
    try {
      const prepared = await this.#prepare(plan.dataset, plan.seed, () => createTrainer(plan.spec, { workers: plan.workers }));
      if (!prepared) return;
      this.run = { ...prepared, spec: plan.spec, epochsDone: 0, epochsWanted: plan.epochs, batchSize: plan.batchSize, history: [] };
      await this.view.ready(this.run);
    } catch (error) {
      this.#fail(error);
      return;
    }
    await this.#train(this.run);
  }

  /** Restores checkpoint `bytes` (already checked to fit data set `dataset`) as the current run, stopped. */
  async load(bytes, { dataset, seed, spec, epochsDone, epochsWanted, batchSize }) {
    let prepared;
    try {
      prepared = await this.#prepare(dataset, seed, () => createTrainer(bytes));
    } catch (error) {
      this.#setPhase('idle');
      throw error;
    }
    if (!prepared) return null;
    this.run = { ...prepared, spec, epochsDone, epochsWanted, batchSize, history: [] };
    await this.view.ready(this.run);
    this.#setPhase('stopped');
    return this.run;
  }

  /** Trains the current run further: up to `epochsWanted` epochs in total, in batches of `batchSize`. */
  async resume({ epochsWanted, batchSize }) {
    Object.assign(this.run, { epochsWanted, batchSize });
    await this.#train(this.run);
  }

  /** Stops training after the current batch, or abandons a load in progress. */
  stop() {
    if (this.phase === 'loading') {
      this.#generation++;
      this.#setPhase('idle');
    } else if (this.phase === 'training') {
      this.#setPhase('stopping');
      this.run.trainer.stop();
    }
  }

  /** Disposes the current run: back to an empty page. */
  async reset() {
    this.#generation++;
    const previous = this.run;
    this.run = null;
    this.#setPhase('idle');
    await previous?.trainer.dispose();
  }

  #fail(error) {
    this.#setPhase(this.run ? 'stopped' : 'idle');
    this.view.error(error);
  }

  async #train(run) {
    this.#setPhase('training');
    let epochStarted = performance.now();
    try {
      const history = await run.trainer.fit(run.data.trainSet, {
        epochs: run.epochsWanted - run.epochsDone,
        batchSize: run.batchSize,
        validationData: run.data.testSet,
        checkpoint: this.checkpoint(),
        onBatchEnd: (log) => this.view.batch(run, log),
        onEpochEnd: async (log) => {
          run.epochsDone = log.epoch;
          run.history.push(log);
          await this.view.epoch(run, log);
          // Slow motion: the worker waits for this callback, so a pause here spreads the run out.
          const wait = SLOW_RUN_MS / run.epochsWanted - (performance.now() - epochStarted);
          if (this.slow() && wait > 0 && this.run === run && this.phase === 'training') await sleep(wait);
          epochStarted = performance.now();
        },
      });
      if (this.run !== run) return;
      this.#setPhase(history.stopReason === 'completed' ? 'done' : 'stopped');
      this.view.finished(run, history);
    } catch (error) {
      if (this.run === run) this.#fail(error);
    }
  }
}
