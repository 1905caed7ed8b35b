// The training form as data: every control's label, tooltip, default, where it lives (Basic or
// Advanced), whether it still applies when a stopped run is resumed, and the rule its value must meet.
// form.js renders and reads this table; settings.js puts the values in the URL.
import { ACTIVATIONS, OPTIMIZER_NAMES } from 'descent-wasm';
import { DATASETS, DATASET_NAMES } from './catalog.js';

const MOMENTUM_OPTIMIZERS = ['sgd', 'rmsprop', 'adam', 'adamw', 'adamax', 'nadam', 'lion', 'lamb'];

/** A number rule: the message says the rule and echoes the value got. */
function number({ min, max, integer = false, above = false }) {
  return (raw) => {
    const text = raw.trim();
    const value = Number(text);
    const kind = integer ? 'a whole number' : 'a number';
    const range = `${above ? `above ${min}` : `at least ${min}`} and at most ${max}`;
    if (text === '' || !/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text) || !Number.isFinite(value)) throw new RangeError(`must be ${kind}, got "${raw}"`);
    if (integer && !Number.isInteger(value)) throw new RangeError(`must be a whole number, got ${text}`);
    if (value < min || value > max || (above && value === min)) throw new RangeError(`must be ${range}, got ${text}`);
    return value;
  };
}

/** "64, 32" or "64 32": unit counts of the hidden layers, each in [1, 4096]. */
function hiddenLayers(raw) {
  const text = raw.trim();
  if (text === '') throw new RangeError('give at least one layer size, for example 64 or 128, 64');
  if (!/^\d+([\s,]+\d+)*$/.test(text) || /,\s*,/.test(text)) {
    throw new RangeError(`must be whole numbers separated by commas or spaces, like 128, 64; got "${raw}"`);
  }
  const units = text.split(/[\s,]+/).map(Number);
  const bad = units.find((u) => u < 1 || u > 4096);
  if (bad !== undefined) throw new RangeError(`each layer needs 1 to 4096 units, got ${bad}`);
  return units;
}

const choice = (options) => (raw) => {
  if (!options.some(([value]) => value === raw)) throw new RangeError(`must be one of ${options.map(([v]) => v).join(', ')}, got "${raw}"`);
  return raw;
};

const options = (names) => names.map((name) => [name, name]);
const ACTIVATION_OPTIONS = options(ACTIVATIONS.filter((a) => !['linear', 'softmax', 'log_softmax'].includes(a)));
const DATASET_OPTIONS = DATASET_NAMES.map((name) => [name, DATASETS[name].label]);
const SCHEDULE_OPTIONS = [['constant', 'constant'], ['cosine', 'cosine decay'], ['step', 'halve every 3 epochs'],
  ['exponential', '×0.9 per epoch'], ['oneCycle', 'one-cycle']];
const NETWORK_OPTIONS = [['mlp', 'dense layers'], ['cnn', 'small CNN + dense (images)']];

