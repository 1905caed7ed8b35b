// The page's side of the data worker (requests and recovery: worker-requests.js).
import { MNIST_FILE } from './mnist-file.js';
import { createWorkerRequests } from './worker-requests.js';

/** A data client around workers made by `spawn()`: loadSplit(name, seed, mnistUrl) → { train, test }. */
export function createDataClient(spawn) {
  const request = createWorkerRequests(spawn, 'data');
  return {
    loadSplit: async (name, seed, mnistUrl) => {
      const { train, test } = await request({ name, seed, mnistUrl });
      return { train, test };
    },
  };
}

const client = createDataClient(() => new Worker(new URL('./data.worker.js', import.meta.url), { type: 'module' }));

/** The data set `name` split 80/20 by `seed`: { train, test }, each { x, y, rows, cols, classes }. */
export const loadSplit = (name, seed) => client.loadSplit(name, seed, new URL(MNIST_FILE, document.baseURI).href);
