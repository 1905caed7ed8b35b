// "Write with me": a character-level model (LSTM or transformer, text-models.js) trains on the bundled
// text in a Web Worker; after every epoch trainer.generate continues the prompt inside that worker
// (one round trip for all the characters) and the page shows the sample, the held-out loss against
// the bigram line and the next-character distribution. Everything heavy runs in a worker: the text
// is encoded and cut into windows in text.worker.js, training and sampling in descent's worker.
import { createTrainer } from 'descent-wasm';
import { decodeIds } from '../data/text.mjs';
import { BUILD_LABELS } from './builds.js';
import { startMeter } from './meter.js';
import { createTextClient } from './text-client.js';
import { textChart } from './text-chart.js';
import { TEXT_MODELS, textSpec } from './text-models.js';
import { nextChars, showNextChars, showSample } from './text-view.js';

const LENGTH = 64; // characters a window holds: the context the network sees
const STEPS = 240; // characters written per sample

const $ = (id) => document.getElementById(id);
const meter = startMeter({ pulse: $('pulse'), fps: $('fps'), gap: $('gap'), meter: $('meter') });
const chart = textChart($('chart'));
const client = createTextClient();

let text = null; // the last answer of the text worker: { chars, bigram, … } (its windows go to a trainer)
let run = null; // { generation, trainer, epochsWanted, epochsDone, kind, heldOut: number[] }
let generation = 0;
let phase = 'idle';

function status(message, error = false) {
  $('status').textContent = message;
  $('status').classList.toggle('error', error);
}

function setPhase(next) {
  phase = next;
  const busy = next === 'loading' || next === 'training' || next === 'stopping';
  $('start').disabled = busy || !text;
  $('stop').disabled = !(next === 'loading' || next === 'training');
  $('stop').textContent = next === 'loading' ? 'Cancel' : 'Stop';
  $('again').disabled = !run || next === 'loading';
  $('model').disabled = busy;
  $('epochs').disabled = busy;
  document.body.dataset.phase = next;
}

/** The prompt as ids, or null after saying which character the network cannot read. */
function promptIds() {
  const prompt = $('prompt').value;
  const index = new Map(text.chars.map((c, i) => [c, i]));
  let problem = prompt.length === 0 ? 'must have at least one character' : null;
  let position = 0;
  for (const c of prompt) {
    if (problem) break;
    if (!index.has(c)) problem = `has ${JSON.stringify(c)} at position ${position + 1}, which is not in the book's ${text.chars.length} characters`;
    position++;
  }
  $('prompt-msg').textContent = problem ? `Prompt ${problem}` : '';
  if (problem) $('prompt').setAttribute('aria-invalid', 'true');
  else $('prompt').removeAttribute('aria-invalid');
  return problem ? null : Int32Array.from(prompt, (c) => index.get(c));
}

/** The epochs field's value, or null after marking it. */
function epochsWanted() {
  const value = Number($('epochs').value);
  const ok = Number.isInteger(value) && value >= 1 && value <= 200;
  if (ok) $('epochs').removeAttribute('aria-invalid');
  else $('epochs').setAttribute('aria-invalid', 'true');
  return ok ? value : null;
}

const temperature = () => Number($('temperature').value);

let writing = null; // the sample being written (one at a time); a newer request waits for it
let wanted = null;
/** Writes a sample from the current network (and reads its next-character distribution); coalesces requests. */
function write(reason) {
  wanted = reason;
  writing ??= (async () => {
    try {
      while (wanted !== null) {
        const why = wanted;
        wanted = null;
        await writeOnce(why);
      }
    } finally {
      writing = null;
    }
  })();
  return writing;
}

async function writeOnce(why) {
  const current = run;
  const ids = current && promptIds();
  if (!ids) return;
  const t = temperature();
  const seed = current.epochsDone * 1000 + current.samples++;
  // the window for the next-character bars: the prompt's last LENGTH ids, padded after its end
  // (a causal model's position p reads positions ≤ p only, so the padding changes nothing there)
  const window = new Int32Array(LENGTH);
  const tail = ids.subarray(Math.max(0, ids.length - LENGTH));
  window.set(tail);
  const [written, probabilities] = await Promise.all([
    current.trainer.generate(ids, { steps: STEPS, temperature: t, seed }),
    current.trainer.predict(window),
  ]);
  if (current !== run) return;
  const sample = decodeIds(written, text.chars);
  const lastHeldOut = current.heldOut.at(-1);
  const meta = `${why}: temperature ${t.toFixed(2)}${lastHeldOut === undefined ? '' : `, held-out loss ${lastHeldOut.toFixed(3)} nats/char`}`;
  showSample($('sample'), { prompt: $('prompt').value, text: sample, meta });
  $('sample').dataset.epoch = String(current.epochsDone);
  $('sample').dataset.text = sample;
  showNextChars($('next'), nextChars(probabilities, tail.length - 1, text.chars, 10));
  if (why.startsWith('after epoch')) {
    const item = document.createElement('li');
    showSample(item, { prompt: $('prompt').value, text: sample, meta });
    $('history').prepend(item);
    $('history').dataset.count = String($('history').children.length);
  }
}

