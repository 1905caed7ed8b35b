// The training page: builds a spec from the controls, trains in a Web Worker through descent's
// createTrainer, and shows progress (chart, held-out predictions, confusion matrix) while the
// main thread stays free (the meter in the header).
import {
  ACTIVATIONS, OPTIMIZER_NAMES, createTrainer, decodeSafetensors, listBrowserCheckpoints, loadCheckpointFromBrowser, saveCheckpointToBrowser,
} from 'descent-wasm';
import { loadDigits, loadIris, loadMnist, trainTestSplit } from '../data/datasets.web.mjs';
import { lossChart } from './chart.js';
import { startMeter } from './meter.js';

const $ = (id) => document.getElementById(id);
const meter = startMeter({ pulse: $('pulse'), fps: $('fps'), gap: $('gap'), meter: $('meter') });
const chart = lossChart($('chart'));
const GRID = 30;

for (const name of ACTIVATIONS.filter((a) => !['linear', 'softmax', 'log_softmax'].includes(a))) $('activation').append(new Option(name, name));
for (const name of OPTIMIZER_NAMES) $('optimizer').append(new Option(name, name, name === 'adam', name === 'adam'));

const state = {
  trainer: null,
  data: null, // { name, train, test, image: [w, h] | null, classes }
  running: false,
  epochsDone: 0,
  epochsWanted: 0,
  batchesPerEpoch: 1,
  fitOptions: null,
};

function status(text, error = false) {
  $('status').textContent = text;
  $('status').classList.toggle('error', error);
}

function setButtons() {
  const has = Boolean(state.trainer);
  $('start').disabled = state.running;
  $('stop').disabled = !state.running;
  $('resume').disabled = state.running || !has || state.epochsDone >= state.epochsWanted;
  $('reset').disabled = state.running || !has;
  $('save').disabled = state.running || !has;
  $('load').disabled = state.running;
  $('restore').disabled = state.running || $('restore').title.startsWith('nothing');
  for (const element of $('form').elements) element.disabled = state.running;
}

// ---------------------------------------------------------------------------------------------
// Data

const cache = new Map();
async function dataset(name, seed) {
  if (!cache.has(name)) {
    const load = { digits: loadDigits, iris: async () => loadIris(), mnist: loadMnist }[name];
    cache.set(name, await load());
  }
  const all = cache.get(name);
  const { train, test } = trainTestSplit(all, 0.2, seed);
  const image = { digits: [8, 8], mnist: [28, 28], iris: null }[name];
  return { name, train, test, image, classes: all.classes };
}

// ---------------------------------------------------------------------------------------------
// Spec from the controls

function number(id, { min = -Infinity, max = Infinity, integer = false } = {}) {
  const value = Number($(id).value);
  const label = $(id).closest('label').firstChild.textContent.trim();
  if ($(id).value.trim() === '' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new RangeError(`${label} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got "${$(id).value}"`);
  }
  return value;
}

const seed = () => number('seed', { min: 0, max: 2 ** 32 - 1, integer: true });

