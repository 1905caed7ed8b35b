// What both runtime-specific spawners return, and the once-only death notice they share.
import type { Endpoint } from 'comlink';

export interface SpawnedWorker {
  endpoint: Endpoint;
  /** Called once with an Error when the worker dies (uncaught error, exit, unreadable message). */
  onDeath(listener: (error: Error) => void): void;
  terminate(): Promise<void>;
  /** Whether the worker keeps the process alive (Node, and runtimes whose Worker has ref/unref); no-op elsewhere. */
  keepAlive(alive: boolean): void;
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

/** Calls in flight to a worker: all of them, and every later one, reject once `fail` is called. */
export class PendingCalls {
  readonly #rejects = new Set<(error: Error) => void>();
  #error: Error | null = null;

  /** `onBusy(true)` when a first call starts, `onBusy(false)` when the last one ends: a worker with no call in flight lets the process exit. */
  constructor(readonly onBusy: (busy: boolean) => void = () => {}) {}

  #add(reject: (error: Error) => void): void {
    this.#rejects.add(reject);
    if (this.#rejects.size === 1) this.onBusy(true);
  }

  #remove(reject: (error: Error) => void): void {
    if (this.#rejects.delete(reject) && this.#rejects.size === 0) this.onBusy(false);
  }

  /** The error that ended the worker, or null while it lives. */
  get error(): Error | null {
    return this.#error;
  }

  /** `run()`'s result, or a rejection as soon as the worker fails; `run`'s own errors pass through `mapError`. */
  track<T>(run: () => Promise<T>, mapError: (error: unknown) => unknown = (error) => error): Promise<T> {
    if (this.#error) return Promise.reject(this.#error);
    return new Promise<T>((resolve, reject) => {
      this.#add(reject);
      run().then(
        (value) => {
          this.#remove(reject);
          resolve(value);
        },
        (error) => {
          this.#remove(reject);
          reject(this.#error ?? mapError(error));
        },
      );
    });
  }

  /** Rejects every tracked call with `error`, now and later; false when it had failed already. */
  fail(error: Error): boolean {
    if (this.#error) return false;
    this.#error = error;
    for (const reject of this.#rejects) reject(error);
    if (this.#rejects.size > 0) this.onBusy(false);
    this.#rejects.clear();
    return true;
  }
}
