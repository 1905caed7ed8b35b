// Checkpoints kept in the browser so that a model survives a page reload: IndexedDB by default
// (database "descent", store "checkpoints"; every browser, pages and workers alike), or the Origin
// Private File System with { storage: 'opfs' } (directory descent/checkpoints). Only globals that
// exist in workers too are used (no window, no document). Bytes are checked as safetensors before
// they are stored and again when read, as writeCheckpoint / readCheckpoint do with files.

import { describe, knownKeys, notOneOf, plainObject } from '../validate.js';
import { decodeSafetensors } from './safetensors.js';

/** Where checkpoints are kept: IndexedDB (default) or the Origin Private File System. */
export type BrowserStorage = 'indexeddb' | 'opfs';

export interface BrowserStorageOptions {
  /** 'indexeddb' (default) or 'opfs'. */
  storage?: BrowserStorage;
}

export interface BrowserCheckpointInfo {
  name: string;
  /** Size of the stored checkpoint in bytes. */
  bytes: number;
  savedAt: Date;
}

const DATABASE = 'descent';
const STORE = 'checkpoints';
/** Index over [size, savedAt]: a key cursor on it lists checkpoints without reading their bytes. */
const INFO_INDEX = 'info';
const OPFS_DIRECTORY = ['descent', 'checkpoints'] as const;
const OPFS_SUFFIX = '.safetensors';
const MAX_NAME_LENGTH = 200;

interface StoredCheckpoint {
  name: string;
  data: Uint8Array;
  size: number;
  /** Milliseconds since the epoch. */
  savedAt: number;
}

/** Stores checkpoint bytes (from trainer.save()) under `name`, replacing any checkpoint of that name. */
export async function saveCheckpointToBrowser(name: string, bytes: Uint8Array, options?: BrowserStorageOptions): Promise<void> {
  checkName(name);
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(`bytes must be a Uint8Array of checkpoint bytes (from trainer.save()), got ${describe(bytes)}`);
  }
  const storage = storageOption(options);
  // A view of part of a buffer would store (IndexedDB clones) the whole buffer; shared memory can
  // be neither stored nor decoded by a browser's TextDecoder, so such bytes are copied first.
  const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer
    ? bytes : bytes.slice();
  checkSafetensors(own, 'bytes is not a safetensors checkpoint');
  if (storage === 'opfs') {
    const directory = await opfsDirectory();
    if (typeof FileSystemFileHandle.prototype.createWritable !== 'function') { // older Safari: sync handles in workers only
      throw new Error('browser checkpoint storage { storage: \'opfs\' } needs FileSystemFileHandle.createWritable (not available in this runtime; use IndexedDB)');
    }
    const existed = (await opfsFile(directory, name)) !== undefined;
    const file = await directory.getFileHandle(opfsFileName(name), { create: true });
    // The stream writes to a swap file that replaces the checkpoint only on close(): a reload or
    // crash mid-write leaves the previous checkpoint whole.
    const stream = await file.createWritable();
    try {
      await stream.write(own as Uint8Array<ArrayBuffer>);
      await stream.close();
    } catch (error) { // e.g. QuotaExceededError: leave no empty file behind for a new name
      await stream.abort().catch(() => undefined);
      if (!existed) await directory.removeEntry(opfsFileName(name)).catch(() => undefined);
      throw error;
    }
    return;
  }
  const record: StoredCheckpoint = { name, data: own, size: own.byteLength, savedAt: Date.now() };
  await transact(`could not save checkpoint ${JSON.stringify(name)} to IndexedDB`, 'readwrite', (store) => {
    store.put(record);
    return () => undefined;
  });
}

/**
 * The checkpoint bytes stored under `name` (checked as safetensors), or `undefined` when there is
 * none, so that a page can resume a saved model or else start a new one.
 */
export async function loadCheckpointFromBrowser(name: string, options?: BrowserStorageOptions): Promise<Uint8Array | undefined> {
  checkName(name);
  const storage = storageOption(options);
  let bytes: Uint8Array | undefined;
  if (storage === 'opfs') {
    const file = await opfsFile(await opfsDirectory(), name);
    bytes = file && new Uint8Array(await (await file.getFile()).arrayBuffer());
  } else {
    const record = await transact(`could not load checkpoint ${JSON.stringify(name)} from IndexedDB`, 'readonly', (store) => {
      const request = store.get(name) as IDBRequest<StoredCheckpoint | undefined>;
      return () => request.result;
    });
    bytes = record?.data;
  }
  if (bytes) checkSafetensors(bytes, `checkpoint ${JSON.stringify(name)} in browser storage is not valid safetensors`);
  return bytes;
}

/** The stored checkpoints (name, size in bytes, time saved), sorted by name; their bytes are not read. */
export async function listBrowserCheckpoints(options?: BrowserStorageOptions): Promise<BrowserCheckpointInfo[]> {
  const storage = storageOption(options);
  const list: BrowserCheckpointInfo[] = [];
  if (storage === 'opfs') {
    // entries() is typed in lib "DOM.AsyncIterable", which this package's tsconfig leaves out.
    const directory = (await opfsDirectory()) as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> };
    for await (const [fileName, handle] of directory.entries()) {
      const name = handle.kind === 'file' ? checkpointNameOf(fileName) : undefined;
      if (name === undefined) continue; // e.g. the swap file of a write in progress
      const file = await (handle as FileSystemFileHandle).getFile();
      list.push({ name, bytes: file.size, savedAt: new Date(file.lastModified) });
    }
  } else {
    await transact('could not list the checkpoints in IndexedDB', 'readonly', (store) => {
      const cursor = store.index(INFO_INDEX).openKeyCursor();
      cursor.onsuccess = () => {
        if (!cursor.result) return;
        const [size, savedAt] = cursor.result.key as [number, number];
        list.push({ name: cursor.result.primaryKey as string, bytes: size, savedAt: new Date(savedAt) });
        cursor.result.continue();
      };
      return () => undefined;
    });
  }
  return list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Deletes the checkpoint stored under `name`; resolves to whether there was one. */
