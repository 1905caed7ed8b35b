// The coordinator's side of data-parallel training: n − 1 shard workers (the coordinator computes
// chunks too), started with the trainer and kept for its lifetime. Per step it writes the batch
// into shared memory, wakes the workers with Atomics.notify and waits for their chunks with
// Atomics.waitAsync (this thread's event loop stays free, so a dying worker is noticed at once;
// engines without waitAsync check again on each timer tick).

import { spawnShardWorker } from '#shard-spawn';
import { hardwareConcurrency } from '#worker-spawn';
import { PendingCalls, type SpawnedWorker } from '../worker/spawned.js';
import * as Comlink from 'comlink';
import type { TrainerSpec } from '../model/spec.js';
import {
  CHUNKS, claimChunk, COMMAND, COMPUTE, CONTROL_SLOTS, DONE, EXIT, FAILED, firstClaim, GENERATION, NEXT, ROWS, type ShardBuffers, spinWhile, STEP,
} from './protocol.js';
import type { ShardApi } from './shard-api.js';
import type { Build } from '../wasm/builds.js';

interface ShardWorker {
  spawned: SpawnedWorker;
  remote: Comlink.Remote<ShardApi>;
}

type WaitAsync = (array: Int32Array, index: number, value: number) => { async: boolean; value: Promise<unknown> | string };

export class ShardPool {
  /** Shards per batch: the coordinator and its workers. */
  readonly shards: number;
  /** Every shard's thread has a core of its own: waits spin briefly before they sleep (protocol.ts, SPIN_MS). */
  readonly spin: boolean;
  readonly #workers: ShardWorker[];
  readonly #calls: PendingCalls;
  #control: Int32Array | null = null;
  #ready: Int32Array | null = null;
  #runs: Promise<unknown>[] = [];
  /** Shared buffers that carry array fits' rows, kept from fit to fit (see shareRows). */
  #rowBuffers: { x: SharedArrayBuffer | null; y: SharedArrayBuffer | null } = { x: null, y: null };

  private constructor(workers: ShardWorker[]) {
    this.#workers = workers;
    this.shards = workers.length + 1;
    this.spin = this.shards <= hardwareConcurrency();
    this.#calls = new PendingCalls((busy) => { for (const w of workers) w.spawned.keepAlive(busy); });
  }

