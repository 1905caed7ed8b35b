// The training page: the form (fields.js, form.js), one run at a time (run.js), the chart and panels
// (chart.js, views.js), saved models (models.js) and settings in the URL (settings.js). Training runs
// in a Web Worker; the meter in the header shows that this thread stays free.
import { supportedBuilds } from 'descent-wasm';
import { BUILD_LABELS } from './builds.js';
import { DATASETS } from './catalog.js';
import { lossChart } from './chart.js';
import { defaultsFor, FIELDS } from './fields.js';
import { createForm } from './form.js';
import { startMeter } from './meter.js';
import { createModels } from './models.js';
import { lrTools } from './lr-finder.js';
import { Runs } from './run.js';
import { PRESETS, presetValues, queryFromValues, valuesFromQuery } from './settings.js';
import { specFromValues } from './spec.js';
import { createViews } from './views.js';

const $ = (id) => document.getElementById(id);
const meter = startMeter({ pulse: $('pulse'), fps: $('fps'), gap: $('gap'), meter: $('meter') });
const chart = lossChart($('chart'));
const form = createForm({ basic: $('basic'), advanced: $('advanced') });
const views = createViews($, () => runs.run?.trainer);
let runStarted = 0; // the click on Start or Resume

function status(text, error = false) {
  $('status').textContent = text;
  $('status').classList.toggle('error', error);
}

const PHASE_TEXT = { loading: (name) => `loading ${DATASETS[name].label} and starting a worker…`, stopping: () => 'stopping after the current batch…' };

const runs = new Runs({
  phase(phase, run) {
    const busy = ['loading', 'training', 'stopping'].includes(phase);
    form.lock(busy ? 'busy' : run ? 'resume' : 'open');
    $('start').disabled = busy;
    for (const id of ['find-lr', 'estimate-batch']) $(id).disabled = busy || Boolean(run);
    $('stop').disabled = !['loading', 'training'].includes(phase);
    $('stop').textContent = phase === 'loading' ? 'Cancel' : 'Stop';
    $('resume').disabled = busy || !run;
    $('reset').disabled = busy || !run;
    $('save').disabled = busy || !run;
    $('load').disabled = busy;
    $('restore').disabled = busy || $('restore').dataset.available !== 'true';
    $('preset').disabled = busy || Boolean(run);
    $('resume-note').hidden = busy || !run;
    document.body.dataset.phase = phase;
    if (PHASE_TEXT[phase]) status(PHASE_TEXT[phase](form.raw().dataset));
    if (phase === 'idle' && !run) status('ready: press Start');
  },
  async ready(run) {
    const { build, parameters, workers } = run.trainer.info;
    $('build').value = `: ${BUILD_LABELS[build]} build, ${parameters.toLocaleString('en-US')} parameters, ${workers} worker${workers === 1 ? '' : 's'}`;
    chart.reset(run.epochsWanted);
    views.reset(run);
    document.body.dataset.epochLosses = '[]';
    document.body.dataset.dataset = run.data.name;
    delete document.body.dataset.stopReason;
  },
  batch(run, log) {
    chart.batch(log.epoch - 1 + log.batch / Math.ceil(run.data.rows / run.batchSize), log.loss);
  },
  async epoch(run, log) {
    chart.epoch(log.epoch, log);
    document.body.dataset.epochLosses = JSON.stringify([...JSON.parse(document.body.dataset.epochLosses ?? '[]'), log.loss]);
    const heldOut = await views.update(run);
    status(`${run.data.name}, epoch ${log.epoch}/${run.epochsWanted}: loss ${log.loss.toFixed(4)}, held-out accuracy ${(100 * heldOut).toFixed(1)} %`);
  },
  finished(run, history) {
    const last = history.epochs.at(-1);
    const summary = last ? `held-out accuracy ${(100 * last.valAccuracy).toFixed(1)} %` : 'no epoch finished';
    const computing = history.epochs.reduce((ms, e) => ms + e.ms, 0) / 1000;
    const wall = (performance.now() - runStarted) / 1000;
    status({
      completed: `done in ${wall.toFixed(1)} s (${computing.toFixed(1)} s of it computing): ${summary} after ${run.epochsDone} epochs`,
      stopped: `stopped after epoch ${run.epochsDone} (${summary}); Resume continues from here`,
      early_stopping: `stopped early: ${summary}`,
      nan: 'stopped: the loss became NaN (weights restored to the last finite step); try a smaller learning rate',
    }[history.stopReason]);
    document.body.dataset.stopReason = history.stopReason;
    models.keepLatest().then(() => models.showStored()).then(() => runs.view.phase(runs.phase, runs.run));
  },
  error(error) {
    status(`training failed: ${error.message}`, true);
  },
}, { slow: () => $('slow').checked, checkpoint: () => models.checkpoint() });

const models = createModels($, { runs, form, status, onLoaded: async (run) => { await views.update(run); } });