function specFrom(data) {
  const units = $('layers').value.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (units.some((u) => !Number.isInteger(u) || u < 1 || u > 4096)) {
    throw new RangeError(`Hidden layers must be comma-separated integers in [1, 4096], got "${$('layers').value}"`);
  }
  const activation = $('activation').value;
  const dropout = number('dropout', { min: 0, max: 0.9 });
  const layers = [];
  for (const u of units) {
    layers.push({ units: u, activation });
    if (dropout > 0) layers.push({ type: 'dropout', rate: dropout });
  }
  const lossName = $('loss').value;
  layers.push({ units: data.classes, ...(lossName === 'nll' ? { activation: 'log_softmax' } : {}) });
  const smoothing = number('smoothing', { min: 0, max: 0.5 });
  const loss = lossName === 'softmax_cross_entropy' && smoothing > 0 ? { name: lossName, labelSmoothing: smoothing } : lossName;

  const batchSize = number('batchSize', { min: 1, max: 4096, integer: true });
  const epochs = number('epochs', { min: 1, max: 1000, integer: true });
  const lr = number('lr', { min: 0, max: 10 });
  const momentum = number('momentum', { min: 0, max: 0.999 });
  const weightDecay = number('weightDecay', { min: 0, max: 1 });
  const batchesPerEpoch = Math.ceil(data.train.rows / batchSize);
  const totalSteps = epochs * batchesPerEpoch;
  const learningRate = {
    constant: lr,
    cosine: { name: 'cosine', initial: lr, tMax: totalSteps, etaMin: lr / 100 },
    step: { name: 'step', initial: lr, stepSize: 3 * batchesPerEpoch, gamma: 0.5 },
    exponential: { name: 'exponential', initial: lr, gamma: Math.pow(0.9, 1 / batchesPerEpoch) },
    oneCycle: { name: 'oneCycle', maxLr: lr, totalSteps },
  }[$('schedule').value];
  const name = $('optimizer').value;
  const optimizer = { name, learningRate };
  if (weightDecay > 0) optimizer.weightDecay = weightDecay;
  if (name === 'sgd' || name === 'rmsprop') optimizer.momentum = momentum;
  else if (['adam', 'adamw', 'adamax', 'nadam', 'lion', 'lamb'].includes(name)) optimizer.beta1 = momentum;
  const spec = {
    inputSize: data.train.cols,
    layers,
    loss,
    optimizer,
    seed: seed(),
    normalize: true,
  };
  return { spec, epochs, batchSize, batchesPerEpoch };
}

// ---------------------------------------------------------------------------------------------
// Views: held-out predictions and the confusion matrix

function argmax(values, classes) {
  const labels = new Int32Array(values.length / classes);
  for (let r = 0; r < labels.length; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (values[r * classes + c] > values[r * classes + best]) best = c;
    labels[r] = best;
  }
  return labels;
}

function drawGrid(data, predicted) {
  const grid = $('grid');
  grid.closest('section').hidden = !data.image;
  if (!data.image) return;
  const [w, h] = data.image;
  if (grid.dataset.dataset !== data.name || grid.children.length !== Math.min(GRID, data.test.rows)) {
    grid.replaceChildren();
    grid.dataset.dataset = data.name;
    const max = data.test.x.reduce((m, v) => Math.max(m, v), 0) || 1;
    for (let i = 0; i < Math.min(GRID, data.test.rows); i++) {
      const figure = document.createElement('figure');
      const canvas = document.createElement('canvas');
      canvas.width = w;
      canvas.height = h;
      const image = canvas.getContext('2d').createImageData(w, h);
      for (let p = 0; p < w * h; p++) {
        const v = Math.round((255 * data.test.x[i * w * h + p]) / max);
        image.data.set([v, v, v, 255], 4 * p);
      }
      canvas.getContext('2d').putImageData(image, 0, 0);
      canvas.setAttribute('role', 'img');
      figure.append(canvas, document.createElement('figcaption'));
      grid.append(figure);
    }
  }
  [...grid.children].forEach((figure, i) => {
    const truth = data.test.y[i];
    const caption = figure.querySelector('figcaption');
    const canvas = figure.querySelector('canvas');
    if (!predicted) {
      caption.textContent = `? (${truth})`;
      figure.classList.remove('wrong');
      canvas.setAttribute('aria-label', `digit ${truth}, not predicted yet`);
      return;
    }
    const guess = predicted[i];
    caption.textContent = guess === truth ? String(guess) : `${guess} ✗ (${truth})`;
    figure.classList.toggle('wrong', guess !== truth);
    canvas.setAttribute('aria-label', `digit ${truth}, predicted ${guess}`);
  });
}

function drawConfusion(data, predicted) {
  const k = data.classes;
  const counts = Array.from({ length: k }, () => new Array(k).fill(0));
  if (predicted) for (let i = 0; i < predicted.length; i++) counts[data.test.y[i]][predicted[i]]++;
  const table = document.createElement('table');
  table.className = 'confusion';
  table.innerHTML = `<caption class="sr-only">rows: true class, columns: predicted class</caption>
    <thead><tr><th scope="col">true \\ pred</th>${counts.map((_, c) => `<th scope="col">${c}</th>`).join('')}</tr></thead>`;
  const body = table.createTBody();
  counts.forEach((row, r) => {
    const tr = body.insertRow();
    tr.innerHTML = `<th scope="row">${r}</th>` + row.map((n, c) =>
      `<td class="${r === c ? 'diag' : n ? 'off' : ''}">${predicted ? n : ''}</td>`).join('');
  });
  $('confusion').replaceChildren(table);
}

