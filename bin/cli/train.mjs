// `descent train`: loads the data, builds the spec from the flags, trains in a worker thread with a
// progress bar and a metrics line per epoch, then reports the held-out result and saves the model.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import cliProgress from 'cli-progress';
import { createTrainer } from 'descent-wasm';
import { writeCheckpoint } from 'descent-wasm/node';
import { heldOutSplit, loadDataSet } from './data.mjs';
import { baseLearningRate, epochCount, learningRateSpec, OPTIMIZER_FLAG_OF, UsageError } from './options.mjs';

// Output activation each loss expects, by the kind of target it takes.
const CLASS_INDEX_LOSSES = { softmax_cross_entropy: 'linear', nll: 'log_softmax' };
const ONE_HOT_LOSSES = { cross_entropy: 'softmax', kl_div: 'softmax' };
const BINARY_LOSSES = { binary_cross_entropy: 'sigmoid', bce_with_logits: 'linear', hinge: 'linear', squared_hinge: 'linear' };
// poisson predicts rates, which must stay ≥ 0
const REGRESSION_ACTIVATION = { poisson: 'relu' };
const BATCH_CALLBACK_MS = 100;
const EXIT_INTERRUPTED = 130;

/** Targets for `loss` from the data's labels: y, output units and output activation. Throws UsageError when they do not fit. */
function targetsFor(loss, data) {
  const needClasses = () => {
    if (!data.classes) {
      const example = data.values.find((v) => !Number.isInteger(v));
      throw new UsageError(example === undefined
        ? `--loss ${loss} needs class labels, got --task regression`
        : `--loss ${loss} needs class labels (integers or strings), got the non-integer label ${example} in ${data.name}`);
    }
    const present = new Set(data.classes);
    if (present.size < 2) {
      const [only] = present;
      throw new UsageError(`${data.name} has a single class (${JSON.stringify(data.classNames?.[only] ?? only)}) in its labels: a classifier needs at least 2`);
    }
    return data.classes;
  };
  if (loss in CLASS_INDEX_LOSSES) {
    return { y: needClasses(), outputs: data.classCount, activation: CLASS_INDEX_LOSSES[loss] };
  }
  if (loss in ONE_HOT_LOSSES) {
    const classes = needClasses();
    const y = new Float32Array(data.rows * data.classCount);
    classes.forEach((label, row) => { y[row * data.classCount + label] = 1; });
    return { y, outputs: data.classCount, activation: ONE_HOT_LOSSES[loss] };
  }
  if (loss in BINARY_LOSSES) {
    const classes = needClasses();
    if (data.classCount !== 2) throw new UsageError(`--loss ${loss} needs exactly 2 classes, got ${data.classCount} in ${data.name}`);
    return { y: Float32Array.from(classes), outputs: 1, activation: BINARY_LOSSES[loss] };
  }
  if (!data.values) {
    throw new UsageError(`--loss ${loss} needs numeric labels, got the label ${JSON.stringify(data.classNames[0])} in ${data.name}`);
  }
  return { y: data.values, outputs: 1, activation: REGRESSION_ACTIVATION[loss] ?? 'linear' };
}

/**
 * --spec FILE: JSON { inputShape?, layers } (or just the layers array) — hidden layers of any type;
 * inputShape must hold the data's features (its product equals their number). Throws UsageError.
 */
function readSpecFile(flags, features) {
  const file = flags.spec;
  for (const flag of ['layers', 'activation', 'dropout']) {
    if (flags[flag] !== undefined) throw new UsageError(`--${flag} does not apply with --spec (the file gives the layers), got --${flag} ${flags[flag]}`);
  }
  let parsed;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`--spec ${file} must be a readable JSON file: ${error.message}`);
  }
  const spec = Array.isArray(parsed) ? { layers: parsed } : parsed;
  if (spec === null || typeof spec !== 'object' || !Array.isArray(spec.layers)) {
    throw new UsageError(`--spec ${file} must hold { inputShape?, layers: [...] } or an array of layers, got ${JSON.stringify(parsed)?.slice(0, 80)}`);
  }
  const extra = Object.keys(spec).filter((key) => key !== 'layers' && key !== 'inputShape');
  if (extra.length > 0) throw new UsageError(`--spec ${file} takes inputShape and layers (flags set the rest), got ${extra.join(', ')}`);
  if (spec.inputShape !== undefined) {
    const size = Array.isArray(spec.inputShape) ? spec.inputShape.reduce((a, b) => a * b, 1) : NaN;
    if (size !== features) {
      throw new UsageError(`--spec ${file}: inputShape ${JSON.stringify(spec.inputShape)} must hold the data's ${features} features, got ${size}`);
    }
  }
  return spec;
}

