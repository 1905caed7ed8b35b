// The page's side of the data worker: one promise per request, one worker at a time. A worker that
// dies (a failed module load, an out-of-memory crash) fails every request it holds and is replaced by
// a new one on the next request, so no request waits for an answer that can never come.
import { MNIST_FILE } from './mnist-file.js';

/** A data client around workers made by `spawn()`: loadSplit(name, seed, mnistUrl) → { train, test }. */
export function createDataClient(spawn) {
  const pending = new Map();
  let worker = null;
  let nextId = 1;

  function fail(dead, message) {
    if (dead !== worker) return; // an older worker's late event
    worker = null;
    dead.terminate();
    for (const request of pending.values()) request.reject(new Error(message));
    pending.clear();
  }

  function current() {
    if (worker) return worker;
    const fresh = spawn();
    fresh.onmessage = ({ data }) => {
      const request = pending.get(data.id);
      pending.delete(data.id);
      if (data.error) request?.reject(new Error(data.error));
      else request?.resolve({ train: data.train, test: data.test });
    };
    // a module worker that cannot load reports an 'error' event without a message (WebKit)
    fresh.onerror = (event) => fail(fresh, `the data worker failed: ${event.message || 'it could not start or crashed'}; the next request starts a new one`);
    fresh.onmessageerror = () => fail(fresh, 'the data worker sent a message that could not be read; the next request starts a new one');
    worker = fresh;
    return fresh;
  }

  return {
    loadSplit(name, seed, mnistUrl) {
      const id = nextId++;
      const target = current();
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        target.postMessage({ id, name, seed, mnistUrl });
      });
    },
  };
}

const client = createDataClient(() => new Worker(new URL('./data.worker.js', import.meta.url), { type: 'module' }));

/** The data set `name` split 80/20 by `seed`: { train, test }, each { x, y, rows, cols, classes }. */
export const loadSplit = (name, seed) => client.loadSplit(name, seed, new URL(MNIST_FILE, document.baseURI).href);