async function refreshViews() {
  const { trainer, data } = state;
  if (!trainer || !data) {
    if (data) { drawGrid(data, null); drawConfusion(data, null); }
    return;
  }
  const predicted = argmax(await trainer.predict(data.test.x), data.classes);
  drawGrid(data, predicted);
  drawConfusion(data, predicted);
  let right = 0;
  for (let i = 0; i < predicted.length; i++) right += predicted[i] === data.test.y[i] ? 1 : 0;
  return right / predicted.length;
}

// ---------------------------------------------------------------------------------------------
// Training

async function train() {
  const { trainer, data } = state;
  state.running = true;
  setButtons();
  meter.resetLongest();
  const remaining = state.epochsWanted - state.epochsDone;
  status(`training ${data.name} for ${remaining} epoch${remaining === 1 ? '' : 's'}…`);
  const started = performance.now();
  try {
    const history = await trainer.fit(data.train.x, data.train.y, {
      ...state.fitOptions,
      epochs: remaining,
      // keep the latest state in this browser, so that a reload can restore it
      ...($('keep').checked ? { checkpoint: { every: 'epoch', onSave: (bytes) => saveCheckpointToBrowser(STORED, bytes) } } : {}),
      onBatchEnd: (log) => chart.batch(log.epoch - 1 + log.batch / state.batchesPerEpoch, log.loss),
      onEpochEnd: async (log) => {
        state.epochsDone = log.epoch;
        chart.epoch(log.epoch, log);
        const losses = JSON.parse(document.body.dataset.epochLosses ?? '[]');
        document.body.dataset.epochLosses = JSON.stringify([...losses, log.loss]);
        const accuracy = await refreshViews();
        status(`epoch ${log.epoch}/${state.epochsWanted}: loss ${log.loss.toFixed(4)}, val loss ${log.valLoss.toFixed(4)}, ` +
          `held-out accuracy ${(100 * accuracy).toFixed(1)} %, lr ${log.lr.toExponential(2)}`);
      },
    });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const last = history.epochs.at(-1);
    const summary = last ? `val accuracy ${(100 * last.valAccuracy).toFixed(1)} %` : 'no epoch finished';
    status({
      completed: `done in ${seconds} s: ${summary}`,
      stopped: `stopped after epoch ${state.epochsDone} (${summary}); Resume continues from the same state`,
      early_stopping: `stopped early: ${summary}`,
      nan: 'stopped: the loss became NaN (weights restored to the last finite step); try a smaller learning rate',
    }[history.stopReason]);
    document.body.dataset.stopReason = history.stopReason;
  } catch (error) {
    status(`training failed: ${error.message}`, true);
  } finally {
    state.running = false;
    setButtons();
    await showStored();
  }
}

async function start() {
  try {
    status(`loading ${$('dataset').value}…`);
    const data = await dataset($('dataset').value, seed());
    const { spec, epochs, batchSize, batchesPerEpoch } = specFrom(data);
    await state.trainer?.dispose();
    state.trainer = null;
    state.trainer = await createTrainer(spec, { workers: Number($('workers').value) });
    const { build, parameters, workers, parallel } = state.trainer.info;
    $('build').value = `${build} build, ${parameters.toLocaleString()} parameters, ${workers} worker${workers === 1 ? '' : 's'}${parallel ? ` (${parallel})` : ''}`;
    Object.assign(state, {
      data, epochsDone: 0, epochsWanted: epochs, batchesPerEpoch,
      fitOptions: { batchSize, validationData: [data.test.x, data.test.y] },
    });
    chart.clear();
    document.body.dataset.epochLosses = '[]';
    await refreshViews();
  } catch (error) {
    status(error.message, true);
    setButtons();
    return;
  }
  await train();
}