/** The form's values, checked; on a problem the field says what is wrong and gets the focus. */
function checkedPlan() {
  const { values, errors } = form.read();
  const plan = errors.length ? null : specFromValues(values);
  const problems = plan?.error ? [plan.error] : errors;
  form.showErrors(problems);
  if (problems.length) {
    status(`${form.label(problems[0].id)} ${problems[0].message}`, true);
    return null;
  }
  return { ...plan, values };
}

/** What Start (and the learning-rate tools) build: the checked plan with its data set, seed and workers. */
function runPlan() {
  const plan = checkedPlan();
  return plan && { ...plan, dataset: plan.values.dataset, seed: plan.values.seed, workers: Number(plan.values.workers) };
}

let probing = false; // a learning-rate or batch-size measurement is running
function start() {
  if (probing || runs.phase === 'loading' || runs.phase === 'training' || runs.phase === 'stopping') return;
  const plan = runPlan();
  if (!plan) return;
  meter.resetLongest(); // the meter counts from the click, data loading included
  runStarted = performance.now();
  runs.start(plan);
}

function resume() {
  const { values, errors } = form.read();
  const problems = errors.filter((e) => FIELDS.find((f) => f.id === e.id).resumable);
  if (!problems.length && values.epochs <= runs.run.epochsDone) {
    problems.push({ id: 'epochs', message: `must be more than the ${runs.run.epochsDone} epochs already trained to resume` });
  }
  form.showErrors(problems);
  if (problems.length) return status(`${form.label(problems[0].id)} ${problems[0].message}`, true);
  meter.resetLongest();
  runStarted = performance.now();
  chart.extend(values.epochs);
  runs.resume({ epochsWanted: values.epochs, batchSize: values.batchSize });
}

function showDataset(name) {
  $('sentence').textContent = DATASETS[name].sentence;
  views.show(name, Number(form.raw().seed) || 1); // the points a run with this seed would start from
}

function syncUrl() {
  history.replaceState(null, '', queryFromValues(form.raw()));
}

/** A small button inside field `id`'s box, and a line for its answer. */
function fieldTool(id, buttonId, text, resultId) {
  const button = Object.assign(document.createElement('button'), { id: buttonId, type: 'button', textContent: text, className: 'tool' });
  const result = Object.assign(document.createElement('small'), { id: resultId, className: 'tool-result' });
  result.setAttribute('aria-live', 'polite');
  $(id).closest('.field').append(button, ...(resultId ? [result] : []));
}
fieldTool('lr', 'find-lr', 'Find learning rate');
fieldTool('batchSize', 'estimate-batch', 'Estimate a good size', 'noise-result');
lrTools($, {
  form,
  plan: () => (runs.phase === 'idle' || !runs.run ? runPlan() : (status('Reset first: the form is locked to the current network', true), null)),
  busy(on) {
    probing = on;
    if (on) form.lock('busy');
    else runs.view.phase(runs.phase, runs.run);
    for (const id of ['start', 'find-lr', 'estimate-batch']) $(id).disabled = on;
  },
});

$('start').addEventListener('click', start);
$('stop').addEventListener('click', () => runs.stop());
$('resume').addEventListener('click', resume);
$('reset').addEventListener('click', async () => {
  await runs.reset();
  chart.reset(Number(form.raw().epochs) || 1);
  showDataset(form.raw().dataset);
  status('reset: every setting can be changed again; press Start to train a new network');
});
$('form').addEventListener('submit', (event) => {
  event.preventDefault();
  start();
});
$('form').addEventListener('input', (event) => {
  if (event.target.id === 'preset') return;
  showPreset(''); // the settings are no longer the preset's
  if (event.target.id === 'dataset') {
    form.fill({ ...defaultsFor(event.target.value), slow: $('slow').checked, seed: form.raw().seed, workers: form.raw().workers });
    showDataset(event.target.value);
    chart.reset(Number(form.raw().epochs));
  }
  form.refreshDisabled();
  form.showErrors([]);
  syncUrl();
});
for (const [name, { label }] of Object.entries(PRESETS)) $('preset').append(new Option(label, name));
/** Shows preset `name` as chosen, with its caption ('' for none). */
function showPreset(name) {
  $('preset').value = name;
  $('preset-caption').textContent = name ? PRESETS[name].caption : '';
}
$('preset').addEventListener('change', () => {
  const name = $('preset').value;
  showPreset(name);
  if (!name) return;
  form.fill(presetValues(name));
  showDataset(form.raw().dataset);
  chart.reset(Number(form.raw().epochs));
  syncUrl();
});

$('build').value = `: ${BUILD_LABELS[supportedBuilds()[0]]} build`; // the one a trainer here will pick; ready() says which did
form.fill(valuesFromQuery(location.search));
showDataset(form.raw().dataset);
chart.reset(Number(form.raw().epochs) || 1);
runs.view.phase('idle', null);
await models.showStored();
runs.view.phase('idle', null);
document.body.dataset.ready = 'true';
