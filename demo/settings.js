// Settings in the URL (shareable: only what differs from the data set's defaults is written) and the
// named presets, each a small story about training.
import { DATASETS } from './catalog.js';
import { defaultsFor, FIELDS } from './fields.js';

const DEFAULT_DATASET = 'spirals';

/** The form values a URL's query string asks for: the data set's defaults, then each known key. */
export function valuesFromQuery(search) {
  const params = new URLSearchParams(search);
  const dataset = params.get('dataset');
  const values = defaultsFor(DATASETS[dataset] ? dataset : DEFAULT_DATASET);
  for (const field of FIELDS) if (field.id !== 'dataset' && params.has(field.id)) values[field.id] = params.get(field.id);
  return values;
}

/** The query string for form values: the data set, and the fields that differ from its defaults. */
export function queryFromValues(values) {
  const defaults = defaultsFor(values.dataset);
  const params = new URLSearchParams({ dataset: values.dataset });
  for (const field of FIELDS) {
    if (field.id !== 'dataset' && String(values[field.id]) !== String(defaults[field.id])) params.set(field.id, String(values[field.id]));
  }
  return `?${params}`;
}

/** Named settings that each show one thing about training. */
export const PRESETS = {
  default: { label: 'Spirals (default)', values: { dataset: 'spirals' } },
  tooSmall: { label: 'Too small a network', values: { dataset: 'spirals', layers: '2' } },
  lrTooHigh: { label: 'Learning rate too high', values: { dataset: 'moons', lr: '3', optimizer: 'sgd', momentum: '0.9' } },
  lrTooLow: { label: 'Learning rate too low', values: { dataset: 'circles', lr: '0.0003' } },
  overfit: {
    label: 'Overfit me',
    values: { dataset: 'digits', layers: '256, 256', dropout: '0', epochs: '40', schedule: 'constant', lr: '0.001', batchSize: '16' },
  },
  mnistCnn: { label: 'MNIST with a small CNN', values: { dataset: 'mnist', network: 'cnn', layers: '64', epochs: '3' } },
};

/** The full form values for preset `name`. */
export const presetValues = (name) => ({ ...defaultsFor(PRESETS[name].values.dataset), ...PRESETS[name].values });
