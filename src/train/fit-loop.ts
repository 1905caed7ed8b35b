// One fit's epochs, once its data is staged: batches → gradient (this thread, or data-parallel)
// → the training state's optimizer step, then each epoch's log, validation, callbacks, checkpoint
// and early stopping; stop(), dispose() and a non-finite loss end it between batches.

import type { DataParallelStep } from '../parallel/coordinator.js';
import type { FitPlan } from './fit-options.js';
import type { FitSession } from './fit-session.js';
import { metricOf } from './inference.js';
import { evaluateStaged, PassStats } from './step.js';
import type { TrainingState } from './training-state.js';
import type { BatchLog, EpochLog, History, ParallelProfile } from './types.js';

const YIELD_EVERY_MS = 16;

const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** Lets queued events run: setImmediate where it exists (Node), else a MessageChannel round trip. */
export function yieldToEventLoop(): Promise<void> {
  const g = globalThis as { setImmediate?: (f: () => void) => void };
  if (g.setImmediate) return new Promise((resolve) => g.setImmediate!(resolve));
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/** A trainer's run flags, plain fields it sets (stop(), dispose()) and the loop reads between batches. */
export interface RunFlags {
  stopRequested: boolean;
  disposed: boolean;
}

/** This fit's data and gradient machinery. */
export interface FitRun {
  session: FitSession;
  plan: FitPlan;
  /** The data-parallel step, or null (this thread computes every gradient). */
  parallel: DataParallelStep | null;
  /** Where the data-parallel time goes (ms). */
  parallelTime: ParallelProfile;
}

/** Runs the fit's epochs on `state`, adding their logs and stop reason to `history`. */
export async function runEpochs(state: TrainingState, flags: RunFlags, run: FitRun, history: History): Promise<void> {
  const { session, plan, parallel, parallelTime } = run;
  const { feed } = session;
  const { network, model } = state;
  const checkAlive = () => {
    if (flags.disposed) throw new Error('trainer is disposed');
  };
  const epochStats = new PassStats();
  const validationStats = new PassStats();
  let lastYield = now();
  let lastBatchCallback = -Infinity;
  for (let e = 0; e < plan.epochs && !flags.stopRequested; e++) {
    const started = now();
    const epochNumber = state.epoch + 1;
    epochStats.reset();
    // Keras: each batch's L1/L2 penalty at the weights that batch used, averaged over the rows
    let penaltySum = 0;
    let rowsDone = 0;
    let lr = state.schedule.valueAt(state.step);
    let nan = false;
    let batchNumber = 0;
    for await (const { data, rows, indices } of feed.batches(epochNumber)) {
      batchNumber++;
      const gradientStep = session.gradientStep(rows);
      (gradientStep.indices.array as Int32Array).set(indices);
      state.beginStep();
      const stats = parallel ? await parallel.compute(gradientStep, data, rows, state.step) : gradientStep.compute(data, rows, state.step);
      const batchLoss = stats.total / stats.divisor + stats.penalty;
      const updated = now();
      const stepLr = state.applyGradient(batchLoss);
      if (parallel) parallelTime.combine += now() - updated;
      if (stepLr === null) {
        nan = true;
        break;
      }
      lr = stepLr;
      epochStats.add(stats);
      penaltySum += stats.penalty * rows;
      rowsDone += rows;
      const t = now();
      if (plan.onBatchEnd && t - lastBatchCallback >= plan.batchCallbackInterval) {
        lastBatchCallback = t;
        await plan.onBatchEnd({ epoch: epochNumber, batch: batchNumber, loss: batchLoss } satisfies BatchLog);
      }
      if (flags.stopRequested) break;
      if (t - lastYield >= YIELD_EVERY_MS) {
        await yieldToEventLoop();
        lastYield = now();
        if (flags.stopRequested || flags.disposed) break;
      }
    }
    if (nan) {
      history.stopReason = 'nan';
      break;
    }
    if (flags.disposed) break;
    if (flags.stopRequested && epochStats.divisor === 0) break;
    state.epoch = epochNumber;
    const log: EpochLog = { epoch: epochNumber, loss: epochStats.total / epochStats.divisor + (rowsDone > 0 ? penaltySum / rowsDone : 0), lr, ms: 0 };
    Object.assign(log, metricOf(model, epochStats));
    if (feed.val) {
      const evaluation = state.inference.evaluation(evaluateStaged(network, session.loss(), feed.val, validationStats));
      log.valLoss = evaluation.loss;
      if (evaluation.accuracy !== undefined) log.valAccuracy = evaluation.accuracy;
      if (evaluation.mae !== undefined) log.valMae = evaluation.mae;
    }
    log.ms = now() - started;
    history.epochs.push(log);
    state.record(log);
    state.schedule.observe(log.valLoss ?? log.loss);
    if (plan.onEpochEnd) await plan.onEpochEnd(log);
    checkAlive(); // the callback may have disposed the trainer
    if (plan.checkpoint?.shouldSave(log)) await plan.checkpoint.onSave(state.checkpoint(), log);
    if (flags.stopRequested) {
      history.stopReason = 'stopped';
      break;
    }
    const params = network.params.array as Float32Array;
    const states = network.states.array as Float32Array;
    if (plan.earlyStopping?.shouldStop(log, params, states)) {
      // Keras restores the best epoch's weights with their moving statistics
      if (plan.earlyStopping.bestWeights) params.set(plan.earlyStopping.bestWeights);
      if (plan.earlyStopping.bestStates) states.set(plan.earlyStopping.bestStates);
      history.stopReason = 'early_stopping';
      break;
    }
  }
  checkAlive(); // disposed during fit: reject, as the worker trainer does
  if (flags.stopRequested && history.stopReason === 'completed') history.stopReason = 'stopped';
}
