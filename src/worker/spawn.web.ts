// Browsers and Deno: a module Worker running the entry file (bundlers follow this literal URL).
import type { Endpoint } from 'comlink';
import { deathNotice, type SpawnedWorker } from './spawned.js';

export type { SpawnedWorker } from './spawned.js';

/** Starts the descent worker (or the module at `url`, for apps that host the file themselves). */
export function spawnWorker(url?: string | URL): SpawnedWorker {
  return watch(url
    ? new Worker(url, { type: 'module' })
    : new Worker(new URL('./entry.web.js', import.meta.url), { type: 'module' }));
}

/** `worker` as a Comlink endpoint with a death notice. */
export function watch(worker: Worker): SpawnedWorker {
  const { onDeath, die } = deathNotice();
  (worker as unknown as { unref?: () => void }).unref?.(); // calls in flight hold it (keepAlive)
  worker.addEventListener('error', (event: Event) => {
    event.preventDefault();
    die(new Error(`descent worker crashed: ${(event as ErrorEvent).message ?? 'unknown error'}`));
  });
  worker.addEventListener('messageerror', () => die(new Error('descent worker sent an unreadable message')));
  return {
    endpoint: worker as unknown as Endpoint,
    onDeath,
    terminate: async () => {
      worker.terminate();
      die(new Error('descent worker was terminated'));
    },
    // Deno's and Bun's Workers can let the process exit while idle; browsers have no process to keep
    keepAlive: (alive) => {
      const handle = worker as unknown as { ref?: () => void; unref?: () => void };
      (alive ? handle.ref : handle.unref)?.call(worker);
    },
    kind: 'web-worker',
  };
}

/** Logical processors the browser (or Deno) reports. */
export function hardwareConcurrency(): number {
  return (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
}
