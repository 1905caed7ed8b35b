// The name under which the demo serves MNIST's binary file (made by mnist-asset.mjs).
export const MNIST_FILE = 'mnist.bin';
