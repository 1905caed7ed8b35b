// What the library knows about each loss, in one record: its targets, whether it reduces per row,
// the options it takes, the metric training reports, and what predict() applies to its raw outputs.

/** Names accepted by `k.loss` and by a spec's `loss`. */
export const LOSS_NAMES = [
  'mse', 'mae', 'huber', 'smooth_l1', 'log_cosh', 'barron',
  'cross_entropy', 'softmax_cross_entropy', 'nll', 'binary_cross_entropy', 'bce_with_logits',
  'hinge', 'squared_hinge', 'kl_div', 'poisson',
] as const;

export type LossName = (typeof LOSS_NAMES)[number];
export type Reduction = 'mean' | 'sum' | 'none';

export interface LossRecord {
  /** Row losses give one item per row and 'mean' divides by rows (or a weight sum). */
  rows: boolean;
  /** 'float': target like the input; 'index': class indices; 'either': decided by the target's type. */
  target: 'float' | 'index' | 'either';
  /** The loss's own options (beside reduction, shape, grad, out). */
  options: readonly string[];
  /** The metric of training and evaluate: accuracy by argmax or by threshold, or the mean absolute error. */
  metric: 'argmax' | 'binary' | 'mae';
  /** For 'binary': an output above `output` predicts 1; a target above `target` is a 1. */
  thresholds?: { output: number; target: number };
  /** What predict() applies to the raw outputs of a network trained on logits. */
  predict?: 'softmax' | 'sigmoid';
}

const binary = (output: number, target: number) => ({ metric: 'binary' as const, thresholds: { output, target } });

export const LOSSES: Readonly<Record<LossName, LossRecord>> = {
  mse: { rows: false, target: 'float', options: [], metric: 'mae' },
  mae: { rows: false, target: 'float', options: [], metric: 'mae' },
  huber: { rows: false, target: 'float', options: ['delta'], metric: 'mae' },
  smooth_l1: { rows: false, target: 'float', options: ['beta'], metric: 'mae' },
  log_cosh: { rows: false, target: 'float', options: [], metric: 'mae' },
  barron: { rows: false, target: 'float', options: ['alpha', 'scale'], metric: 'mae' },
  cross_entropy: { rows: true, target: 'float', options: [], metric: 'argmax' },
  softmax_cross_entropy: { rows: true, target: 'either', options: ['weight', 'ignoreIndex', 'labelSmoothing'], metric: 'argmax', predict: 'softmax' },
  nll: { rows: true, target: 'index', options: ['weight', 'ignoreIndex'], metric: 'argmax' },
  binary_cross_entropy: { rows: false, target: 'float', options: ['weight'], ...binary(0.5, 0.5) },
  bce_with_logits: { rows: false, target: 'float', options: ['weight', 'posWeight'], ...binary(0, 0.5), predict: 'sigmoid' },
  hinge: { rows: false, target: 'float', options: [], ...binary(0, 0) },
  squared_hinge: { rows: false, target: 'float', options: [], ...binary(0, 0) },
  kl_div: { rows: true, target: 'float', options: [], metric: 'mae' },
  poisson: { rows: false, target: 'float', options: [], metric: 'mae' },
};

/** Whether a loss takes class indices as targets (always for nll; for softmax_cross_entropy when given an Int32Array). */
export function takesClassIndices(name: LossName): boolean {
  return LOSSES[name].target !== 'float';
}
