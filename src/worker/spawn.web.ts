// Browsers and Deno: a module Worker running the entry file (bundlers follow this literal URL).
import type { Endpoint } from 'comlink';

export interface SpawnedWorker {
  endpoint: Endpoint;
  /** Called once with an Error when the worker dies (uncaught error, unreadable message). */
  onDeath(listener: (error: Error) => void): void;
  terminate(): Promise<void>;
  kind: 'worker_threads' | 'web-worker';
}

/** Starts the descent worker (or the module at `url`, for apps that host the file themselves). */
export function spawnWorker(url?: string | URL): SpawnedWorker {
  const worker = url
    ? new Worker(url, { type: 'module' })
    : new Worker(new URL('./entry.web.js', import.meta.url), { type: 'module' });
  let died = false;
  const listeners: ((error: Error) => void)[] = [];
  const die = (error: Error) => {
    if (died) return;
    died = true;
    for (const listener of listeners) listener(error);
  };
  worker.addEventListener('error', (event: Event) => {
    event.preventDefault();
    die(new Error(`descent worker crashed: ${(event as ErrorEvent).message ?? 'unknown error'}`));
  });
  worker.addEventListener('messageerror', () => die(new Error('descent worker sent an unreadable message')));
  return {
    endpoint: worker as unknown as Endpoint,
    onDeath: (listener) => listeners.push(listener),
    terminate: async () => {
      worker.terminate();
      die(new Error('descent worker was terminated'));
    },
    kind: 'web-worker',
  };
}