  /** Starts `shards − 1` workers, each building a trainer from `spec`; `spawn` starts one worker thread. */
  static async start(shards: number, spec: TrainerSpec, options: { build?: Build }, spawn: () => SpawnedWorker = spawnShardWorker): Promise<ShardPool> {
    const workers: ShardWorker[] = [];
    for (let i = 1; i < shards; i++) {
      const spawned = spawn();
      workers.push({ spawned, remote: Comlink.wrap<ShardApi>(spawned.endpoint) });
    }
    const pool = new ShardPool(workers);
    workers.forEach((w, i) => w.spawned.onDeath((error) => pool.#fail(new Error(`descent shard worker ${i + 1} died: ${error.message}`))));
    try {
      await Promise.all(workers.map((w) => pool.#call(() => w.remote.init(spec, options))));
    } catch (error) {
      await pool.dispose();
      throw error;
    }
    return pool;
  }

  /** The error that broke the pool (a worker died), or null. */
  get dead(): Error | null {
    return this.#calls.error;
  }

  #fail(error: Error): void {
    if (!this.#calls.fail(error)) return;
    // wake the coordinator if it is waiting for this step
    if (this.#control) Atomics.notify(this.#control, DONE);
  }

  /** `run()`, or a rejection as soon as any worker dies. */
  #call<T>(run: () => Promise<T>): Promise<T> {
    return this.#calls.track(run);
  }

  /**
   * The staged rows of a fit on arrays in shared memory, for the shard workers to copy in at `begin`:
   * written into buffers kept from fit to fit, since a fresh 31 MB buffer pays its page faults
   * (20–100 ms on the 2-core VM) on every fit. Only `begin` reads them, so the next fit may reuse them.
   */
  shareRows(x: Float32Array | Int32Array, y: Float32Array | Int32Array): { key: null; x: SharedArrayBuffer; y: SharedArrayBuffer } {
    const into = (values: Float32Array | Int32Array, kept: SharedArrayBuffer | null): SharedArrayBuffer => {
      const buffer = kept && kept.byteLength >= values.byteLength ? kept : new SharedArrayBuffer(values.byteLength);
      new (values.constructor as Float32ArrayConstructor)(buffer, 0, values.length).set(values);
      return buffer;
    };
    this.#rowBuffers = { x: into(x, this.#rowBuffers.x), y: into(y, this.#rowBuffers.y) };
    return { key: null, x: this.#rowBuffers.x!, y: this.#rowBuffers.y! };
  }

  /** Hands this fit's shared memory to every worker (they copy the data set in) and starts their loops. */
  async begin(buffers: ShardBuffers): Promise<void> {
    await Promise.all(this.#workers.map((w, i) => this.#call(() => w.remote.begin(buffers, i + 1))));
    const control = new Int32Array(buffers.control, 0, CONTROL_SLOTS);
    this.#control = control;
    this.#ready = new Int32Array(buffers.ready);
    const seen = Atomics.load(control, GENERATION);
    this.#runs = this.#workers.map((w) => this.#call(() => w.remote.run(seen)));
    for (const run of this.#runs) run.catch(() => {}); // failures surface through ready()
  }

  /**
   * Wakes the workers to claim the `chunks` chunks of a batch of `rows` rows at optimizer step
   * `step`; returns the step's generation (for claim and ready).
   */
  dispatch(rows: number, step: number, chunks: number): number {
    const control = this.#control!;
    const generation = Atomics.load(control, GENERATION) + 1;
    Atomics.store(control, FAILED, 0);
    Atomics.store(control, ROWS, rows);
    Atomics.store(control, STEP, step);
    Atomics.store(control, CHUNKS, chunks);
    Atomics.store(control, NEXT, firstClaim(generation));
    Atomics.store(control, COMMAND, COMPUTE);
    Atomics.store(control, GENERATION, generation);
    Atomics.notify(control, GENERATION);
    return generation;
  }

  /** The coordinator's claim on the next chunk of step `generation` (−1: all are claimed). */
  claim(generation: number): number {
    return claimChunk(this.#control!, generation);
  }

  /** Whether chunk `chunk` of step `generation` is in its slot (written by a worker, or marked by the coordinator). */
  isReady(chunk: number, generation: number): boolean {
    return Atomics.load(this.#ready!, chunk) === generation;
  }

  /** Marks chunk `chunk` as in its slot (the coordinator's own chunks that wait for their turn). */
  markReady(chunk: number, generation: number): void {
    Atomics.store(this.#ready!, chunk, generation);
  }

  /** Resolves when chunk `chunk` of step `generation` is in its slot; rejects when a worker failed or died. */
  async ready(chunk: number, generation: number): Promise<void> {
    const control = this.#control!;
    const waitAsync = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;
    let spin = this.spin;
    for (;;) {
      if (this.#calls.error) throw this.#calls.error;
      // DONE first: a worker marks its chunk ready (or FAILED) before it increments DONE
      const done = Atomics.load(control, DONE);
      const failed = Atomics.load(control, FAILED);
      if (failed) {
        // the shard's run() ended by rejecting with the step's error
        const cause = await this.#runs[failed - 1]!.then(() => null, (error: unknown) => error);
        const reason = cause instanceof Error ? `: ${cause.name}: ${cause.message}` : '';
        throw new Error(`descent shard worker ${failed} could not compute its gradient${reason}`, { cause });
      }
      if (this.isReady(chunk, generation)) return;
      if (spin) {
        spin = false; // once per wait: the chunk is usually about to arrive
        if (spinWhile(control, DONE, done)) continue;
      }
      if (waitAsync) {
        const waiting = waitAsync(control, DONE, done);
        if (waiting.async) await waiting.value;
      } else {
        // engines without Atomics.waitAsync: look again after a timer tick, which also lets a
        // worker's death be noticed (a blocking Atomics.wait would not, and a page may not block)
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    }
  }

  /** Ends this fit's loops (the workers return to answering messages). */
  async end(): Promise<void> {
    const control = this.#control;
    if (!control) return;
    this.#control = null;
    this.#ready = null;
    Atomics.store(control, COMMAND, EXIT);
    Atomics.add(control, GENERATION, 1);
    Atomics.notify(control, GENERATION);
    await Promise.allSettled(this.#runs);
    this.#runs = [];
  }

  async dispose(): Promise<void> {
    this.#rowBuffers = { x: null, y: null };
    this.#fail(new Error('trainer is disposed'));
    await Promise.all(this.#workers.map((w) => w.spawned.terminate()));
  }
}
