// Every optimizer of the contract as a Transform over the flat parameter buffer, with torch.optim's
// formulas and defaults (LAMB, absent from torch, follows optax). Specs are plain data, validated
// when the optimizer is built: every bad field is an error naming `optimizer.<field>`.

import { booleanOption, choiceOption, knownKeys, numberOption, plainObject } from '../validate.js';
import { allocateSlots, chain, simpleState, type FlatParams, type Transform, type TransformState } from './transform.js';

export const OPTIMIZER_NAMES = [
  'sgd', 'adam', 'adamw', 'rmsprop', 'adagrad', 'adadelta', 'adamax', 'nadam', 'lion', 'lamb',
] as const;
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

/** Default learning rates (torch.optim's; LAMB: 1e-3). */
export const DEFAULT_LEARNING_RATE: Record<OptimizerName, number> = {
  sgd: 1e-3, adam: 1e-3, adamw: 1e-3, rmsprop: 1e-2, adagrad: 1e-2, adadelta: 1.0, adamax: 2e-3, nadam: 2e-3,
  lion: 1e-4, lamb: 1e-3,
};

/** Hyper-parameters each optimizer takes beside name, learningRate, clipValue and clipGlobalNorm. */
const OPTIONS: Record<OptimizerName, readonly string[]> = {
  sgd: ['momentum', 'dampening', 'nesterov', 'weightDecay'],
  adam: ['beta1', 'beta2', 'epsilon', 'weightDecay', 'amsgrad'],
  adamw: ['beta1', 'beta2', 'epsilon', 'weightDecay', 'amsgrad'],
  rmsprop: ['alpha', 'epsilon', 'weightDecay', 'momentum', 'centered'],
  adagrad: ['lrDecay', 'epsilon', 'weightDecay', 'initialAccumulatorValue'],
  adadelta: ['rho', 'epsilon', 'weightDecay'],
  adamax: ['beta1', 'beta2', 'epsilon', 'weightDecay'],
  nadam: ['beta1', 'beta2', 'epsilon', 'weightDecay', 'momentumDecay'],
  lion: ['beta1', 'beta2', 'weightDecay'],
  lamb: ['beta1', 'beta2', 'epsilon', 'weightDecay'],
};
const COMMON = ['name', 'learningRate', 'clipValue', 'clipGlobalNorm'];

const unit = { min: 0, max: 1, maxExclusive: true };
const nonNegative = { min: 0 };
const positive = { min: 0, minExclusive: true };

/** Checks an optimizer spec's name and hyper-parameters (not learningRate, which schedules check). */
export function optimizerFromSpec(spec: unknown, path = 'optimizer'): Transform {
  const s = plainObject(path, spec);
  const opt = choiceOption(`${path}.name`, s.name, OPTIMIZER_NAMES);
  knownKeys(path, s, [...COMMON, ...OPTIONS[opt]]);
  const num = (key: string, fallback: number | undefined, rule: Parameters<typeof numberOption>[3]) =>
    numberOption(`${path}.${key}`, s[key], fallback, rule);

  const transforms: Transform[] = [];
  if (s.clipValue !== undefined) transforms.push(clipValue(num('clipValue', 0, positive)));
  if (s.clipGlobalNorm !== undefined) transforms.push(clipGlobalNorm(num('clipGlobalNorm', 0, positive)));

  switch (opt) {
    case 'sgd': {
      const momentum = num('momentum', 0, nonNegative);
      const dampening = num('dampening', 0, nonNegative);
      const nesterov = booleanOption(`${path}.nesterov`, s.nesterov, false);
      if (nesterov && (momentum <= 0 || dampening !== 0)) {
        throw new RangeError(
          `${path}.nesterov needs momentum > 0 and dampening = 0 (as torch.optim.SGD), got momentum ${momentum}, dampening ${dampening}`,
        );
      }
      transforms.push(sgd(momentum, dampening, nesterov, num('weightDecay', 0, nonNegative)));
      break;
    }
    case 'adam':
    case 'adamw':
      transforms.push(adam(
        num('beta1', 0.9, unit), num('beta2', 0.999, unit), num('epsilon', 1e-8, positive),
        num('weightDecay', opt === 'adamw' ? 0.01 : 0, nonNegative), booleanOption(`${path}.amsgrad`, s.amsgrad, false),
        opt === 'adamw',
      ));
      break;
    case 'rmsprop':
      transforms.push(rmsprop(
        num('alpha', 0.99, unit), num('epsilon', 1e-8, positive), num('weightDecay', 0, nonNegative),
        num('momentum', 0, nonNegative), booleanOption(`${path}.centered`, s.centered, false),
      ));
      break;
    case 'adagrad':
      transforms.push(adagrad(
        num('lrDecay', 0, nonNegative), num('epsilon', 1e-10, positive), num('weightDecay', 0, nonNegative),
        num('initialAccumulatorValue', 0, nonNegative),
      ));
      break;
    case 'adadelta':
      transforms.push(adadelta(num('rho', 0.9, { min: 0, max: 1 }), num('epsilon', 1e-6, positive), num('weightDecay', 0, nonNegative)));
      break;
    case 'adamax':
      transforms.push(adamax(num('beta1', 0.9, unit), num('beta2', 0.999, unit), num('epsilon', 1e-8, positive), num('weightDecay', 0, nonNegative)));
      break;
    case 'nadam':
      transforms.push(nadam(
        num('beta1', 0.9, unit), num('beta2', 0.999, unit), num('epsilon', 1e-8, positive),
        num('weightDecay', 0, nonNegative), num('momentumDecay', 4e-3, nonNegative),
      ));
      break;
    case 'lion':
      transforms.push(lion(num('beta1', 0.9, { min: 0, max: 1 }), num('beta2', 0.99, { min: 0, max: 1 }), num('weightDecay', 0, nonNegative)));
      break;
    case 'lamb':
      transforms.push(lamb(num('beta1', 0.9, unit), num('beta2', 0.999, unit), num('epsilon', 1e-6, positive), num('weightDecay', 0, nonNegative)));
      break;
  }
  return transforms.length === 1 ? transforms[0]! : chain(...transforms);
}

