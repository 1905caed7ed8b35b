// tfjs models saved in a browser by tfjs itself ('indexeddb://name', 'localstorage://name'), read
// from tfjs's own layout (tfjs-core io/indexed_db.ts and io/local_storage.ts, 4.x): IndexedDB database
// 'tensorflowjs' (version 1), object store 'models_store' keyed by modelPath, holding
// { modelPath, modelArtifacts }; localStorage keys 'tensorflowjs_models/{name}/{info, model_topology,
// weight_specs, weight_data (base64), model_metadata (trainingConfig among others)}'.

const DATABASE = 'tensorflowjs';
const DATABASE_VERSION = 1;
const MODEL_STORE = 'models_store';
const LOCAL_PREFIX = 'tensorflowjs_models';

/** What importTfjsModel reads from a stored model (tfjs's ModelArtifacts). */
export interface StoredArtifacts {
  modelTopology: unknown;
  weightSpecs: unknown;
  trainingConfig: unknown;
  weightData: unknown;
}

/** The artifacts tfjs saved under `url` ('indexeddb://name' or 'localstorage://name') in this browser. */
export async function loadFromBrowserStorage(url: string): Promise<StoredArtifacts> {
  if (url.startsWith('localstorage://')) return fromLocalStorage(url, url.slice('localstorage://'.length));
  return fromIndexedDb(url, url.slice('indexeddb://'.length));
}

function fromLocalStorage(url: string, name: string): StoredArtifacts {
  const storage = (globalThis as { localStorage?: Storage }).localStorage;
  if (!storage) throw new TypeError(`${url}: localStorage is not available here (a browser page has it; workers and Node do not)`);
  const key = (suffix: string) => [LOCAL_PREFIX, name, suffix].join('/');
  const item = (suffix: string) => {
    const text = storage.getItem(key(suffix));
    if (text === null) throw new RangeError(`${url}: no model saved by tfjs under that name (localStorage has no ${JSON.stringify(key(suffix))})`);
    return text;
  };
  const json = (suffix: string, text: string) => {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new TypeError(`${url}: ${key(suffix)} is not valid JSON: ${(error as Error).message}`);
    }
  };
  item('info');
  const modelTopology = json('model_topology', item('model_topology'));
  const weightSpecs = json('weight_specs', item('weight_specs'));
  const metadataText = storage.getItem(key('model_metadata'));
  const metadata = metadataText === null ? null : (json('model_metadata', metadataText) as { trainingConfig?: unknown } | null);
  let weightData: Uint8Array;
  try {
    weightData = Uint8Array.from(atob(item('weight_data')), (c) => c.charCodeAt(0));
  } catch (error) {
    if (error instanceof RangeError) throw error;
    throw new TypeError(`${url}: ${key('weight_data')} is not valid base64`);
  }
  return { modelTopology, weightSpecs, trainingConfig: metadata?.trainingConfig, weightData };
}

async function fromIndexedDb(url: string, name: string): Promise<StoredArtifacts> {
  const factory = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!factory) throw new TypeError(`${url}: IndexedDB is not available here`);
  const request = <T>(r: IDBRequest<T>) => new Promise<T>((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(new Error(`${url}: IndexedDB request failed: ${r.error?.message ?? 'unknown error'}`));
  });
  const open = factory.open(DATABASE, DATABASE_VERSION);
  // a database that does not exist yet is created empty by open(): make tfjs's stores, as tfjs does
  open.onupgradeneeded = () => {
    open.result.createObjectStore(MODEL_STORE, { keyPath: 'modelPath' });
    open.result.createObjectStore('model_info_store', { keyPath: 'modelPath' });
  };
  const db = await request(open);
  try {
    if (!db.objectStoreNames.contains(MODEL_STORE)) throw new RangeError(`${url}: the ${DATABASE} database has no ${MODEL_STORE} (not tfjs's layout)`);
    const record = await request(db.transaction(MODEL_STORE, 'readonly').objectStore(MODEL_STORE).get(name)) as
      { modelArtifacts?: Record<string, unknown> } | undefined;
    const artifacts = record?.modelArtifacts;
    if (!artifacts) throw new RangeError(`${url}: no model saved by tfjs under that name in IndexedDB`);
    return {
      modelTopology: artifacts.modelTopology, weightSpecs: artifacts.weightSpecs,
      trainingConfig: artifacts.trainingConfig, weightData: artifacts.weightData,
    };
  } finally {
    db.close();
  }
}
