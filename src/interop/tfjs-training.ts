// A tfjs model's compiled loss and optimizer (model.json's training config, present when tfjs saved
// with `{ includeOptimizer: true }` or Keras wrote it) as descent's loss and optimizer specs. A softmax
// (sigmoid) last activation trained with a cross-entropy becomes logits and descent's fused
// softmax_cross_entropy (bce_with_logits), whose predict() applies the same softmax (sigmoid): the
// outputs stay the same and training is stabler. Without a training config the loss follows the last
// activation (softmax → softmax_cross_entropy, sigmoid → bce_with_logits, else mse) and the optimizer
// is Adam with descent's defaults; the import's notes say so. Optimizer state is not imported.

import type { LossName } from '../losses/index.js';
import type { OptimizerSpec } from '../model/spec.js';

export interface TrainingMapping {
  loss: LossName;
  /** Whether the last layer's softmax / sigmoid moves into the loss (and predict). */
  dropLastActivation: boolean;
  optimizer: OptimizerSpec;
  notes: string[];
}

/** Keras loss names (snake_case as saved, camelCase as compiled in tfjs) by a key without '_' and case. */
const LOSSES: Record<string, LossName | 'categorical' | 'sparse' | 'binary'> = {
  meansquarederror: 'mse', mse: 'mse', meanabsoluteerror: 'mae', mae: 'mae', huber: 'huber', huberloss: 'huber',
  logcosh: 'log_cosh', hinge: 'hinge', squaredhinge: 'squared_hinge', kullbackleiblerdivergence: 'kl_div',
  kldivergence: 'kl_div', kld: 'kl_div', poisson: 'poisson',
  categoricalcrossentropy: 'categorical', sparsecategoricalcrossentropy: 'sparse', binarycrossentropy: 'binary',
};

const key = (name: string) => name.replace(/_/g, '').toLowerCase();

/** The loss and optimizer for a model whose last activation is `last`, from `config` (a training config or nothing). */
export function mapTraining(config: unknown, last: string): TrainingMapping {
  const notes: string[] = [];
  const c = config !== null && typeof config === 'object' ? (config as Record<string, unknown>) : null;
  if (!c) notes.push('model.json has no training config (tfjs saves one with { includeOptimizer: true }): the loss follows the last activation, the optimizer is adam');
  const { loss, dropLastActivation } = lossOf(c?.loss, last, notes);
  const optimizer = c ? optimizerOf(c.optimizer_config, notes) : { name: 'adam' as const };
  if (c) notes.push('optimizer state is not imported: training continues with fresh optimizer slots');
  return { loss, dropLastActivation, optimizer, notes };
}

function lossOf(raw: unknown, last: string, notes: string[]): { loss: LossName; dropLastActivation: boolean } {
  const fromLast = (): { loss: LossName; dropLastActivation: boolean } =>
    last === 'softmax' ? { loss: 'softmax_cross_entropy', dropLastActivation: true }
      : last === 'sigmoid' ? { loss: 'bce_with_logits', dropLastActivation: true } : { loss: 'mse', dropLastActivation: false };
  if (raw === undefined || raw === null) return fromLast();
  // Keras 3 writes a loss object: { class_name, config: { from_logits } }
  const object = typeof raw === 'object' && !Array.isArray(raw) ? (raw as { class_name?: unknown; config?: { from_logits?: unknown } }) : null;
  const name = typeof raw === 'string' ? raw : object && typeof object.class_name === 'string' ? object.class_name : null;
  const fromLogits = object?.config?.from_logits === true;
  const mapped = name === null ? undefined : LOSSES[key(name)];
  if (mapped === undefined) {
    const chosen = fromLast();
    notes.push(`loss ${JSON.stringify(raw)} has no descent equivalent: ${chosen.loss} instead`);
    return chosen;
  }
  if (mapped === 'categorical' || mapped === 'sparse') {
    if (last === 'softmax') return { loss: 'softmax_cross_entropy', dropLastActivation: true };
    if (fromLogits) return { loss: 'softmax_cross_entropy', dropLastActivation: false };
    if (mapped === 'sparse' && last === 'log_softmax') return { loss: 'nll', dropLastActivation: false };
    if (mapped === 'categorical') return { loss: 'cross_entropy', dropLastActivation: false };
    notes.push(`loss ${name} on outputs that are not a softmax has no descent equivalent: softmax_cross_entropy reads them as logits`);
    return { loss: 'softmax_cross_entropy', dropLastActivation: false };
  }
  if (mapped === 'binary') {
    if (last === 'sigmoid') return { loss: 'bce_with_logits', dropLastActivation: true };
    return { loss: fromLogits ? 'bce_with_logits' : 'binary_cross_entropy', dropLastActivation: false };
  }
  return { loss: mapped, dropLastActivation: false };
}

