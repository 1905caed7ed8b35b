// Requests to a page's helper worker (data sets, text): one promise per request, one worker at a time.
// A worker that dies (a failed module load, an out-of-memory crash) fails every request it holds and
// is replaced by a new one on the next request, so no request waits for an answer that can never come.

/**
 * A `request(message)` function over workers made by `spawn()`: it posts `{ id, ...message }` and
 * resolves with the worker's answer `data` (rejects with `data.error`). `name` names the worker in errors.
 */
export function createWorkerRequests(spawn, name) {
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
      else request?.resolve(data);
    };
    // a module worker that cannot load reports an 'error' event without a message (WebKit)
    fresh.onerror = (event) => fail(fresh, `the ${name} worker failed: ${event.message || 'it could not start or crashed'}; the next request starts a new one`);
    fresh.onmessageerror = () => fail(fresh, `the ${name} worker sent a message that could not be read; the next request starts a new one`);
    worker = fresh;
    return fresh;
  }

  return (message) => {
    const id = nextId++;
    const target = current();
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      target.postMessage({ id, ...message });
    });
  };
}