/** The library's spec errors (TypeError, RangeError), reworded to name the flag that set the field; other errors as they are. */
export function specError(error, flags) {
  if (!(error instanceof TypeError || error instanceof RangeError)) return error;
  const unknown = /^unknown option "(\w+)" in optimizer/.exec(error.message);
  if (unknown && OPTIMIZER_FLAG_OF[unknown[1]]) {
    const flag = OPTIMIZER_FLAG_OF[unknown[1]];
    return new UsageError(`${flag} does not apply to --optimizer ${flags.optimizer ?? 'adam'} (descent --help says which optimizers take it), got ${flags[flag.slice(2)]}`);
  }
  const field = /^optimizer\.(\w+)(\.\w+)*/.exec(error.message);
  if (field?.[1] === 'learningRate') return new UsageError(error.message.replace(field[0], '--lr'));
  if (field && OPTIMIZER_FLAG_OF[field[1]]) return new UsageError(error.message.replace(field[0], OPTIMIZER_FLAG_OF[field[1]]));
  return new UsageError(`these flags make an invalid spec: ${error.message}`);
}

/** Row counts of the held-out, validation and training parts; throws UsageError when a requested part would be empty. */
function splitSizes(rows, testSplit, validationSplit) {
  const test = Math.round(rows * testSplit);
  if (testSplit > 0 && test === 0) throw new UsageError(`--test-split ${testSplit} of ${rows} rows must hold out at least one row, got 0`);
  const validation = Math.floor((rows - test) * validationSplit);
  if (validationSplit > 0 && validation === 0) {
    throw new UsageError(`--validation-split ${validationSplit} of ${rows - test} rows must select at least one row, got 0`);
  }
  const fit = rows - test - validation;
  if (fit < 1) throw new UsageError(`--test-split ${testSplit} and --validation-split ${validationSplit} must leave training rows, got 0 of ${rows}`);
  return { test, validation, fit };
}

const fixed = (value) => (Math.abs(value) < 1e5 || !Number.isFinite(value) ? value.toFixed(4) : value.toExponential(3));
const duration = (ms) => (ms < 1000 ? `${ms.toFixed(ms < 10 ? 1 : 0)} ms` : `${(ms / 1000).toFixed(2)} s`);

function epochLine(log, epochs) {
  const parts = [`epoch ${String(log.epoch).padStart(String(epochs).length)}/${epochs}`, `loss ${fixed(log.loss)}`];
  if (log.accuracy !== undefined) parts.push(`accuracy ${fixed(log.accuracy)}`);
  if (log.mae !== undefined) parts.push(`mae ${fixed(log.mae)}`);
  if (log.valLoss !== undefined) parts.push(`val_loss ${fixed(log.valLoss)}`);
  if (log.valAccuracy !== undefined) parts.push(`val_accuracy ${fixed(log.valAccuracy)}`);
  if (log.valMae !== undefined) parts.push(`val_mae ${fixed(log.valMae)}`);
  parts.push(`lr ${log.lr.toExponential(2)}`, `time ${duration(log.ms)}`);
  return parts.join('  ');
}

/**
 * What `descent train` and `descent lr-find` share: the data loaded and split (held-out rows, then
 * training + validation rows), the spec built from the flags. Throws UsageError.
 */
export async function setUp(flags) {
  const batchSize = flags['batch-size'] ?? 32;
  const seed = flags.seed ?? 0;
  const data = await loadDataSet(flags.data ?? 'digits', flags.label, flags.task);
  const loss = flags.loss ?? (data.classes ? 'softmax_cross_entropy' : 'mse');
  const target = targetsFor(loss, data);
  const validationSplit = flags['validation-split'] ?? 0.2;
  const sizes = splitSizes(data.rows, flags['test-split'] ?? 0.2, validationSplit);
  const { train: trainPart, test } = heldOutSplit(data.x, target.y, data.rows, sizes.test, seed);
  const batches = Math.ceil(sizes.fit / batchSize);
  const epochs = epochCount(flags, batches);
  const hidden = flags.layers ?? [64];
  const activation = flags.activation ?? 'relu';
  const l2 = flags.l2 || undefined;
  const fromFile = flags.spec === undefined ? null : readSpecFile(flags, data.cols);
  const layers = fromFile ? [...fromFile.layers] : hidden.flatMap((units) => [
    { units, activation, l2 },
    ...(flags.dropout ? [{ type: 'dropout', rate: flags.dropout }] : []),
  ]);
  layers.push({ units: target.outputs, activation: target.activation, l2 });
  const optimizer = { name: flags.optimizer ?? 'adam', learningRate: learningRateSpec(flags, epochs * batches) };
  for (const [key, flag] of Object.entries(OPTIMIZER_FLAG_OF)) optimizer[key] = flags[flag.slice(2)];
  const input = fromFile?.inputShape ? { inputShape: fromFile.inputShape } : { inputSize: data.cols };
  const spec = { ...input, layers, loss, optimizer, seed, normalize: !flags['no-normalize'] };
  return { data, loss, target, validationSplit, sizes, trainPart, test, batchSize, batches, epochs, hidden, activation, fromFile, optimizer, spec };
}