async function reset() {
  await state.trainer?.dispose();
  state.trainer = null;
  state.epochsDone = 0;
  chart.clear();
  if (state.data) await refreshViews();
  status('reset: press Start to train a new network');
  setButtons();
}

async function save() {
  const bytes = await state.trainer.save();
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
  link.download = `descent-${state.data?.name ?? 'model'}.safetensors`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  status(`saved ${bytes.length.toLocaleString()} bytes (weights, optimizer state and spec) as ${link.download}`);
}

const DATASET_BY_INPUTS = { 64: 'digits', 4: 'iris', 784: 'mnist' };
const STORED = 'descent-demo'; // the checkpoint kept in this browser (IndexedDB) after every epoch

/** Restores a checkpoint (a file, or the copy kept in this browser) onto the data set it was trained on. */
async function loadBytes(bytes, label) {
  try {
    const spec = JSON.parse(decodeSafetensors(bytes).metadata.spec ?? 'null');
    const name = DATASET_BY_INPUTS[spec?.inputSize];
    if (!name) throw new RangeError(`its inputSize ${spec?.inputSize} matches none of this demo's data sets (digits 64, iris 4, MNIST 784)`);
    const trainer = await createTrainer(bytes); // validates the file completely before it is used
    let data;
    let result;
    try {
      $('dataset').value = name;
      data = state.data?.name === name ? state.data : await dataset(name, seed());
      result = await trainer.evaluate(data.test.x, data.test.y);
    } catch (error) {
      await trainer.dispose();
      throw error;
    }
    await state.trainer?.dispose();
    state.trainer = trainer;
    state.data = data;
    state.epochsDone = 0;
    state.epochsWanted = number('epochs', { min: 1, integer: true });
    state.fitOptions = { batchSize: number('batchSize', { min: 1, integer: true }), validationData: [data.test.x, data.test.y] };
    state.batchesPerEpoch = Math.ceil(data.train.rows / state.fitOptions.batchSize);
    await refreshViews();
    status(`loaded ${label} (${name}): held-out loss ${result.loss.toFixed(4)}, accuracy ${(100 * result.accuracy).toFixed(1)} %; Resume trains it further`);
    document.body.dataset.loaded = label;
  } catch (error) {
    status(`could not load ${label}: ${error.message}`, true);
  } finally {
    $('load').value = '';
    setButtons();
  }
}

async function showStored() {
  const stored = (await listBrowserCheckpoints().catch(() => [])).find((c) => c.name === STORED);
  $('restore').disabled = !stored || state.running;
  $('restore').title = stored ? `saved ${stored.savedAt.toLocaleString()}, ${stored.bytes.toLocaleString()} bytes` : 'nothing kept in this browser yet';
}

$('start').addEventListener('click', start);
$('stop').addEventListener('click', () => { state.trainer?.stop(); status('stopping after the current batch…'); });
$('resume').addEventListener('click', train);
$('reset').addEventListener('click', reset);
$('save').addEventListener('click', () => save().catch((error) => status(`save failed: ${error.message}`, true)));
$('load').addEventListener('change', async () => {
  const file = $('load').files[0];
  if (file) await loadBytes(new Uint8Array(await file.arrayBuffer()), file.name);
});
$('restore').addEventListener('click', async () => {
  const bytes = await loadCheckpointFromBrowser(STORED);
  if (bytes) await loadBytes(bytes, 'the model kept in this browser');
});
$('dataset').addEventListener('change', async () => {
  const defaults = { digits: ['64', '32', '15'], iris: ['16', '16', '60'], mnist: ['128', '128', '5'] }[$('dataset').value];
  [$('layers').value, $('batchSize').value, $('epochs').value] = defaults;
  await reset();
  state.data = null;
});

try {
  state.data = await dataset('digits', 1);
  await refreshViews();
  status('ready: press Start (training runs in a worker; the bar above keeps moving)');
} catch (error) {
  status(`could not load the data: ${error.message}`, true);
}
setButtons();
await showStored();
document.body.dataset.ready = 'true';
