// Loads, splits and converts the data sets off the main thread; the page gets ready-made Float32Array /
// Int32Array rows by transfer (no copy). Whole data sets stay cached here, keyed by name.
import { loadDigits, loadIris, loadMnist, trainTestSplit } from '../data/datasets.web.mjs';
import { planeDataset, PLANE_NAMES } from './plane-data.js';

const cache = new Map();

function load(name, seed, mnistUrl) {
  if (PLANE_NAMES.includes(name)) return planeDataset(name, seed); // cheap, and the seed shapes the points
  if (!cache.has(name)) {
    const loaders = { digits: loadDigits, iris: async () => loadIris(), mnist: () => loadMnist(mnistUrl) };
    if (!loaders[name]) throw new RangeError(`unknown data set "${name}"`);
    const loading = loaders[name]();
    loading.catch(() => cache.delete(name));
    cache.set(name, loading);
  }
  return cache.get(name);
}

self.onmessage = async ({ data: { id, name, seed, mnistUrl } }) => {
  try {
    const { train, test } = trainTestSplit(await load(name, seed, mnistUrl), 0.2, seed);
    self.postMessage({ id, train, test }, [train.x.buffer, train.y.buffer, test.x.buffer, test.y.buffer]);
  } catch (error) {
    self.postMessage({ id, error: error.message });
  }
};
