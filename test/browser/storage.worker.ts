// A plain module Worker for storage.test.ts: stores, lists and reads back checkpoints from inside a
// worker (no window, no document), in both storages, and answers with what it saw.
import { deleteBrowserCheckpoint, listBrowserCheckpoints, loadCheckpointFromBrowser, saveCheckpointToBrowser } from 'descent-wasm';

self.onmessage = async (event: MessageEvent<{ name: string; bytes: Uint8Array }>) => {
  const { name, bytes } = event.data;
  try {
    const results = [];
    for (const storage of ['indexeddb', 'opfs'] as const) {
      await saveCheckpointToBrowser(name, bytes, { storage });
      const loaded = await loadCheckpointFromBrowser(name, { storage });
      const listed = await listBrowserCheckpoints({ storage });
      const missing = await loadCheckpointFromBrowser(`${name} (not saved)`, { storage });
      const deletedMissing = await deleteBrowserCheckpoint(`${name} (not saved)`, { storage });
      results.push({ storage, loaded, listed, missing, deletedMissing });
    }
    self.postMessage({ ok: true, inWorker: typeof document === 'undefined' && typeof window === 'undefined', results });
  } catch (error) {
    self.postMessage({ ok: false, message: String(error) });
  }
};
