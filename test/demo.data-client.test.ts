// The demo's data client (demo/data-client.js) when its worker dies: the requests it held fail with a
// message, and the next request starts a new worker instead of waiting for ever (WebKit's module worker
// that could not load reports a bare 'error' event).
import { describe, expect, it } from 'vitest';
// @ts-expect-error: plain JavaScript module without declarations
import { createDataClient } from '../demo/data-client.js';

/** A stand-in Worker: records what was posted; the test answers or crashes it by hand. */
class FakeWorker {
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onerror: ((event: { message?: string }) => void) | null = null;
  onmessageerror: (() => void) | null = null;
  posted: { id: number; name: string }[] = [];
  terminated = false;
  postMessage(message: { id: number; name: string }) { this.posted.push(message); }
  terminate() { this.terminated = true; }
  answer(id: number) { this.onmessage!({ data: { id, train: { rows: id }, test: { rows: 0 } } }); }
}

function client() {
  const workers: FakeWorker[] = [];
  const data = createDataClient(() => {
    const worker = new FakeWorker();
    workers.push(worker);
    return worker;
  });
  return { data, workers };
}

describe('the demo data client', () => {
  it('answers requests by id from one worker', async () => {
    const { data, workers } = client();
    const first = data.loadSplit('iris', 1, 'mnist.bin');
    const second = data.loadSplit('digits', 1, 'mnist.bin');
    expect(workers).toHaveLength(1);
    workers[0]!.answer(2);
    workers[0]!.answer(1);
    expect((await first).train.rows).toBe(1);
    expect((await second).train.rows).toBe(2);
  });

  it('a dead worker fails the waiting requests, and the next request starts a new worker that answers', async () => {
    const { data, workers } = client();
    const waiting = data.loadSplit('mnist', 1, 'mnist.bin');
    workers[0]!.onerror!({}); // WebKit: no message
    await expect(waiting).rejects.toThrow(/the data worker failed: it could not start or crashed; the next request starts a new one/);
    expect(workers[0]!.terminated).toBe(true);
    const later = data.loadSplit('mnist', 1, 'mnist.bin');
    expect(workers).toHaveLength(2);
    expect(workers[1]!.posted).toEqual([{ id: 2, name: 'mnist', seed: 1, mnistUrl: 'mnist.bin' }]);
    workers[1]!.answer(2);
    expect((await later).train.rows).toBe(2);
    workers[0]!.onerror!({ message: 'late' }); // the old worker's late event fails nothing of the new one's
    expect(workers[1]!.terminated).toBe(false);
  });

  it('an error answer rejects only its own request', async () => {
    const { data, workers } = client();
    const bad = data.loadSplit('nope', 1, 'mnist.bin');
    const good = data.loadSplit('iris', 1, 'mnist.bin');
    workers[0]!.onmessage!({ data: { id: 1, error: 'unknown data set "nope"' } });
    workers[0]!.answer(2);
    await expect(bad).rejects.toThrow('unknown data set "nope"');
    expect((await good).train.rows).toBe(2);
  });
});
