// The page's side of text.worker.js: one promise per request. A worker that dies fails the requests
// it holds and is replaced on the next one, so nothing waits for an answer that cannot come.

export function createTextClient(spawn = () => new Worker(new URL('./text.worker.js', import.meta.url), { type: 'module' })) {
  const pending = new Map();
  let worker = null;
  let nextId = 1;

  function fail(dead, message) {
    if (dead !== worker) return;
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
      else request?.resolve(data);
    };
    fresh.onerror = (event) => fail(fresh, `the text worker failed: ${event.message || 'it could not start or crashed'}; the next request starts a new one`);
    fresh.onmessageerror = () => fail(fresh, 'the text worker sent a message that could not be read; the next request starts a new one');
    worker = fresh;
    return fresh;
  }

  return {
    /** The bundled text in windows of `length`: { chars, train, heldOut, bigram, characters, trainCharacters }. */
    prepare(length) {
      const id = nextId++;
      const target = current();
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        target.postMessage({ id, length });
      });
    },
  };
}
