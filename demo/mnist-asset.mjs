// A Vite plugin that ships MNIST as one gzipped binary file (data/mnist-binary.mjs) instead of ten
// 2 MB JSON modules; made from the `mnist` package when the demo is served or built.
import { gzipSync } from 'node:zlib';
import { loadMnist } from '../data/datasets.mjs';
import { encodeMnist } from '../data/mnist-binary.mjs';
import { MNIST_FILE } from './mnist-file.js';

export function mnistAsset() {
  let made;
  const file = () => (made ??= gzipSync(encodeMnist(loadMnist())));
  return {
    name: 'descent-demo-mnist',
    configureServer(server) {
      server.middlewares.use((request, response, next) => {
        if (!request.url?.split('?')[0].endsWith(`/${MNIST_FILE}`)) return next();
        response.setHeader('Content-Type', 'application/octet-stream');
        response.end(file());
      });
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: MNIST_FILE, source: file() });
    },
  };
}
