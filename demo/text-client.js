// The page's side of text.worker.js (requests and recovery from a dead worker: worker-requests.js).
import { createWorkerRequests } from './worker-requests.js';

export function createTextClient(spawn = () => new Worker(new URL('./text.worker.js', import.meta.url), { type: 'module' })) {
  const request = createWorkerRequests(spawn, 'text');
  return {
    /** The bundled text in windows of `length`: { chars, train, heldOut, bigram, characters, trainCharacters }. */
    prepare: (length) => request({ length }),
  };
}
