// In real Chromium: checkpoints kept in IndexedDB and in the Origin Private File System survive as
// bytes that rebuild the same model, from the page, from a worker trainer's onSave, and from inside
// a module Worker; bad names and bytes are refused before anything is stored.
import {
  createTrainer, decodeSafetensors, deleteBrowserCheckpoint, listBrowserCheckpoints, loadCheckpointFromBrowser, saveCheckpointToBrowser,
  type BrowserStorage, type TrainerSpec,
} from 'descent-wasm';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
// @ts-expect-error: plain JavaScript data helpers without type declarations
import { loadIris } from '../../data/datasets.web.mjs';

interface DataSet { x: Float32Array; y: Int32Array; rows: number }

const spec: TrainerSpec = {
  inputSize: 4,
  layers: [{ units: 8, activation: 'relu' }, { units: 3 }],
  loss: 'softmax_cross_entropy',
  optimizer: { name: 'adam', learningRate: 0.02 },
  seed: 11,
  normalize: true,
};
const STORAGES: BrowserStorage[] = ['indexeddb', 'opfs'];

let iris: DataSet;
/** A trained model's checkpoint and its predictions on iris. */
let trained: { bytes: Uint8Array; predictions: Float32Array };

async function clearStorage(): Promise<void> {
  for (const storage of STORAGES) {
    for (const { name } of await listBrowserCheckpoints({ storage })) await deleteBrowserCheckpoint(name, { storage });
  }
}

beforeAll(async () => {
  iris = loadIris() as DataSet;
  const trainer = await createTrainer(spec, { worker: false });
  await trainer.fit(iris.x, iris.y, { epochs: 5, batchSize: 16 });
  trained = { bytes: await trainer.save(), predictions: await trainer.predict(iris.x) };
  await trainer.dispose();
});

beforeEach(clearStorage);

describe.each(STORAGES)('browser checkpoints in %s', (storage) => {
  it('round trip: the stored bytes rebuild a model that predicts identically', async () => {
    const before = Date.now();
    await saveCheckpointToBrowser('iris', trained.bytes, { storage });
    const listed = await listBrowserCheckpoints({ storage });
    expect(listed.map(({ name, bytes }) => ({ name, bytes }))).toEqual([{ name: 'iris', bytes: trained.bytes.length }]);
    expect(listed[0]!.savedAt).toBeInstanceOf(Date);
    expect(listed[0]!.savedAt.getTime()).toBeGreaterThanOrEqual(before - 1_000);
    expect(listed[0]!.savedAt.getTime()).toBeLessThanOrEqual(Date.now() + 1_000);

    const loaded = await loadCheckpointFromBrowser('iris', { storage });
    expect(loaded).toBeInstanceOf(Uint8Array);
    expect(loaded).toEqual(trained.bytes);
    const restored = await createTrainer(loaded!, { worker: false });
    expect(await restored.predict(iris.x)).toEqual(trained.predictions);
    await restored.dispose();
  });

  it('saving under an existing name replaces the checkpoint', async () => {
    const other = await createTrainer({ ...spec, seed: 12 }, { worker: false });
    const otherBytes = await other.save();
    await other.dispose();
    expect(otherBytes).not.toEqual(trained.bytes);
    await saveCheckpointToBrowser('model', trained.bytes, { storage });
    await saveCheckpointToBrowser('model', otherBytes, { storage });
    expect(await loadCheckpointFromBrowser('model', { storage })).toEqual(otherBytes);
    expect((await listBrowserCheckpoints({ storage })).map(({ name, bytes }) => [name, bytes])).toEqual([['model', otherBytes.length]]);
  });

  it('lists by name and deletes; names with slashes, dots and any Unicode keep apart', async () => {
    const names = ['b', 'a/b', '..', 'a\\b', '%2F', ' ', 'mod\u00e8le 🚀', '🚀'.repeat(100)];
    for (const name of names) await saveCheckpointToBrowser(name, trained.bytes, { storage });
    const listed = await listBrowserCheckpoints({ storage });
    expect(listed.map((c) => c.name)).toEqual([...names].sort());
    expect(listed.every((c) => c.bytes === trained.bytes.length)).toBe(true);
    for (const name of names) expect(await loadCheckpointFromBrowser(name, { storage }), name).toEqual(trained.bytes);

    expect(await deleteBrowserCheckpoint('a/b', { storage })).toBe(true);
    expect(await deleteBrowserCheckpoint('a/b', { storage })).toBe(false);
    expect(await loadCheckpointFromBrowser('a/b', { storage })).toBeUndefined();
    expect((await listBrowserCheckpoints({ storage })).map((c) => c.name)).toEqual(names.filter((n) => n !== 'a/b').sort());
  });

  it('a name never saved loads as undefined and deletes as false', async () => {
    expect(await loadCheckpointFromBrowser('nothing here', { storage })).toBeUndefined();
    expect(await deleteBrowserCheckpoint('nothing here', { storage })).toBe(false);
    expect(await listBrowserCheckpoints({ storage })).toEqual([]);
  });

  it('stores only the viewed bytes of a larger or shared buffer', async () => {
    const padded = new Uint8Array(trained.bytes.length + 64);
    padded.set(trained.bytes, 32);
    await saveCheckpointToBrowser('view', padded.subarray(32, 32 + trained.bytes.length), { storage });
    const shared = new Uint8Array(new SharedArrayBuffer(trained.bytes.length));
    shared.set(trained.bytes);
    await saveCheckpointToBrowser('shared', shared, { storage });
    for (const name of ['view', 'shared']) {
      const loaded = await loadCheckpointFromBrowser(name, { storage });
      expect(loaded!.buffer.byteLength).toBe(trained.bytes.length);
      expect(loaded).toEqual(trained.bytes);
    }
  });
});

