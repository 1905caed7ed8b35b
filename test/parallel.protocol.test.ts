// The chunk protocol of data-parallel steps (src/parallel/protocol.ts): how a batch is cut into
// chunks (by the network's cost, src/model/cost.ts), and the claim counter every thread takes chunks from. The counter carries the step's
// generation, so a thread that is late for one step can never take a chunk of the next one; under
// real concurrency (three threads racing) every chunk is claimed exactly once.
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { multiplyAddsPerRow } from '../src/model/cost.js';
import { modelFromSpec } from '../src/model/spec.js';
import { CHUNKS, chunkCount, chunkRange, claimChunk, CONTROL_SLOTS, firstClaim, minChunkRows, NEXT } from '../src/parallel/protocol.js';

function control(generation: number, chunks: number): Int32Array {
  const c = new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * 4));
  c[CHUNKS] = chunks;
  c[NEXT] = firstClaim(generation);
  return c;
}

describe('data-parallel chunks', () => {
  it('cut a batch into 1–4 chunks per thread of at least minRows rows, covering its rows in order', () => {
    expect(chunkCount(512, 2, 1)).toBe(8);
    expect(chunkCount(512, 2, 100)).toBe(5);
    expect(chunkCount(512, 2, 200)).toBe(2);
    expect(chunkCount(512, 2, 1000)).toBe(2); // always one per thread
    expect(chunkCount(512, 3, 64)).toBe(8);
    expect(chunkCount(3, 2, 1)).toBe(3);
    expect(chunkCount(2, 3, 1)).toBe(2); // fewer rows than threads: one row each
    expect(chunkCount(1, 3, 50)).toBe(1);
    for (const [rows, threads, minRows] of [[512, 2, 1], [47, 3, 5], [5, 3, 1], [1, 2, 9], [1797, 4, 30]] as const) {
      const n = chunkCount(rows, threads, minRows);
      let next = 0;
      for (let k = 0; k < n; k++) {
        const [start, end] = chunkRange(k, n, rows);
        expect(start).toBe(next);
        expect(end - start).toBeGreaterThanOrEqual(Math.floor(rows / n));
        expect(end - start).toBeLessThanOrEqual(Math.ceil(rows / n));
        next = end;
      }
      expect(next).toBe(rows);
    }
  });

  it('need ~200 rows for a dense network and a few for a convolutional one (copying a chunk gradient costs ~200 multiply-adds a parameter)', () => {
    const dense = modelFromSpec({ inputSize: 784, layers: [{ units: 256, activation: 'relu' }, { units: 256, activation: 'relu' }, { units: 10 }], loss: 'softmax_cross_entropy' });
    // 784·256 + 256·256 + 256·10 multiply-adds (the activations are part of the dense layers)
    expect(multiplyAddsPerRow(dense)).toBe(784 * 256 + 256 * 256 + 256 * 10);
    const denseParameters = 784 * 256 + 256 + 256 * 256 + 256 + 256 * 10 + 10;
    expect(minChunkRows(denseParameters, multiplyAddsPerRow(dense))).toBe(Math.ceil((200 * denseParameters) / multiplyAddsPerRow(dense)));
    expect(minChunkRows(denseParameters, multiplyAddsPerRow(dense))).toBeGreaterThanOrEqual(199);
    const conv = modelFromSpec({
      inputShape: [28, 28, 1],
      layers: [{ type: 'conv2d', filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }, { type: 'maxpool2d', poolSize: 2 }, { type: 'flatten' }, { units: 10 }],
      loss: 'softmax_cross_entropy',
    });
    // 3·3·1·16 weights at each of 28·28 positions; the dense layer 14·14·16·10
    const convMacs = multiplyAddsPerRow(conv);
    expect(convMacs).toBeGreaterThan(9 * 16 * 28 * 28 + 14 * 14 * 16 * 10);
    expect(minChunkRows(16 * 9 + 16 + 14 * 14 * 16 * 10 + 10, convMacs)).toBeLessThan(200);
  });

  it('are claimed once each, in order, and only by the step they belong to', () => {
    const c = control(7, 3);
    expect(claimChunk(c, 6)).toBe(-1); // a thread still on the previous step
    expect([claimChunk(c, 7), claimChunk(c, 7), claimChunk(c, 7)]).toEqual([0, 1, 2]);
    expect(claimChunk(c, 7)).toBe(-1);
    c[NEXT] = firstClaim(8); // the coordinator opens the next step
    expect(claimChunk(c, 7)).toBe(-1);
    expect(claimChunk(c, 8)).toBe(0);
    // the generation is kept modulo 2^15 in the counter: a wrap-around still matches
    const wrapped = control(0x8000 + 5, 2);
    expect(claimChunk(wrapped, 0x8000 + 5)).toBe(0);
    expect(claimChunk(wrapped, 0x8000 + 4)).toBe(-1);
  });

  it('are each claimed exactly once by threads racing for them', async () => {
    const chunks = 60_000;
    const c = control(3, chunks);
    const claims = new Int32Array(new SharedArrayBuffer(chunks * 4));
    const start = new Int32Array(new SharedArrayBuffer(8)); // [go, threads ready]
    // the racing threads run the built claimChunk (dist/, made by npm test's build) on the same counter
    const protocol = new URL('../dist/parallel/protocol.js', import.meta.url).href;
    const source = `
      const { workerData, parentPort } = require('node:worker_threads');
      import(${JSON.stringify(protocol)}).then(({ claimChunk }) => {
        const c = new Int32Array(workerData.control), counts = new Int32Array(workerData.claims);
        const start = new Int32Array(workerData.start);
        Atomics.add(start, 1, 1);
        while (Atomics.load(start, 0) === 0); // everyone starts claiming at once
        let mine = 0;
        for (let k = claimChunk(c, 3); k >= 0; k = claimChunk(c, 3)) { Atomics.add(counts, k, 1); mine++; }
        parentPort.postMessage(mine);
      });
    `;
    const threads = [0, 1].map(() => new Worker(source, { eval: true, workerData: { control: c.buffer, claims: claims.buffer, start: start.buffer } }));
    const theirs = threads.map((w) => new Promise<number>((resolve) => w.once('message', resolve)));
    while (Atomics.load(start, 1) < threads.length) await new Promise((resolve) => setTimeout(resolve, 1));
    Atomics.store(start, 0, 1);
    let mine = 0;
    for (let k = claimChunk(c, 3); k >= 0; k = claimChunk(c, 3)) {
      Atomics.add(claims, k, 1);
      mine++;
    }
    const counts = [mine, ...(await Promise.all(theirs))];
    await Promise.all(threads.map((w) => w.terminate()));
    console.log(`claims per thread: ${counts.join(', ')}`);
    expect(counts.reduce((a, b) => a + b)).toBe(chunks);
    expect(claims.every((n) => n === 1)).toBe(true);
  });
});