/** Clamps every gradient to [−c, c] (Keras clipvalue). */
export function clipValue(c: number): Transform {
  return {
    name: 'clipValue',
    init: (target) => simpleState(new Map(), () => target.heap.exports.clip_value_f32(target.grads.ptr, target.grads.length, c)),
  };
}

/** Scales the gradient by maxNorm/(‖g‖ + 1e-6) when that is below 1 (torch.nn.utils.clip_grad_norm_). */
export function clipGlobalNorm(maxNorm: number): Transform {
  return {
    name: 'clipGlobalNorm',
    init: (target) => simpleState(new Map(), () => {
      const k = target.heap.exports;
      const norm = Math.sqrt(k.sum_squares_f32(target.grads.ptr, target.grads.length));
      const coefficient = maxNorm / (norm + 1e-6);
      if (coefficient < 1) k.scale_f32(target.grads.ptr, target.grads.length, coefficient);
    }),
  };
}

function sgd(momentum: number, dampening: number, nesterov: boolean, weightDecay: number): Transform {
  return {
    name: 'sgd',
    init(target) {
      const slots = allocateSlots(target, momentum > 0 ? ['momentum_buffer'] : []);
      const buf = slots.get('momentum_buffer')?.ptr ?? 0;
      return simpleState(slots, (t, lr) => target.heap.exports.sgd_f32(
        target.params.ptr, target.grads.ptr, buf, target.params.length, lr, momentum, dampening, nesterov, weightDecay, t === 1,
      ));
    },
  };
}