export async function deleteBrowserCheckpoint(name: string, options?: BrowserStorageOptions): Promise<boolean> {
  checkName(name);
  const storage = storageOption(options);
  if (storage === 'opfs') {
    try {
      await (await opfsDirectory()).removeEntry(opfsFileName(name));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }
  return transact(`could not delete checkpoint ${JSON.stringify(name)} from IndexedDB`, 'readwrite', (store) => {
    const count = store.count(name);
    store.delete(name);
    return () => count.result > 0;
  });
}

function checkName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) throw new TypeError(`name must be a non-empty string, got ${describe(name)}`);
  if (name.length > MAX_NAME_LENGTH) {
    throw new RangeError(`name must be at most ${MAX_NAME_LENGTH} characters, got ${name.length} characters`);
  }
  // A lone surrogate has no file name (encodeURIComponent throws) and no UTF-8 form.
  if (/\p{Surrogate}/u.test(name)) throw new RangeError(`name must be well-formed Unicode (no lone surrogate), got ${describe(name)}`);
}

/** Runs decodeSafetensors, prefixing its message with `context` (same error class). */
function checkSafetensors(bytes: Uint8Array, context: string): void {
  try {
    decodeSafetensors(bytes);
  } catch (error) {
    const Class = error instanceof TypeError ? TypeError : RangeError;
    throw new Class(`${context}: ${(error as Error).message}`);
  }
}

function storageOption(options: unknown): BrowserStorage {
  if (options === undefined) return 'indexeddb';
  const o = plainObject('options', options);
  knownKeys('options', o, ['storage']);
  if (o.storage === undefined) return 'indexeddb';
  if (o.storage !== 'indexeddb' && o.storage !== 'opfs') {
    throw notOneOf('options.storage', o.storage, ['indexeddb', 'opfs']);
  }
  return o.storage;
}

// A hand-written promise wrapper instead of the `idb` package: four operations need only
// "open" and "run one transaction", and descent keeps its runtime dependencies to comlink.

function openDatabase(factory: IDBFactory): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = factory.open(DATABASE, 1); // a SecurityError thrown here (opaque origins) rejects
    request.onupgradeneeded = () => {
      const store = request.result.createObjectStore(STORE, { keyPath: 'name' });
      store.createIndex(INFO_INDEX, ['size', 'savedAt']);
    };
    request.onsuccess = () => {
      const database = request.result;
      database.onversionchange = () => database.close(); // never block another tab's upgrade
      resolve(database);
    };
    request.onerror = () => reject(request.error);
  });
}

/**
 * Runs one transaction on the checkpoint store. `run` issues the requests and returns a function
 * read when the transaction has completed (committed), so a save has landed when the promise resolves.
 */
async function transact<T>(failure: string, mode: IDBTransactionMode, run: (store: IDBObjectStore) => () => T): Promise<T> {
  const factory = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!factory) throw new Error('browser checkpoint storage needs IndexedDB (not available in this runtime)');
  const database = await openDatabase(factory).catch((error: unknown) => {
    throw storageError(failure, error);
  });
  try {
    return await new Promise<T>((resolve, reject) => {
      const transaction = database.transaction(STORE, mode);
      const result = run(transaction.objectStore(STORE));
      transaction.oncomplete = () => resolve(result());
      // A failed request aborts its transaction (e.g. QuotaExceededError); abort carries the cause.
      transaction.onabort = () => reject(storageError(failure, transaction.error));
    });
  } finally {
    database.close();
  }
}

function storageError(failure: string, error: unknown): Error {
  const cause = error instanceof Error ? `${error.name}: ${error.message}` : 'transaction aborted';
  return new Error(`${failure}: ${cause}`, { cause: error });
}

async function opfsDirectory(): Promise<FileSystemDirectoryHandle> {
  const storage = (globalThis as { navigator?: { storage?: StorageManager } }).navigator?.storage;
  if (typeof storage?.getDirectory !== 'function') {
    throw new Error('browser checkpoint storage { storage: \'opfs\' } needs the Origin Private File System (navigator.storage.getDirectory; not available in this runtime)');
  }
  let directory = await storage.getDirectory();
  for (const part of OPFS_DIRECTORY) directory = await directory.getDirectoryHandle(part, { create: true });
  return directory;
}

/** The file of checkpoint `name`, or undefined when there is none. */
async function opfsFile(directory: FileSystemDirectoryHandle, name: string): Promise<FileSystemFileHandle | undefined> {
  try {
    return await directory.getFileHandle(opfsFileName(name));
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

function isNotFound(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'NotFoundError';
}

// Percent-encoding makes any name a valid, reversible file name: no "/" or "\", never "." or "..".
function opfsFileName(name: string): string {
  return encodeURIComponent(name) + OPFS_SUFFIX;
}

function checkpointNameOf(fileName: string): string | undefined {
  if (!fileName.endsWith(OPFS_SUFFIX)) return undefined;
  try {
    return decodeURIComponent(fileName.slice(0, -OPFS_SUFFIX.length));
  } catch {
    return undefined;
  }
}
