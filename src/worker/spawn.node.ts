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
  const worker = newWorker(url);
  worker.unref(); // calls in flight hold it (keepAlive)
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
    keepAlive: (alive) => (alive ? worker.ref() : worker.unref()),
    kind: 'worker_threads',
  };
}

/**
 * A Worker for `url`. Options for the main script's input (`--input-type`, `--eval`, …) must not
 * reach it — a worker of `node --input-type=module -e '…'` would fail to start — so when the parent
 * has some, the worker gets the parent's other options, or none if Node refuses those (V8 options
 * such as --expose-gc). Otherwise it inherits them as Node does by default.
 */
function newWorker(url: string | URL): Worker {
  const kept = workerExecArgv(process.execArgv);
  if (kept.length === process.execArgv.length) return new Worker(url);
  try {
    return new Worker(url, { execArgv: kept });
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw error;
    return new Worker(url, { execArgv: [] });
  }
}

/** The parent's Node options a worker accepts: without those that only apply to the main script's input. */
export function workerExecArgv(execArgv: readonly string[]): string[] {
  const inputOnly = /^--(input-type|eval|print|check|interactive|test|watch|watch-path|watch-preserve-output|experimental-default-type)(=|$)|^-[epci]$/;
  const takesValue = /^(--input-type|--eval|--print|--watch-path|--experimental-default-type|-e|-p)$/;
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    if (inputOnly.test(arg)) {
      if (takesValue.test(arg)) i++; // and its value
      continue;
    }
    kept.push(arg);
  }
  return kept;
}

/** Logical processors available to this process. */
export function hardwareConcurrency(): number {
  return availableParallelism();
}