describe('browser checkpoint arguments', () => {
  it('refuses bad names, bytes and options with messages naming the argument, storing nothing', async () => {
    for (const storage of STORAGES) {
      const options = { storage };
      await expect(saveCheckpointToBrowser('', trained.bytes, options)).rejects.toThrow(new TypeError('name must be a non-empty string, got ""'));
      await expect(saveCheckpointToBrowser(42 as unknown as string, trained.bytes, options)).rejects.toThrow('name must be a non-empty string, got 42');
      await expect(saveCheckpointToBrowser('x'.repeat(201), trained.bytes, options)).rejects.toThrow(
        new RangeError('name must be at most 200 characters, got 201 characters'));
      await expect(saveCheckpointToBrowser('half \ud83d', trained.bytes, options)).rejects.toThrow(/^name must be well-formed Unicode/);
      await expect(saveCheckpointToBrowser('m', new Float32Array(4) as unknown as Uint8Array, options)).rejects.toThrow(
        new TypeError('bytes must be a Uint8Array of checkpoint bytes (from trainer.save()), got Float32Array(4)'));
      await expect(saveCheckpointToBrowser('m', new Uint8Array([1, 2, 3]), options)).rejects.toThrow(
        new RangeError('bytes is not a safetensors checkpoint: checkpoint must be at least 8 bytes (the header length), got 3'));
      const garbage = new Uint8Array(64).fill(0x41);
      garbage.set([16, 0, 0, 0, 0, 0, 0, 0]);
      await expect(saveCheckpointToBrowser('m', garbage, options)).rejects.toThrow(/^bytes is not a safetensors checkpoint: checkpoint header is not valid UTF-8 JSON/);
      await expect(loadCheckpointFromBrowser('', options)).rejects.toThrow('name must be a non-empty string, got ""');
      await expect(deleteBrowserCheckpoint(undefined as unknown as string, options)).rejects.toThrow('name must be a non-empty string, got undefined');
      expect(await listBrowserCheckpoints(options)).toEqual([]);
    }
    await expect(saveCheckpointToBrowser('m', trained.bytes, { storage: 'localStorage' as BrowserStorage })).rejects.toThrow(
      new RangeError('options.storage must be one of \'indexeddb\', \'opfs\'; got "localStorage"'));
    await expect(listBrowserCheckpoints({ store: 'opfs' } as never)).rejects.toThrow('unknown option "store" in options; it takes storage');
    await expect(loadCheckpointFromBrowser('m', 'opfs' as never)).rejects.toThrow('options must be an object, got "opfs"');
  });
});

describe('browser checkpoints with workers', () => {
  it('a worker trainer\'s checkpoint.onSave stores the best checkpoint, loaded after fit', async () => {
    const trainer = await createTrainer(spec);
    expect(trainer.info.worker).toBe('web-worker');
    const saves: { epoch: number; bytes: Uint8Array }[] = [];
    const history = await trainer.fit(iris.x, iris.y, {
      epochs: 8,
      batchSize: 16,
      validationSplit: 0.2,
      checkpoint: {
        every: 'best',
        onSave: async (bytes, log) => {
          saves.push({ epoch: log.epoch, bytes: bytes.slice() });
          await Promise.all(STORAGES.map((storage) => saveCheckpointToBrowser('best', bytes, { storage })));
        },
      },
    });
    expect(history.epochs).toHaveLength(8);
    expect(saves.length).toBeGreaterThanOrEqual(1);
    const best = saves.at(-1)!;
    const bestEpoch = history.epochs.reduce((a, b) => (b.valLoss! < a.valLoss! ? b : a));
    expect(best.epoch).toBe(bestEpoch.epoch);
    for (const storage of STORAGES) {
      const loaded = await loadCheckpointFromBrowser('best', { storage });
      expect(loaded).toEqual(best.bytes);
      expect(decodeSafetensors(loaded).metadata.epoch).toBe(String(best.epoch));
    }
    await trainer.dispose();
  });

  it('saves, lists and loads from inside a module Worker; the page reads what the worker stored', async () => {
    const worker = new Worker(new URL('./storage.worker.ts', import.meta.url), { type: 'module' });
    const reply = await new Promise<{
      ok: boolean; message?: string; inWorker: boolean;
      results: { storage: BrowserStorage; loaded: Uint8Array; listed: { name: string; bytes: number }[]; missing: unknown; deletedMissing: boolean }[];
    }>((resolve, reject) => {
      worker.onmessage = (event) => resolve(event.data);
      worker.onerror = (event) => reject(new Error(`storage worker failed: ${event.message}`));
      worker.postMessage({ name: 'from worker', bytes: trained.bytes });
    });
    worker.terminate();
    expect(reply.message).toBeUndefined();
    expect(reply.inWorker).toBe(true);
    expect(reply.results.map((r) => r.storage)).toEqual(STORAGES);
    for (const result of reply.results) {
      expect(result.loaded).toEqual(trained.bytes);
      expect(result.listed.map(({ name, bytes }) => [name, bytes])).toEqual([['from worker', trained.bytes.length]]);
      expect(result.missing).toBeUndefined();
      expect(result.deletedMissing).toBe(false);
      expect(await loadCheckpointFromBrowser('from worker', { storage: result.storage })).toEqual(trained.bytes);
    }
  });
});