function adam(beta1: number, beta2: number, epsilon: number, weightDecay: number, amsgrad: boolean, decoupled: boolean): Transform {
  return {
    name: decoupled ? 'adamw' : 'adam',
    init(target) {
      const slots = allocateSlots(target, amsgrad ? ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'] : ['exp_avg', 'exp_avg_sq']);
      return simpleState(slots, (t, lr) => {
        const stepSize = lr / (1 - beta1 ** t);
        const sqrtBc2 = Math.sqrt(1 - beta2 ** t);
        target.heap.exports.adam_f32(
          target.params.ptr, target.grads.ptr, slots.get('exp_avg')!.ptr, slots.get('exp_avg_sq')!.ptr,
          slots.get('max_exp_avg_sq')?.ptr ?? 0, target.params.length, stepSize, beta1, 1 - beta1, beta2, 1 - beta2, epsilon, sqrtBc2,
          decoupled ? 0 : weightDecay, decoupled ? 1 - lr * weightDecay : 1,
        );
      });
    },
  };
}

function rmsprop(alpha: number, epsilon: number, weightDecay: number, momentum: number, centered: boolean): Transform {
  return {
    name: 'rmsprop',
    init(target) {
      const names = ['square_avg', ...(centered ? ['grad_avg'] : []), ...(momentum > 0 ? ['momentum_buffer'] : [])];
      const slots = allocateSlots(target, names);
      return simpleState(slots, (_t, lr) => target.heap.exports.rmsprop_f32(
        target.params.ptr, target.grads.ptr, slots.get('square_avg')!.ptr, slots.get('grad_avg')?.ptr ?? 0,
        slots.get('momentum_buffer')?.ptr ?? 0, target.params.length, lr, alpha, 1 - alpha, epsilon, momentum, weightDecay,
      ));
    },
  };
}

function adagrad(lrDecay: number, epsilon: number, weightDecay: number, initialAccumulatorValue: number): Transform {
  return {
    name: 'adagrad',
    init(target) {
      const slots = allocateSlots(target, ['sum']);
      slots.get('sum')!.array.fill(initialAccumulatorValue);
      return simpleState(slots, (t, lr) => target.heap.exports.adagrad_f32(
        target.params.ptr, target.grads.ptr, slots.get('sum')!.ptr, target.params.length,
        lr / (1 + (t - 1) * lrDecay), epsilon, weightDecay,
      ));
    },
  };
}

function adadelta(rho: number, epsilon: number, weightDecay: number): Transform {
  return {
    name: 'adadelta',
    init(target) {
      const slots = allocateSlots(target, ['square_avg', 'acc_delta']);
      return simpleState(slots, (_t, lr) => target.heap.exports.adadelta_f32(
        target.params.ptr, target.grads.ptr, slots.get('square_avg')!.ptr, slots.get('acc_delta')!.ptr,
        target.params.length, lr, rho, 1 - rho, epsilon, weightDecay,
      ));
    },
  };
}

function adamax(beta1: number, beta2: number, epsilon: number, weightDecay: number): Transform {
  return {
    name: 'adamax',
    init(target) {
      const slots = allocateSlots(target, ['exp_avg', 'exp_inf']);
      return simpleState(slots, (t, lr) => target.heap.exports.adamax_f32(
        target.params.ptr, target.grads.ptr, slots.get('exp_avg')!.ptr, slots.get('exp_inf')!.ptr,
        target.params.length, lr / (1 - beta1 ** t), beta1, 1 - beta1, beta2, epsilon, weightDecay,
      ));
    },
  };
}

function nadam(beta1: number, beta2: number, epsilon: number, weightDecay: number, momentumDecay: number): Transform {
  return {
    name: 'nadam',
    init(target) {
      const slots = allocateSlots(target, ['exp_avg', 'exp_avg_sq']);
      const scalars = { mu_product: 1 };
      const state: TransformState = simpleState(slots, (t, lr) => {
        const mu = beta1 * (1 - 0.5 * 0.96 ** (t * momentumDecay));
        const muNext = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentumDecay));
        state.scalars.mu_product! *= mu;
        const product = state.scalars.mu_product!;
        target.heap.exports.nadam_f32(
          target.params.ptr, target.grads.ptr, slots.get('exp_avg')!.ptr, slots.get('exp_avg_sq')!.ptr,
          target.params.length, (lr * (1 - mu)) / (1 - product), (lr * muNext) / (1 - product * muNext),
          beta1, 1 - beta1, beta2, 1 - beta2, epsilon, 1 - beta2 ** t, weightDecay,
        );
      }, scalars);
      return state;
    },
  };
}

function lion(beta1: number, beta2: number, weightDecay: number): Transform {
  return {
    name: 'lion',
    init(target) {
      const slots = allocateSlots(target, ['exp_avg']);
      return simpleState(slots, (_t, lr) => target.heap.exports.lion_f32(
        target.params.ptr, target.grads.ptr, slots.get('exp_avg')!.ptr, target.params.length, lr, beta1, 1 - beta1, beta2, 1 - beta2, weightDecay,
      ));
    },
  };
}

function lamb(beta1: number, beta2: number, epsilon: number, weightDecay: number): Transform {
  return {
    name: 'lamb',
    init(target: FlatParams) {
      const slots = allocateSlots(target, ['exp_avg', 'exp_avg_sq']);
      return simpleState(slots, (t, lr) => {
        const k = target.heap.exports;
        // Direction u = m̂/(sqrt(v̂) + eps) + wd·p into the gradient buffer, then per tensor
        // p −= lr·(‖p‖/‖u‖)·u (ratio 1 when either norm is 0), as optax.lamb.
        k.lamb_direction_f32(
          target.params.ptr, target.grads.ptr, slots.get('exp_avg')!.ptr, slots.get('exp_avg_sq')!.ptr,
          target.params.length, beta1, 1 - beta1, beta2, 1 - beta2, epsilon, 1 / (1 - beta1 ** t), 1 / (1 - beta2 ** t), weightDecay,
        );
        for (const segment of target.segments) {
          const p = target.params.ptr + segment.offset * 4;
          const u = target.grads.ptr + segment.offset * 4;
          const paramNorm = Math.sqrt(k.sum_squares_f32(p, segment.length));
          const updateNorm = Math.sqrt(k.sum_squares_f32(u, segment.length));
          const ratio = paramNorm > 0 && updateNorm > 0 ? paramNorm / updateNorm : 1;
          k.subtract_scaled_f32(p, u, segment.length, lr * ratio);
        }
      });
    },
  };
}
