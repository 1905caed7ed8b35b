// The MNIST CNN of the layers issue, shared by bench/cnn.mjs and bench/relaxed.mjs.
export const CNN_SPEC = {
  inputShape: [28, 28, 1],
  layers: [
    { type: 'conv2d', filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' },
    { type: 'maxpool2d', poolSize: 2 },
    { type: 'conv2d', filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' },
    { type: 'maxpool2d', poolSize: 2 },
    { type: 'flatten' },
    { units: 10 },
  ],
  loss: 'softmax_cross_entropy',
  optimizer: { name: 'adam', learningRate: 1e-3 },
  seed: 1,
};
