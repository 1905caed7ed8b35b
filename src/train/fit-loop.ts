// One fit's epochs, once its data is staged: batches → gradient (this thread, or data-parallel)
// → optimizer update, then each epoch's log, validation, callbacks, checkpoint and early stopping;
// stop(), dispose() and a non-finite loss end it between batches. The trainer owns the state
// (train/trainer.ts) and hands this loop accessors to it (FitHost).

import type { Network } from '../model/network.js';
import type { Model } from '../model/spec.js';
import type { BoundLoss } from '../losses/index.js';
import type { DataParallelStep } from '../parallel/coordinator.js';
import type { Schedule } from '../schedules.js';
import type { FitPlan } from './fit-options.js';
import { type Inference, metricOf } from './inference.js';
import type { Feed } from './sources.js';
import { evaluateStaged, type GradientStep, PassStats } from './step.js';
import type { BatchLog, EpochLog, History, ParallelProfile } from './types.js';

/** Epoch logs a trainer (and its checkpoints) keep: the latest 100, about 15 KB of JSON. */
export const HISTORY_KEPT = 100;
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

/** What the loop reads and moves of its trainer's state. */
export interface FitHost {
  readonly model: Model;
  readonly network: Network;
  readonly inference: Inference;
  readonly schedule: Schedule;
  readonly parallelTime: ParallelProfile;
  /** Optimizer steps taken (applyGradient advances it). */
  readonly step: number;
  epoch: number;
  /** The trainer's kept epoch logs (the latest HISTORY_KEPT). */
  readonly history: EpochLog[];
  readonly stopRequested: boolean;
  readonly disposed: boolean;
  /** The optimizer step with the gradient in the network's grads; its learning rate, or null (nothing applied) when `loss` or the gradient is not finite. */
  applyGradient(loss: number): number | null;
  /** Throws `trainer is disposed` once it is. */
  checkAlive(): void;
  /** The whole training state as checkpoint bytes. */
  checkpoint(): Uint8Array;
}

/** This fit's data and gradient machinery. */
export interface FitSession {
  feed: Feed;
  plan: FitPlan;
  /** The data-parallel step, or null (this thread computes every gradient). */
  parallel: DataParallelStep | null;
  /** The gradient step, with room for at least `rows` rows. */
  gradientStep(rows: number): GradientStep;
  /** The loss bound for this fit (validation uses it too). */
  loss(): BoundLoss;
}

/** Runs the fit's epochs, adding their logs and stop reason to `history`. */
export async function runEpochs(host: FitHost, session: FitSession, history: History): Promise<void> {
  const { feed, plan, parallel } = session;
  const network = host.network;
  const epochStats = new PassStats();
  const validationStats = new PassStats();
  const stateSnapshot = network.stateSegments.length > 0 ? new Float32Array(network.states.length) : null;
  let lastYield = now();
  let lastBatchCallback = -Infinity;
  for (let e = 0; e < plan.epochs && !host.stopRequested; e++) {
    const started = now();
    const epochNumber = host.epoch + 1;
    epochStats.reset();
    // Keras: each batch's L1/L2 penalty at the weights that batch used, averaged over the rows
    let penaltySum = 0;
    let rowsDone = 0;
    let lr = host.schedule.valueAt(host.step);
    let nan = false;
    let batchNumber = 0;
    for await (const { data, rows, indices } of feed.batches(epochNumber)) {
      batchNumber++;
      const gradientStep = session.gradientStep(rows);
      (gradientStep.indices.array as Int32Array).set(indices);
      // the forward pass moves running statistics (batchnorm): keep them to undo a non-finite step
      if (stateSnapshot) stateSnapshot.set(network.states.array as Float32Array);
      const stats = parallel ? await parallel.compute(gradientStep, data, rows, host.step) : gradientStep.compute(data, rows, host.step);
      const batchLoss = stats.total / stats.divisor + stats.penalty;
      const updated = now();
      const stepLr = host.applyGradient(batchLoss);
      if (parallel) host.parallelTime.combine += now() - updated;
      if (stepLr === null) {
        if (stateSnapshot) (network.states.array as Float32Array).set(stateSnapshot);
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
      if (host.stopRequested) break;
      if (t - lastYield >= YIELD_EVERY_MS) {
        await yieldToEventLoop();
        lastYield = now();
        if (host.stopRequested || host.disposed) break;
      }
    }
    if (nan) {
      history.stopReason = 'nan';
      break;
    }
    if (host.disposed) break;
    if (host.stopRequested && epochStats.divisor === 0) break;
    host.epoch = epochNumber;
    const log: EpochLog = { epoch: epochNumber, loss: epochStats.total / epochStats.divisor + (rowsDone > 0 ? penaltySum / rowsDone : 0), lr, ms: 0 };
    Object.assign(log, metricOf(host.model, epochStats));
    if (feed.val) {
      const evaluation = host.inference.evaluation(evaluateStaged(network, session.loss(), feed.val, validationStats));
      log.valLoss = evaluation.loss;
      if (evaluation.accuracy !== undefined) log.valAccuracy = evaluation.accuracy;
      if (evaluation.mae !== undefined) log.valMae = evaluation.mae;
    }
    log.ms = now() - started;
    history.epochs.push(log);
    host.history.push(log);
    if (host.history.length > HISTORY_KEPT) host.history.splice(0, host.history.length - HISTORY_KEPT);
    host.schedule.observe(log.valLoss ?? log.loss);
    if (plan.onEpochEnd) await plan.onEpochEnd(log);
    host.checkAlive(); // the callback may have disposed the trainer
    if (plan.checkpoint?.shouldSave(log)) await plan.checkpoint.onSave(host.checkpoint(), log);
    if (host.stopRequested) {
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
  host.checkAlive(); // disposed during fit: reject, as the worker trainer does
  if (host.stopRequested && history.stopReason === 'completed') history.stopReason = 'stopped';
}
