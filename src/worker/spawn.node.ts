// Node: a worker_threads Worker running the built entry file, wrapped as a Comlink endpoint.
import { Worker } from 'node:worker_threads';
import type { Endpoint } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';

export interface SpawnedWorker {
  endpoint: Endpoint;
  /** Called once with an Error when the worker dies (uncaught error, exit, unreadable message). */
  onDeath(listener: (error: Error) => void): void;
  terminate(): Promise<void>;
  kind: 'worker_threads' | 'web-worker';
}

/** Starts the descent worker (or the script at `url`). */
export function spawnWorker(url?: string | URL): SpawnedWorker {
  const worker = new Worker(url ?? new URL('./entry.node.js', import.meta.url));
  let died = false;
  const listeners: ((error: Error) => void)[] = [];
  const die = (error: Error) => {
    if (died) return;
    died = true;
    for (const listener of listeners) listener(error);
  };
  worker.on('error', (error) => die(new Error(`descent worker crashed: ${error.message}`)));
  worker.on('messageerror', (error) => die(new Error(`descent worker sent an unreadable message: ${String(error)}`)));
  worker.on('exit', (code) => die(new Error(`descent worker exited (code ${code})`)));
  return {
    endpoint: nodeEndpoint(worker),
    onDeath: (listener) => listeners.push(listener),
    terminate: async () => {
      await worker.terminate();
    },
    kind: 'worker_threads',
  };
}