/** Runs `descent train` with parsed flags; resolves with the exit code (0, 1, 130) and throws UsageError before training starts. */
export async function train(flags, version) {
  const out = (line) => process.stdout.write(`${line}\n`);
  const say = flags.quiet ? () => {} : out;
  if (flags.save !== undefined && !(existsSync(dirname(flags.save)) && statSync(dirname(flags.save)).isDirectory())) {
    throw new UsageError(`--save must be a file in an existing directory, got ${JSON.stringify(flags.save)}`);
  }
  const { data, loss, target, validationSplit, sizes, trainPart, test, batchSize, batches, epochs, hidden, activation, fromFile, optimizer, spec } = await setUp(flags);
  // a long default run prints about 20 epoch lines (and the last), not hundreds
  const printEvery = flags.epochs === undefined ? Math.max(1, Math.ceil(epochs / 20)) : 1;

  let interrupted = false;
  let trainer = null;
  let bar = null;
  const stopBar = () => {
    bar?.stop();
    bar = null;
  };
  const onInterrupt = () => {
    stopBar();
    if (interrupted) process.exit(EXIT_INTERRUPTED); // a second Ctrl-C does not wait
    interrupted = true;
    process.stderr.write('\ninterrupted: stopping after the current batch (Ctrl-C again to quit at once)\n');
    trainer?.stop();
  };
  process.on('SIGINT', onInterrupt);
  const started = performance.now();
  try {
    try {
      trainer = await createTrainer(spec, { worker: !flags['no-worker'] }); // checks the spec before any worker starts
    } catch (error) {
      throw specError(error, flags);
    }
    say(`descent ${version} · ${data.name}: ${data.rows} rows × ${data.cols} features, ` +
      `${data.classes ? `${data.classCount} classes` : 'numeric labels'} · ${sizes.fit} training, ${sizes.validation} validation, ${sizes.test} held-out rows`);
    if (data.classNames && data.classNames.length <= 12 && loss in { ...CLASS_INDEX_LOSSES, ...ONE_HOT_LOSSES, ...BINARY_LOSSES }) {
      say(`classes: ${data.classNames.map((name, i) => `${i} = ${name}`).join(', ')}`);
    }
    const shape = fromFile?.inputShape ? `[${fromFile.inputShape.join(', ')}]` : data.cols;
    const middle = fromFile ? fromFile.layers.map((layer) => layer.type ?? `dense ${layer.units}`) : hidden.map((units) => `${units} ${activation}`);
    say(`network ${[shape, ...middle, `${target.outputs} ${target.activation}`].join(' → ')} · ` +
      `${loss} · ${optimizer.name} lr ${baseLearningRate(flags)} ${flags.schedule ?? 'constant'} · ${epochs} epochs × ${batches} batches of ${batchSize}${printEvery > 1 ? ` (a line every ${printEvery} epochs)` : ''}`);
    const info = trainer.info;
    say(`${info.parameters} parameters · ${info.worker === 'none' ? 'this thread' : `${info.worker} worker`} · ${info.build} WebAssembly build`);
    const showBar = !flags.quiet && process.stdout.isTTY;
    const history = interrupted ? { epochs: [], stopReason: 'stopped' } : await trainer.fit(trainPart.x, trainPart.y, {
      epochs,
      batchSize,
      validationSplit, // of the rows left after the held-out split: the trainer counts as splitSizes does
      batchCallbackInterval: BATCH_CALLBACK_MS,
      onBatchEnd: showBar ? (log) => {
        if (!bar) {
          bar = new cliProgress.SingleBar({
            format: `epoch ${log.epoch}/${epochs} [{bar}] {value}/{total} batches  loss {loss}`,
            stream: process.stdout, clearOnComplete: true, hideCursor: true, barsize: 30,
          }, cliProgress.Presets.shades_classic);
          bar.start(batches, 0, { loss: '' });
        }
        bar.update(log.batch, { loss: fixed(log.loss) });
      } : undefined,
      onEpochEnd: (log) => {
        stopBar();
        if (log.epoch % printEvery === 0 || log.epoch === epochs) say(epochLine(log, epochs));
      },
    });
    stopBar();
    const seconds = (performance.now() - started) / 1000;
    const done = history.epochs.length;
    if (history.stopReason === 'stopped') say(`stopped by Ctrl-C after ${done} of ${epochs} epochs (${seconds.toFixed(2)} s)`);
    else if (history.stopReason === 'nan') {
      process.stderr.write(`descent: the loss became NaN or infinite in epoch ${done + 1}; the weights are those of the last finite step\n`);
    } else say(`${history.stopReason} in ${seconds.toFixed(2)} s`);
    if (test.rows > 0) {
      const result = await trainer.evaluate(test.x, test.y);
      const metric = result.accuracy !== undefined ? `accuracy ${fixed(result.accuracy)}` : `mae ${fixed(result.mae)}`;
      out(`held-out ${metric}  loss ${fixed(result.loss)}  (${test.rows} rows)`);
    } else {
      out('held-out: none (--test-split 0)');
    }
    if (flags.save !== undefined) {
      const bytes = await trainer.save();
      await writeCheckpoint(flags.save, bytes);
      out(`saved ${flags.save} (${bytes.length} bytes, safetensors)`);
    }
    if (interrupted) return EXIT_INTERRUPTED;
    return history.stopReason === 'nan' ? 1 : 0;
  } finally {
    stopBar();
    process.off('SIGINT', onInterrupt);
    await trainer?.dispose();
  }
}
