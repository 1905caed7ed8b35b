// In Node there is no IndexedDB (nor OPFS): every browser-storage call rejects with a message that
// says so, after the arguments are checked as in a browser.
import { describe, expect, it } from 'vitest';
import {
  deleteBrowserCheckpoint, listBrowserCheckpoints, loadCheckpointFromBrowser, saveCheckpointToBrowser, createTrainer,
} from '../src/index.js';

const NEEDS_INDEXEDDB = 'browser checkpoint storage needs IndexedDB (not available in this runtime)';

describe('browser checkpoint storage in Node', () => {
  it('rejects every call with the clear "needs IndexedDB" message', async () => {
    expect(typeof (globalThis as { indexedDB?: unknown }).indexedDB).toBe('undefined');
    const trainer = await createTrainer({ inputSize: 2, layers: [{ units: 1 }], loss: 'mse', optimizer: { name: 'sgd', learningRate: 0.1 } }, { worker: false });
    const bytes = await trainer.save();
    await trainer.dispose();
    await expect(saveCheckpointToBrowser('model', bytes)).rejects.toThrow(NEEDS_INDEXEDDB);
    await expect(loadCheckpointFromBrowser('model')).rejects.toThrow(NEEDS_INDEXEDDB);
    await expect(listBrowserCheckpoints()).rejects.toThrow(NEEDS_INDEXEDDB);
    await expect(deleteBrowserCheckpoint('model', { storage: 'indexeddb' })).rejects.toThrow(NEEDS_INDEXEDDB);
    await expect(listBrowserCheckpoints({ storage: 'opfs' })).rejects.toThrow(
      /^browser checkpoint storage \{ storage: 'opfs' \} needs the Origin Private File System/);
  });

  it('checks arguments first, so a bad call says what is wrong with it', async () => {
    await expect(saveCheckpointToBrowser('', new Uint8Array(8))).rejects.toThrow('name must be a non-empty string, got ""');
    await expect(saveCheckpointToBrowser('model', new Uint8Array(3))).rejects.toThrow(
      'bytes is not a safetensors checkpoint: checkpoint must be at least 8 bytes (the header length), got 3');
    await expect(loadCheckpointFromBrowser('model', { storage: 'disk' as never })).rejects.toThrow(
      'options.storage must be one of \'indexeddb\', \'opfs\'; got "disk"');
  });
});
