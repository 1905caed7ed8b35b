// The demo's data sets: what each one is, its shape, its class names, and the settings that train it
// well by default (switching the data set loads these). Shapes are known here, before any data loads,
// so the form can check a network's size without waiting for the data.

const TWO_D = { rows: 400, cols: 2, classes: 2, classNames: ['blue', 'orange'], image: null, plane: true };
const twoD = (label, sentence, defaults) => ({ ...TWO_D, label, sentence, defaults });

export const DATASETS = {
  spirals: twoD('two spirals (2-D)', 'Teach a small network to tell two interleaved spirals apart, and watch the boundary it draws.',
    { layers: '16, 16', activation: 'relu', lr: '0.005', batchSize: '16', epochs: '150', dropout: '0', schedule: 'cosine' }),
  circles: twoD('circles (2-D)', 'Teach a network to separate a ring of points from the disc inside it.',
    { layers: '8, 8', activation: 'tanh', lr: '0.03', batchSize: '16', epochs: '40', dropout: '0', schedule: 'constant' }),
  xor: twoD('XOR (2-D)', 'Teach a network the XOR pattern: opposite corners belong together.',
    { layers: '8, 8', activation: 'tanh', lr: '0.03', batchSize: '16', epochs: '40', dropout: '0', schedule: 'constant' }),
  moons: twoD('two moons (2-D)', 'Teach a network to separate two interleaved half-moons.',
    { layers: '8, 8', activation: 'tanh', lr: '0.03', batchSize: '16', epochs: '40', dropout: '0', schedule: 'constant' }),
  digits: {
    label: '8×8 digits (1,797)', rows: 1797, cols: 64, classes: 10, image: [8, 8], plane: false,
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    sentence: 'Teach a network to read tiny 8×8 handwritten digits, then draw your own.',
    defaults: { layers: '64', activation: 'relu', lr: '0.003', batchSize: '32', epochs: '15', dropout: '0.1', schedule: 'cosine' },
  },
  iris: {
    label: 'iris flowers (150)', rows: 150, cols: 4, classes: 3, image: null, plane: false,
    classNames: ['setosa', 'versicolor', 'virginica'],
    sentence: 'Teach a network to name an iris species from four petal and sepal measurements.',
    defaults: { layers: '16', activation: 'relu', lr: '0.01', batchSize: '16', epochs: '60', dropout: '0', schedule: 'cosine' },
  },
  mnist: {
    label: 'MNIST 28×28 digits (10,000)', rows: 10000, cols: 784, classes: 10, image: [28, 28], plane: false,
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    sentence: 'Teach a network to read 28×28 handwritten digits (MNIST), then draw your own.',
    defaults: { layers: '128', activation: 'relu', lr: '0.003', batchSize: '128', epochs: '5', dropout: '0.1', schedule: 'cosine' },
  },
};

export const DATASET_NAMES = Object.keys(DATASETS);

/** Rows in the training part of the 80/20 split (data-worker.js splits off round(20 %) for testing). */
export const trainRows = (name) => DATASETS[name].rows - Math.round(DATASETS[name].rows * 0.2);

/** The data set whose rows have `inputSize` values, for a loaded model (2-D models: the first 2-D set). */
export function datasetForInputs(inputSize) {
  return DATASET_NAMES.find((name) => DATASETS[name].cols === inputSize) ?? null;
}
