// Browsers and Deno: a module Worker running the entry file (bundlers follow this literal URL).
import type { Endpoint } from 'comlink';
import { deathNotice, type SpawnedWorker } from './spawned.js';

export type { SpawnedWorker } from './spawned.js';

/** Starts the descent worker (or the module at `url`, for apps that host the file themselves). */
export function spawnWorker(url?: string | URL): SpawnedWorker {
  return url
    ? watch(new Worker(url, { type: 'module' }), String(url))
    : watch(new Worker(new URL('./entry.web.js', import.meta.url), { type: 'module' }), `entry.web.js beside ${import.meta.url}`);
}

/**
 * What is known about a worker's `error` event: the message and place of an uncaught exception,
 * or, for a script that never ran (no message at all), where it was and the usual reasons.
 */
function crashMessage(event: Event, script: string): string {
  const { message, filename, lineno, colno } = event as Partial<ErrorEvent>;
  if (message) {
    const at = filename ? ` at ${filename}${lineno ? `:${lineno}${colno ? `:${colno}` : ''}` : ''}` : '';
    return `descent worker crashed: ${message}${at} (worker script ${script})`;
  }
  return `descent worker crashed: an '${event.type}' event without a message from the module worker script ${script}; `
    + 'the script did not load or start: check that it is served (not 404) as JavaScript, that a cross-origin '
    + 'isolated page gets it with Cross-Origin-Embedder-Policy and Cross-Origin-Resource-Policy headers on every '
    + 'response (cached 304 answers included), and that the browser runs module workers';
}

/** `worker` (running `script`, for error messages) as a Comlink endpoint with a death notice. */
export function watch(worker: Worker, script: string): SpawnedWorker {
  const { onDeath, die } = deathNotice();
  (worker as unknown as { unref?: () => void }).unref?.(); // calls in flight hold it (keepAlive)
  worker.addEventListener('error', (event: Event) => {
    event.preventDefault();
    die(new Error(crashMessage(event, script)));
  });
  worker.addEventListener('messageerror', () => die(new Error(`descent worker sent an unreadable message (worker script ${script})`)));
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
