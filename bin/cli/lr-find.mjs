// `descent lr-find`: the learning-rate range test (trainer.findLearningRate) on the rows `descent
// train` would train on, with the same data and network flags; prints the curve as a text plot over
// a log-scaled learning-rate axis and the suggested rate.
import { createTrainer } from 'descent-wasm';
import { setUp, specError } from './train.mjs';

const PLOT_WIDTH = 64;
const PLOT_HEIGHT = 14;
const EXIT_INTERRUPTED = 130;

const rate = (lr) => lr.toExponential(1);
const lossText = (value) => (Math.abs(value) < 1e4 ? value.toPrecision(4) : value.toExponential(2));

/**
 * The range test's curve as text: one column per step of log(lr), rows of loss from the lowest to the
 * highest before the lowest (the diverging tail is cut at the top edge, marked ^), a | under the
 * suggestion. Returns the lines.
 */
export function plotCurve(lrs, losses, suggestion, width = PLOT_WIDTH, height = PLOT_HEIGHT) {
  const lowest = losses.indexOf(Math.min(...losses));
  const bottom = losses[lowest];
  const top = Math.max(...losses.slice(0, lowest + 1), bottom * (1 + 1e-6) + 1e-12);
  const [left, right] = [Math.log(lrs[0]), Math.log(lrs[lrs.length - 1])];
  const columnOf = (lr) => Math.round(((Math.log(lr) - left) / Math.max(right - left, 1e-12)) * (width - 1));
  const grid = Array.from({ length: height }, () => Array(width).fill(' '));
  lrs.forEach((lr, i) => {
    const level = (losses[i] - bottom) / (top - bottom);
    const row = Math.min(height - 1, Math.max(0, Math.round((1 - Math.min(level, 1)) * (height - 1))));
    grid[row][columnOf(lr)] = level > 1 ? '^' : '*';
  });
  const labels = grid.map((_, row) => (row === 0 ? lossText(top) : row === height - 1 ? lossText(bottom) : ''));
  const labelWidth = Math.max(...labels.map((label) => label.length));
  const lines = grid.map((cells, row) => `${labels[row].padStart(labelWidth)} │${cells.join('')}`);
  const axis = Array(width).fill('─');
  if (Number.isFinite(suggestion)) axis[columnOf(suggestion)] = '┬';
  lines.push(`${' '.repeat(labelWidth)} └${axis.join('')}`);
  const ends = `${rate(lrs[0])}${' '.repeat(Math.max(1, width - rate(lrs[0]).length - rate(lrs[lrs.length - 1]).length))}${rate(lrs[lrs.length - 1])}`;
  const legend = ['learning rate (log scale)', Number.isFinite(suggestion) && '┬ the suggestion', grid.some((cells) => cells.includes('^')) && '^ a loss above the top edge (diverging)'];
  lines.push(`${' '.repeat(labelWidth + 2)}${ends}`, `${' '.repeat(labelWidth + 2)}${legend.filter(Boolean).join('; ')}`);
  return lines;
}

/** Runs `descent lr-find` with parsed flags; resolves with the exit code (0, 1, 130); throws UsageError before anything runs. */
export async function lrFind(flags, version) {
  const out = (line) => process.stdout.write(`${line}\n`);
  const run = await setUp(flags);
  const { data, sizes, trainPart, spec, batchSize } = run;
  // the rows `descent train` fits on: its validation rows are the last ones of the training part
  const width = trainPart.y.length / trainPart.rows;
  const x = trainPart.x.subarray(0, sizes.fit * data.cols);
  const y = trainPart.y.subarray(0, sizes.fit * width);
  const options = { batchSize, minLr: flags['min-lr'], maxLr: flags['max-lr'], steps: flags.steps, smoothing: flags.smoothing };
  let trainer = null;
  let interrupted = false;
  const onInterrupt = () => {
    if (interrupted) process.exit(EXIT_INTERRUPTED);
    interrupted = true;
    process.stderr.write('\ninterrupted: stopping after the current step (Ctrl-C again to quit at once)\n');
    trainer?.stop();
  };
  process.on('SIGINT', onInterrupt);
  try {
    try {
      trainer = await createTrainer(spec, { worker: !flags['no-worker'] });
    } catch (error) {
      throw specError(error, flags);
    }
    if (!flags.quiet) {
      out(`descent ${version} · ${data.name}: ${sizes.fit} training rows × ${data.cols} features · ${spec.loss} · ${spec.optimizer.name} · batches of ${batchSize}`);
    }
    const { lrs, losses, suggestion } = await trainer.findLearningRate(x, y, options);
    if (lrs.length < 2) {
      process.stderr.write(`descent: the loss diverged at the first step (learning rate ${rate(lrs[0] ?? NaN)}): lower --min-lr\n`);
      return 1;
    }
    if (!flags.quiet) for (const line of plotCurve(lrs, losses, suggestion)) out(line);
    if (Number.isFinite(suggestion)) out(`suggested learning rate ${suggestion.toPrecision(3)} (a fifth of the rate where the smoothed loss stops falling; ${lrs.length} steps from ${rate(lrs[0])} to ${rate(lrs[lrs.length - 1])})`);
    else out(`no suggestion: the loss diverged after ${lrs.length} steps; lower --min-lr or raise --steps`);
    return interrupted ? EXIT_INTERRUPTED : 0;
  } finally {
    process.off('SIGINT', onInterrupt);
    await trainer?.dispose();
  }
}
