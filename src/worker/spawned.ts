// What both runtime-specific spawners return, and the once-only death notice they share.
import type { Endpoint } from 'comlink';

export interface SpawnedWorker {
  endpoint: Endpoint;
  /** Called once with an Error when the worker dies (uncaught error, exit, unreadable message). */
  onDeath(listener: (error: Error) => void): void;
  terminate(): Promise<void>;
  kind: 'worker_threads' | 'web-worker';
}

/** Listeners registered with `onDeath`, told at most once by `die`. */
export function deathNotice(): { onDeath(listener: (error: Error) => void): void; die(error: Error): void } {
  let died = false;
  const listeners: ((error: Error) => void)[] = [];
  return {
    onDeath: (listener) => listeners.push(listener),
    die(error) {
      if (died) return;
      died = true;
      for (const listener of listeners) listener(error);
    },
  };
}
