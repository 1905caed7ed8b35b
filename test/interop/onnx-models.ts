// Small descent models for the ONNX export tests (Node and browser): every layer kind the export
// writes, with seeded data; trained a few epochs so that batchnorm's running statistics and
// normalize's feature statistics are not their start values.
import type { TrainerSpec } from '../../src/index.js';
import { random } from './numbers.js';

export interface OnnxCase {
  name: string;
  spec: TrainerSpec;
  /** Token ids below this (an embedding first layer), else float features. */
  ids?: number;
  /** Int32 class labels (classes) or float targets of `outputs` columns. */
  classes?: number;
  outputs: number;
  /** A sequence output [positions, outputs] (y [N, T, K]; class labels one per position). */
  positions?: number;
}

export const ONNX_CASES: OnnxCase[] = [
  {
    name: 'dense (normalize, gelu, leaky relu, dropout, softmax CE)',
    spec: {
      inputSize: 6, normalize: true, seed: 1, loss: 'softmax_cross_entropy', optimizer: { name: 'adam', learningRate: 0.01 },
      layers: [{ units: 8, activation: 'gelu' }, { type: 'dropout', rate: 0.3 }, { units: 8, activation: 'leaky_relu', useBias: false }, { units: 3 }],
    },
    classes: 3, outputs: 3,
  },
  {
    name: 'cnn (conv2d same/strided/dilated, batchnorm, max and avg pool, flatten)',
    spec: {
      inputShape: [9, 9, 2], seed: 2, loss: 'softmax_cross_entropy', optimizer: { name: 'adam', learningRate: 0.01 },
      layers: [
        { type: 'conv2d', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' },
        { type: 'batchnorm' },
        { type: 'maxpool2d', poolSize: 3, stride: 2, padding: 1 },
        { type: 'conv2d', filters: 3, kernelSize: [2, 3], stride: [1, 2], dilation: [2, 1], padding: [1, 0], activation: 'tanh' },
        { type: 'avgpool2d', poolSize: 2, stride: 1, padding: 1 },
        { type: 'flatten' }, { units: 4 },
      ],
    },
    classes: 4, outputs: 4,
  },
  {
    name: 'cnn 1d (conv1d, layernorm, avg/max pool 1d, global avg pool, sigmoid output)',
    spec: {
      inputShape: [12, 3], seed: 3, normalize: true, loss: 'bce_with_logits', optimizer: { name: 'sgd', learningRate: 0.1, momentum: 0.9 },
      layers: [
        { type: 'conv1d', filters: 5, kernelSize: 3, padding: 'same', activation: 'sigmoid' },
        { type: 'layernorm' }, { type: 'maxpool1d', poolSize: 2 }, { type: 'avgpool1d', poolSize: 3, stride: 1, padding: 1 },
        { type: 'batchnorm', momentum: 0.2 }, { type: 'globalavgpool' }, { units: 2 },
      ],
    },
    outputs: 2,
  },
  {
    name: 'embedding (layernorm, conv1d, global avg pool, activation layers)',
    spec: {
      inputShape: [7], seed: 4, loss: 'softmax_cross_entropy', optimizer: { name: 'adam', learningRate: 0.02 },
      layers: [
        { type: 'embedding', vocabSize: 15, units: 6 }, { type: 'layernorm', eps: 1e-3 },
        { type: 'conv1d', filters: 4, kernelSize: 2 }, { type: 'activation', activation: 'relu' },
        { type: 'globalavgpool' }, { units: 3 }, { type: 'activation', activation: 'log_softmax' },
      ],
    },
    ids: 15, classes: 3, outputs: 3,
  },
  {
    name: 'regression (mse: no output activation, batchnorm on features)',
    spec: {
      inputSize: 4, seed: 5, loss: 'mse', optimizer: 'adam',
      layers: [{ units: 6, activation: 'tanh' }, { type: 'batchnorm' }, { units: 2 }],
    },
    outputs: 2,
  },
  {
    // torch's nn.Flatten order straight after a pool (channels-first in the graph); the next case after a layernorm (channels-last)
    name: 'cnn with flatten channelsFirst (conv2d, maxpool, flatten in (C, H, W) order)',
    spec: {
      inputShape: [6, 5, 2], seed: 6, loss: 'softmax_cross_entropy', optimizer: { name: 'adam', learningRate: 0.01 },
      layers: [
        { type: 'conv2d', filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' },
        { type: 'maxpool2d', poolSize: 2 },
        { type: 'flatten', dataFormat: 'channelsFirst' }, { units: 3 },
      ],
    },
    classes: 3, outputs: 3,
  },
  {
    name: 'cnn 1d with layernorm before flatten channelsFirst',
    spec: {
      inputShape: [5, 3], seed: 7, loss: 'mse', optimizer: { name: 'adam', learningRate: 0.01 },
      layers: [{ type: 'conv1d', filters: 4, kernelSize: 2, activation: 'tanh' }, { type: 'layernorm' }, { type: 'flatten', dataFormat: 'channelsFirst' }, { units: 2 }],
    },
    outputs: 2,
  },
  {
    name: 'residual cnn (add of channels-first and channels-last values, concat with the input, frozen batchnorm)',
    spec: {
      inputShape: [6, 6, 2], seed: 8, loss: 'softmax_cross_entropy', optimizer: { name: 'adam', learningRate: 0.01 },
      layers: [
        { type: 'conv2d', filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', name: 'a' },
        { type: 'conv2d', filters: 3, kernelSize: 3, padding: 'same', name: 'b' },
        { type: 'layernorm', inputs: ['a'], name: 'n' },
        { type: 'add', inputs: ['b', 'n', 'a'] },
        { type: 'batchnorm', trainable: false, name: 'bn' },
        { type: 'concat', inputs: ['bn', 'input'] },
        { type: 'maxpool2d', poolSize: 2 },
        { type: 'flatten' },
        { units: 3 },
      ],
    },
    classes: 3, outputs: 3,
  },
  {
    name: 'concat of dense branches (a tensor read by three entries)',
    spec: {
      inputSize: 5, seed: 9, loss: 'mse', optimizer: { name: 'adam', learningRate: 0.01 },
      layers: [
        { units: 4, activation: 'tanh', name: 'h' },
        { units: 3, activation: 'sigmoid', name: 'g' },
        { type: 'concat', inputs: ['h', 'g', 'input', 'h'] },
        { units: 2 },
      ],
    },
    outputs: 2,
  },
  {
    name: 'lstm (normalize, every step into a last-step lstm, softmax CE)',
    spec: {
      inputShape: [6, 3], seed: 10, normalize: true, loss: 'softmax_cross_entropy', optimizer: { name: 'adam', learningRate: 0.01 },
      layers: [{ type: 'lstm', units: 5, returnSequences: true }, { type: 'lstm', units: 4 }, { units: 3 }],
    },
    classes: 3, outputs: 3,
  },
  {
    name: 'embedding → gru (every step, flatten; mse)',
    spec: {
      inputShape: [5], seed: 11, loss: 'mse', optimizer: { name: 'adam', learningRate: 0.02 },
      layers: [{ type: 'embedding', vocabSize: 9, units: 4 }, { type: 'gru', units: 3, returnSequences: true }, { type: 'flatten' }, { units: 2 }],
    },
    ids: 9, outputs: 2,
  },
  {
    // the conv's output is channels-first in the graph: the recurrent layer reads it channels-last
    name: 'conv1d → gru (last step; sigmoid output)',
    spec: {
      inputShape: [7, 2], seed: 12, loss: 'bce_with_logits', optimizer: { name: 'adam', learningRate: 0.01 },
      layers: [
        { type: 'conv1d', filters: 3, kernelSize: 2, activation: 'relu' }, { type: 'gru', units: 4, name: 'g' },
        { type: 'dense', units: 2 },
      ],
    },
    outputs: 2,
  },
  {
    // a pre-LN transformer block as a language model: per-position logits, y [N, T, V]
    name: 'transformer block (embedding, positionEmbedding, causal attention 4 heads, residual adds, layernorm, dense per position; per-position softmax CE)',
    spec: {
      inputShape: [7], seed: 14, loss: 'softmax_cross_entropy', optimizer: { name: 'adam', learningRate: 0.01 },
      layers: [
        { type: 'embedding', vocabSize: 11, units: 8 }, { type: 'positionEmbedding', name: 'h' },
        { type: 'layernorm', name: 'n1' }, { type: 'attention', heads: 4, causal: true, name: 'a' }, { type: 'add', inputs: ['h', 'a'], name: 'r' },
        { type: 'layernorm' }, { units: 16, activation: 'gelu' }, { units: 8, name: 'm' }, { type: 'add', inputs: ['r', 'm'] },
        { units: 11 },
      ],
    },
    ids: 11, classes: 11, outputs: 11, positions: 7,
  },
  {
    name: 'attention over features (normalize, 1 head, not causal, odd T and C, dense over [T, C], flatten; mse)',
    spec: {
      inputShape: [5, 3], seed: 15, normalize: true, loss: 'mse', optimizer: { name: 'adam', learningRate: 0.01 },
      layers: [
        { type: 'attention', heads: 1 }, { type: 'positionEmbedding' }, { units: 6, activation: 'tanh' }, { type: 'attention', heads: 3 },
        { type: 'flatten' }, { units: 2 },
      ],
    },
    outputs: 2,
  },
  {
    name: 'conv1d → causal attention → lstm (sequences) → dense per position (sigmoid output [T, K])',
    spec: {
      inputShape: [6, 2], seed: 16, loss: 'bce_with_logits', optimizer: { name: 'adam', learningRate: 0.01 },
      layers: [
        { type: 'conv1d', filters: 4, kernelSize: 3, padding: 'same' }, { type: 'attention', heads: 2, causal: true },
        { type: 'lstm', units: 3, returnSequences: true }, { units: 2 },
      ],
    },
    outputs: 2, positions: 6,
  },
  {
    name: 'lstm over one step (every step, flatten; mse)',
    spec: {
      inputShape: [1, 4], seed: 13, loss: 'mse', optimizer: { name: 'adam', learningRate: 0.01 },
      layers: [{ type: 'lstm', units: 3, returnSequences: true }, { type: 'flatten' }, { units: 2 }],
    },
    outputs: 2,
  },
];

/** Seeded rows for a case: x as predict takes it and targets for fit. */
export function onnxData(c: OnnxCase, rows: number, seed: number): { x: Float32Array | Int32Array; y: Float32Array | Int32Array } {
  const next = random(seed);
  const shape = c.spec.inputShape ?? [c.spec.inputSize!];
  const size = shape.reduce((a, b) => a * b, 1);
  // features off-centre and scaled, so that normalize has work to do
  const x = c.ids ? Int32Array.from({ length: rows * size }, () => Math.floor(((next() + 1) / 2) * c.ids!))
    : Float32Array.from({ length: rows * size }, (_v, i) => 3 + 2 * next() * (1 + (i % 3)));
  const positions = c.positions ?? 1;
  const y = c.classes ? Int32Array.from({ length: rows * positions }, (_v, i) => Math.abs(Math.round(Number(x[Math.floor(i / positions) * size + (i % positions)]) * 7)) % c.classes!)
    : Float32Array.from({ length: rows * positions * c.outputs }, () => (c.spec.loss === 'bce_with_logits' ? (next() > 0 ? 1 : 0) : next()));
  return { x, y };
}

export { maxDifference } from './numbers.js';
