// Between the form's values and a trainer spec: the spec (and fit options) a set of values asks for,
// with the checks that need more than one field (network size), and the values a saved spec came from.
import { DATASETS, datasetForInputs, trainRows } from './catalog.js';

const MAX_PARAMETERS = 2_000_000;
const CNN = [
  { type: 'conv2d', filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' },
  { type: 'maxpool2d', poolSize: 2 },
  { type: 'conv2d', filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' },
  { type: 'maxpool2d', poolSize: 2 },
  { type: 'flatten' },
];
const BETA_OPTIMIZERS = ['adam', 'adamw', 'adamax', 'nadam', 'lion', 'lamb'];

/** Parameters of the dense/conv stack (what the trainer will report as info.parameters). */
function countParameters(inputShape, layers) {
  let shape = inputShape;
  let count = 0;
  for (const layer of layers) {
    if (layer.type === 'conv2d') {
      count += (layer.kernelSize ** 2 * shape[2] + 1) * layer.filters;
      shape = [shape[0], shape[1], layer.filters];
    } else if (layer.type === 'maxpool2d') {
      shape = [Math.floor(shape[0] / 2), Math.floor(shape[1] / 2), shape[2]];
    } else if (layer.type === 'flatten') {
      shape = [shape.reduce((a, b) => a * b, 1)];
    } else if (layer.units) {
      count += (shape[0] + 1) * layer.units;
      shape = [layer.units];
    }
  }
  return count;
}

function learningRateFor(schedule, lr, epochs, batchesPerEpoch) {
  const totalSteps = epochs * batchesPerEpoch;
  return {
    constant: lr,
    cosine: { name: 'cosine', initial: lr, tMax: totalSteps, etaMin: lr / 100 },
    step: { name: 'step', initial: lr, stepSize: 3 * batchesPerEpoch, gamma: 0.5 },
    exponential: { name: 'exponential', initial: lr, gamma: Math.pow(0.9, 1 / batchesPerEpoch) },
    oneCycle: { name: 'oneCycle', maxLr: lr, totalSteps },
  }[schedule];
}

/**
 * The spec and fit settings for parsed form values: { spec, epochs, batchSize, batchesPerEpoch }, or
 * { error: { id, message } } when the values together ask for something the demo refuses.
 */
export function specFromValues(v) {
  const data = DATASETS[v.dataset];
  const hidden = [];
  for (const units of v.layers) {
    hidden.push({ units, activation: v.activation });
    if (v.dropout > 0) hidden.push({ type: 'dropout', rate: v.dropout });
  }
  const cnn = v.network === 'cnn';
  const inputShape = cnn ? [...data.image, 1] : [data.cols];
  const layers = [...(cnn ? CNN : []), ...hidden, { units: data.classes, ...(v.loss === 'nll' ? { activation: 'log_softmax' } : {}) }];
  const parameters = countParameters(inputShape, layers);
  if (parameters > MAX_PARAMETERS) {
    return { error: { id: 'layers', message: `this network would have ${parameters.toLocaleString('en-US')} parameters; the demo trains up to ${MAX_PARAMETERS.toLocaleString('en-US')}` } };
  }
  const batchesPerEpoch = Math.ceil(trainRows(v.dataset) / v.batchSize);
  const optimizer = { name: v.optimizer, learningRate: learningRateFor(v.schedule, v.lr, v.epochs, batchesPerEpoch) };
  if (v.weightDecay > 0) optimizer.weightDecay = v.weightDecay;
  if (v.momentum !== undefined) optimizer[BETA_OPTIMIZERS.includes(v.optimizer) ? 'beta1' : 'momentum'] = v.momentum;
  const loss = v.loss === 'softmax_cross_entropy' && v.smoothing > 0 ? { name: v.loss, labelSmoothing: v.smoothing } : v.loss;
  const spec = { ...(cnn ? { inputShape } : { inputSize: data.cols }), layers, loss, optimizer, seed: v.seed, normalize: true };
  return { spec, parameters, epochs: v.epochs, batchSize: v.batchSize, batchesPerEpoch };
}

/** The form values (as strings) a saved spec was made from; null when it fits none of the data sets. */
export function valuesFromSpec(spec) {
  const inputs = spec.inputSize ?? spec.inputShape?.reduce((a, b) => a * b, 1);
  const dataset = datasetForInputs(inputs);
  if (!dataset) return null;
  const dense = spec.layers.filter((layer) => layer.units !== undefined);
  const hidden = dense.slice(0, -1);
  const dropout = spec.layers.find((layer) => layer.type === 'dropout');
  const optimizer = typeof spec.optimizer === 'string' ? { name: spec.optimizer } : spec.optimizer ?? { name: 'adam' };
  const rate = optimizer.learningRate;
  const schedule = typeof rate === 'object' ? rate.name : 'constant';
  const lossName = typeof spec.loss === 'string' ? spec.loss : spec.loss.name;
  const values = {
    dataset,
    network: spec.layers.some((layer) => layer.type === 'conv2d') ? 'cnn' : 'mlp',
    layers: hidden.map((layer) => layer.units).join(', '),
    dropout: String(dropout?.rate ?? 0),
    loss: lossName,
    smoothing: String(spec.loss.labelSmoothing ?? 0),
    optimizer: optimizer.name,
    lr: String(typeof rate === 'object' ? rate.initial ?? rate.maxLr : rate ?? 0.001),
    weightDecay: String(optimizer.weightDecay ?? 0),
    schedule: ['constant', 'cosine', 'step', 'exponential', 'oneCycle'].includes(schedule) ? schedule : 'constant',
    seed: String(spec.seed ?? 1),
  };
  if (hidden[0]?.activation) values.activation = hidden[0].activation;
  const momentum = optimizer.beta1 ?? optimizer.momentum;
  if (momentum !== undefined) values.momentum = String(momentum);
  return values;
}