export const FIELDS = [
  { id: 'dataset', label: 'Data set', group: 'basic', kind: 'select', options: DATASET_OPTIONS, default: 'spirals',
    help: 'What the network learns from. 2-D sets show the decision boundary; digit sets let you draw your own.' },
  { id: 'layers', label: 'Hidden layers', group: 'basic', kind: 'text', default: '16, 16', parse: hiddenLayers,
    help: 'Units per hidden layer, separated by commas or spaces: 64 is one layer of 64, "128, 64" two layers.' },
  { id: 'lr', label: 'Learning rate', group: 'basic', kind: 'number', default: '0.005', parse: number({ min: 0, max: 10, above: true }),
    help: 'How big a step each update takes. Too small: slow; too large: the loss jumps around or explodes.' },
  { id: 'batchSize', label: 'Batch size', group: 'basic', kind: 'number', default: '16', resumable: true,
    parse: number({ min: 1, max: 4096, integer: true }), help: 'Examples averaged into one gradient step.' },
  { id: 'epochs', label: 'Epochs', group: 'basic', kind: 'number', default: '150', resumable: true,
    parse: number({ min: 1, max: 1000, integer: true }), help: 'Passes over the training data (in total: Resume trains up to this many).' },
  { id: 'slow', label: 'Slow motion: spread a run over about 10 s', group: 'basic', kind: 'checkbox', default: true, resumable: true,
    help: 'Spreads a fast run over about 10 seconds so you can watch it learn; training itself is not slowed.' },
  { id: 'network', label: 'Network', group: 'advanced', kind: 'select', options: NETWORK_OPTIONS, default: 'mlp',
    parse: (raw, values) => {
      if (raw === 'cnn' && !DATASETS[values.dataset]?.image) throw new RangeError('a CNN needs an image data set (8×8 digits or MNIST)');
      return choice(NETWORK_OPTIONS)(raw);
    },
    help: 'Dense layers only, or two small convolution + pooling layers before them (image data sets).' },
  { id: 'activation', label: 'Activation', group: 'advanced', kind: 'select', options: ACTIVATION_OPTIONS, default: 'relu',
    help: 'The non-linearity after each hidden layer.' },
  { id: 'dropout', label: 'Dropout', group: 'advanced', kind: 'number', default: '0', parse: number({ min: 0, max: 0.9 }),
    help: 'Fraction of hidden units switched off at random in each step: fights overfitting.' },
  { id: 'loss', label: 'Loss', group: 'advanced', kind: 'select', default: 'softmax_cross_entropy',
    options: [['softmax_cross_entropy', 'cross-entropy'], ['nll', 'NLL (log-softmax output)']],
    help: 'What the network minimises: cross-entropy on its logits, or negative log-likelihood after a log-softmax.' },
  { id: 'smoothing', label: 'Label smoothing', group: 'advanced', kind: 'number', default: '0', parse: number({ min: 0, max: 0.5 }),
    applies: (v) => v.loss === 'softmax_cross_entropy', help: 'Aims for 1 − s on the right class instead of 1 (cross-entropy only).' },
  { id: 'optimizer', label: 'Optimizer', group: 'advanced', kind: 'select', options: options(OPTIMIZER_NAMES), default: 'adam',
    help: 'How gradients become weight updates. Adam is a good default; SGD is the textbook one.' },
  { id: 'momentum', label: 'Momentum / β₁', group: 'advanced', kind: 'number', default: '0.9', parse: number({ min: 0, max: 0.999 }),
    applies: (v) => MOMENTUM_OPTIMIZERS.includes(v.optimizer), help: 'How much of the previous update carries over (β₁ for Adam-like optimizers).' },
  { id: 'weightDecay', label: 'Weight decay', group: 'advanced', kind: 'number', default: '0', parse: number({ min: 0, max: 1 }),
    help: 'Shrinks weights a little every step: another guard against overfitting.' },
  { id: 'schedule', label: 'Schedule', group: 'advanced', kind: 'select', options: SCHEDULE_OPTIONS, default: 'constant',
    help: 'How the learning rate changes during the run.' },
  { id: 'seed', label: 'Seed', group: 'advanced', kind: 'number', default: '1', parse: number({ min: 0, max: 2 ** 32 - 1, integer: true }),
    help: 'Same seed, same settings: the same run, bit for bit (initial weights, shuffling, dropout, split).' },
  { id: 'workers', label: 'Workers', group: 'advanced', kind: 'select', default: '1',
    options: [['1', '1'], ['2', '2 (data-parallel)'], ['4', '4 (data-parallel)']],
    help: 'Split every batch across this many Web Workers (data parallelism).' },
];

for (const field of FIELDS) if (!field.parse) field.parse = field.kind === 'checkbox' ? (raw) => raw : choice(field.options);

export const FIELD_BY_ID = Object.fromEntries(FIELDS.map((field) => [field.id, field]));

/** The form's default values (as the controls hold them) for data set `name`. */
export function defaultsFor(name) {
  const values = Object.fromEntries(FIELDS.map((field) => [field.id, field.default]));
  return { ...values, ...DATASETS[name].defaults, dataset: name };
}