async function start() {
  if (phase === 'loading' || phase === 'training' || phase === 'stopping') return;
  const epochs = epochsWanted();
  if (!promptIds() || epochs === null) {
    status(epochs === null ? 'Epochs must be a whole number from 1 to 200' : $('prompt-msg').textContent, true);
    return;
  }
  const mine = ++generation;
  const previous = run;
  run = null;
  document.body.dataset.heldOut = '[]';
  delete document.body.dataset.stopReason;
  delete document.body.dataset.belowBigram;
  setPhase('loading');
  meter.resetLongest();
  status('cutting the text into windows and starting a worker…');
  let trainer;
  try {
    await previous?.trainer.dispose();
    // the windows move to the trainer's worker, so every run asks the text worker for a fresh set
    const data = text.train ? text : await client.prepare(LENGTH);
    text = { ...data, train: null, heldOut: null };
    if (mine !== generation) return;
    const kind = $('model').value;
    trainer = await createTrainer(textSpec(kind, data.chars.length, LENGTH));
    if (mine !== generation) return void trainer.dispose();
    const trainSet = await trainer.dataset(data.train.x, data.train.y, { transfer: true });
    const heldOutSet = await trainer.dataset(data.heldOut.x, data.heldOut.y, { transfer: true });
    if (mine !== generation) return void trainer.dispose();
    run = { generation: mine, trainer, kind, batchSize: TEXT_MODELS[kind].batchSize, epochsWanted: epochs, epochsDone: 0, samples: 0, heldOut: [], rows: data.train.rows };
    const { build, parameters } = trainer.info;
    $('build').value = `: ${BUILD_LABELS[build]} build, ${parameters.toLocaleString('en-US')} parameters`;
    chart.reset(epochs, text.bigram);
    $('history').replaceChildren();
    setPhase('training');
    status(`epoch 1/${epochs}: training on ${data.train.rows.toLocaleString('en-US')} windows of ${LENGTH} characters…`);
    await train(run, trainSet, heldOutSet);
  } catch (error) {
    if (mine !== generation) return void trainer?.dispose(); // a newer Start or Cancel took over
    await trainer?.dispose();
    run = null;
    setPhase('idle');
    status(`training failed: ${error.message}`, true);
  }
}

async function train(current, trainSet, heldOutSet) {
  const batches = Math.ceil(current.rows / current.batchSize);
  const started = performance.now();
  const history = await current.trainer.fit(trainSet, {
    epochs: current.epochsWanted,
    batchSize: current.batchSize,
    validationData: heldOutSet,
    onBatchEnd: (log) => {
      if (current === run) chart.batch(log.epoch - 1 + log.batch / batches, log.loss);
    },
    onEpochEnd: async (log) => {
      if (current !== run) return;
      current.epochsDone = log.epoch;
      current.heldOut.push(log.valLoss);
      chart.epoch(log.epoch, log.valLoss);
      document.body.dataset.heldOut = JSON.stringify(current.heldOut);
      const below = current.heldOut.findIndex((loss) => loss < text.bigram);
      if (below >= 0) document.body.dataset.belowBigram = String(below + 1);
      status(`epoch ${log.epoch}/${current.epochsWanted}: held-out loss ${log.valLoss.toFixed(3)} nats/char, bigram ${text.bigram.toFixed(3)}`
        + (below >= 0 ? ` (below it since epoch ${below + 1})` : '') + `; ${((performance.now() - started) / 1000).toFixed(0)} s`);
      // the worker waits for this callback: the sample is written between two epochs
      await write(`after epoch ${log.epoch}`).catch((error) => status(`writing failed: ${error.message}`, true));
    },
  });
  if (current !== run) return;
  const last = current.heldOut.at(-1);
  const summary = last === undefined ? 'no epoch finished' : `held-out loss ${last.toFixed(3)} nats/char against the bigram's ${text.bigram.toFixed(3)}`;
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  status({
    completed: `done in ${seconds} s: ${summary}`,
    stopped: `stopped after epoch ${current.epochsDone} (${summary})`,
    early_stopping: `stopped early: ${summary}`,
    nan: 'stopped: the loss became NaN; try the other model',
  }[history.stopReason] ?? summary);
  if (history.stopReason !== 'completed') chart.setEpochs(current.epochsDone + 1);
  document.body.dataset.stopReason = history.stopReason;
  setPhase(history.stopReason === 'completed' ? 'done' : 'stopped');
}

function stop() {
  if (phase === 'loading') {
    generation++;
    setPhase('idle');
    status('cancelled: press Start');
  } else if (phase === 'training') {
    setPhase('stopping');
    status('stopping after the current batch…');
    run.trainer.stop();
  }
}

let resampleTimer = 0;
/** A new sample with the changed temperature or prompt, once the slider rests (not during an epoch's end). */
function resampleSoon() {
  clearTimeout(resampleTimer);
  resampleTimer = setTimeout(() => {
    if (run && run.epochsDone > 0) write('rewritten').catch((error) => status(`writing failed: ${error.message}`, true));
  }, 150);
}

for (const [kind, { label }] of Object.entries(TEXT_MODELS)) $('model').append(new Option(label, kind));
const showCaption = () => { $('model-caption').textContent = TEXT_MODELS[$('model').value].caption; };
$('model').addEventListener('change', showCaption);
showCaption();
$('temperature').addEventListener('input', () => {
  $('temperature-out').value = temperature().toFixed(2);
  resampleSoon();
});
$('prompt').addEventListener('input', () => {
  if (text && promptIds()) resampleSoon();
});
$('epochs').addEventListener('input', () => epochsWanted());
$('start').addEventListener('click', start);
$('stop').addEventListener('click', stop);
$('again').addEventListener('click', () => write('written again').catch((error) => status(`writing failed: ${error.message}`, true)));

setPhase('idle');
try {
  text = await client.prepare(LENGTH);
  document.body.dataset.bigram = String(text.bigram);
  chart.reset(epochsWanted() ?? 20, text.bigram);
  status(`ready: ${text.characters.toLocaleString('en-US')} characters (${text.chars.length} different), the last 10 % held out; `
    + `a bigram scores ${text.bigram.toFixed(3)} nats/char there. Press Start.`);
} catch (error) {
  status(`could not load the text: ${error.message}`, true);
}
setPhase('idle');
document.body.dataset.ready = 'true';
