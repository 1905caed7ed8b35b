// The page's side of the data worker: one worker for the page's lifetime, one promise per request.
import { MNIST_FILE } from './mnist-file.js';

const worker = new Worker(new URL('./data.worker.js', import.meta.url), { type: 'module' });
const pending = new Map();
let nextId = 1;

worker.onmessage = ({ data }) => {
  const request = pending.get(data.id);
  pending.delete(data.id);
  if (data.error) request?.reject(new Error(data.error));
  else request?.resolve({ train: data.train, test: data.test });
};
worker.onerror = (event) => {
  for (const request of pending.values()) request.reject(new Error(`the data worker failed: ${event.message}`));
  pending.clear();
};

/** The data set `name` split 80/20 by `seed`: { train, test }, each { x, y, rows, cols, classes }. */
export function loadSplit(name, seed) {
  const id = nextId++;
  const mnistUrl = new URL(MNIST_FILE, document.baseURI).href;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    worker.postMessage({ id, name, seed, mnistUrl });
  });
}