/** A config value by tfjs's camelCase key or Keras's snake_case one. */
function value(config: Record<string, unknown>, camel: string, snake = camel): unknown {
  return config[camel] ?? config[snake];
}

function optimizerOf(raw: unknown, notes: string[]): OptimizerSpec {
  const o = raw !== null && typeof raw === 'object' ? (raw as { class_name?: unknown; config?: Record<string, unknown> }) : {};
  const className = typeof o.class_name === 'string' ? o.class_name : '';
  const config = o.config ?? {};
  const number = (camel: string, snake?: string) => {
    const v = value(config, camel, snake);
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
  };
  const learningRate = number('learningRate', 'learning_rate');
  if (learningRate === undefined && value(config, 'learningRate', 'learning_rate') !== undefined) {
    notes.push('the learning rate is a schedule in Keras: the optimizer\'s default learning rate instead');
  }
  const spec = (name: OptimizerSpec['name'], options: Record<string, number | boolean | undefined>): OptimizerSpec => {
    const defined = Object.entries({ learningRate, ...options }).filter(([, v]) => v !== undefined);
    return { name, ...Object.fromEntries(defined) } as OptimizerSpec;
  };
  switch (key(className)) {
    case 'adam':
      return spec('adam', { beta1: number('beta1', 'beta_1'), beta2: number('beta2', 'beta_2'), epsilon: number('epsilon'), ...(config.amsgrad === true ? { amsgrad: true } : {}) });
    case 'adamw':
      return spec('adamw', { beta1: number('beta1', 'beta_1'), beta2: number('beta2', 'beta_2'), epsilon: number('epsilon'), weightDecay: number('weightDecay', 'weight_decay') });
    case 'sgd': {
      const momentum = number('momentum');
      const nesterov = config.nesterov === true;
      return spec('sgd', { ...(momentum ? { momentum } : {}), ...(nesterov && momentum ? { nesterov } : {}) });
    }
    case 'momentum': {
      const momentum = number('momentum') ?? 0;
      return spec('sgd', { momentum, ...(value(config, 'useNesterov', 'use_nesterov') === true && momentum > 0 ? { nesterov: true } : {}) });
    }
    case 'rmsprop':
      notes.push('rmsprop: tfjs adds epsilon inside the square root, descent (torch) outside');
      return spec('rmsprop', {
        alpha: number('decay', 'rho') ?? number('rho'), epsilon: number('epsilon'), momentum: number('momentum'),
        ...(config.centered === true ? { centered: true } : {}),
      });
    case 'adagrad':
      return spec('adagrad', { initialAccumulatorValue: number('initialAccumulatorValue', 'initial_accumulator_value') });
    case 'adadelta':
      return spec('adadelta', { rho: number('rho'), epsilon: number('epsilon') });
    case 'adamax':
      if (number('decay')) notes.push('adamax: tfjs\'s learning-rate decay is not imported');
      return spec('adamax', { beta1: number('beta1', 'beta_1'), beta2: number('beta2', 'beta_2'), epsilon: number('epsilon') });
    default:
      notes.push(`optimizer ${JSON.stringify(className)} has no descent equivalent: adam with its defaults instead`);
      return { name: 'adam' };
  }
}
