// Saving and loading models: a .safetensors download, a file picked by the user, and the copy kept in
// this browser (IndexedDB). A loaded model fills the form with the settings it was built with and
// becomes the current, stopped run (Resume trains it further).
// The kept copy is written at most every KEEP_EVERY_MS while a run trains, and when it ends: the
// worker hands over every epoch's bytes, but storing them (a copy and a transaction on this thread)
// after each of a fast run's epochs cost the page its frames.
import { decodeSafetensors, listBrowserCheckpoints, loadCheckpointFromBrowser, saveCheckpointToBrowser } from 'descent-wasm';
import { DATASETS } from './catalog.js';
import { valuesFromSpec } from './spec.js';

const STORED = 'descent-demo'; // the checkpoint kept in this browser
const KEEP_EVERY_MS = 15_000;

export function createModels($, { runs, form, status, onLoaded }) {
  let unkept = null; // the latest epoch's bytes, not stored yet
  let keptAt = -Infinity;
  let writing = Promise.resolve();
  function keep(bytes) {
    unkept = null;
    keptAt = performance.now();
    writing = writing.then(() => saveCheckpointToBrowser(STORED, bytes)).catch((error) => status(`could not keep the model in this browser: ${error.message}`, true));
    return writing;
  }
  /** fit's checkpoint option when "keep" is ticked (asked once per run): every epoch's bytes, stored at most every KEEP_EVERY_MS. */
  function checkpoint() {
    unkept = null; // a failed run's last epoch is not this run's to keep
    return $('keep').checked ? {
      every: 'epoch',
      onSave: (bytes) => {
        if (performance.now() - keptAt >= KEEP_EVERY_MS) keep(bytes);
        else unkept = bytes;
      },
    } : undefined;
  }
  /** Stores the run's latest epoch if it was not stored yet (when a run ends); resolves once written. */
  const keepLatest = () => (unkept ? keep(unkept) : writing);

  async function showStored() {
    const stored = (await listBrowserCheckpoints().catch(() => [])).find((c) => c.name === STORED);
    $('restore').dataset.available = stored ? 'true' : 'false';
    $('restore').title = stored ? `saved ${stored.savedAt.toLocaleString()}, ${stored.bytes.toLocaleString()} bytes` : 'nothing kept in this browser yet';
    return Boolean(stored);
  }

  async function save() {
    const bytes = await runs.run.trainer.save();
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
    link.download = `descent-${runs.run.data.name}.safetensors`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    status(`saved ${bytes.length.toLocaleString()} bytes (weights, optimizer state and settings) as ${link.download}`);
  }

  async function load(bytes, label) {
    try {
      const file = decodeSafetensors(bytes);
      const spec = JSON.parse(file.metadata.spec ?? 'null');
      const values = spec && valuesFromSpec(spec);
      if (!values) throw new RangeError(`its input size matches none of this demo's data sets (${Object.entries(DATASETS).map(([n, d]) => `${n} ${d.cols}`).join(', ')})`);
      const epochsDone = Number(file.metadata.epoch ?? 0);
      const { values: current } = form.read();
      const epochsWanted = epochsDone + Number(DATASETS[values.dataset].defaults.epochs);
      form.fill({ ...values, epochs: String(epochsWanted) });
      const run = await runs.load(bytes, {
        dataset: values.dataset, seed: Number(values.seed), spec, epochsDone, epochsWanted,
        batchSize: current.batchSize ?? Number(DATASETS[values.dataset].defaults.batchSize),
      });
      if (!run) return;
      const result = await run.trainer.evaluate(run.data.testSet);
      await onLoaded(run);
      status(`loaded ${label} (${values.dataset}, ${epochsDone} epochs trained): held-out loss ${result.loss.toFixed(4)}, ` +
        `accuracy ${(100 * result.accuracy).toFixed(1)} %; Resume trains it further`);
      document.body.dataset.loaded = label;
    } catch (error) {
      status(`could not load ${label}: ${error.message}`, true);
    }
  }

  $('save').addEventListener('click', () => save().catch((error) => status(`save failed: ${error.message}`, true)));
  $('load').addEventListener('change', async () => {
    const file = $('load').files[0];
    $('load').value = '';
    if (file) await load(new Uint8Array(await file.arrayBuffer()), file.name);
  });
  $('restore').addEventListener('click', async () => {
    const bytes = await loadCheckpointFromBrowser(STORED);
    if (bytes) await load(bytes, 'the model kept in this browser');
  });
  return { checkpoint, keepLatest, showStored };
}
