// Node: a worker_threads Worker running the built entry file, wrapped as a Comlink endpoint.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { deathNotice, type SpawnedWorker } from './spawned.js';

export type { SpawnedWorker } from './spawned.js';

/** Starts the descent worker (or the script at `url`). */
export function spawnWorker(url?: string | URL): SpawnedWorker {
  return start(url ?? new URL('./entry.node.js', import.meta.url));
}

/** A worker_threads Worker running `url`, as a Comlink endpoint with a death notice. */
export function start(url: string | URL): SpawnedWorker {
  const worker = new Worker(url);
  const { onDeath, die } = deathNotice();
  worker.on('error', (error) => die(new Error(`descent worker crashed: ${error.message}`)));
  worker.on('messageerror', (error) => die(new Error(`descent worker sent an unreadable message: ${String(error)}`)));
  worker.on('exit', (code) => die(new Error(`descent worker exited (code ${code})`)));
  return {
    endpoint: nodeEndpoint(worker),
    onDeath,
    terminate: async () => {
      await worker.terminate();
    },
    kind: 'worker_threads',
  };
}

/** Logical processors available to this process. */
export function hardwareConcurrency(): number {
  return availableParallelism();
}
