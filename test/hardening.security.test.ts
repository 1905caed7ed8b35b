// Security: no code is ever built from strings; the kernels import nothing but `abort`; hostile
// checkpoints (prototype keys, huge shapes and offsets, a spec that asks for a huge network, code
// in strings) are refused quickly by every entry point without polluting a prototype or running
// anything; and the worker acts only on calls of its API (raw, malformed or prototype-walking
// messages are dropped or answered with an error, and the worker lives on unchanged).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as Comlink from 'comlink';
import { describe, expect, it } from 'vitest';
import { createTrainer, decodeSafetensors, encodeSafetensors, loadModel, type TrainerSpec } from '../src/index.js';
import { spawnWorker } from '../dist/worker/spawn.node.js';
import type { TrainerApi as WorkerApi } from '../src/worker/protocol.js';
import { RAW_FAILURE, withInstanceMemories } from './fixtures/hardening.js';

const root = new URL('..', import.meta.url).pathname;

function filesUnder(dir: string, extensions: RegExp): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path, extensions) : extensions.test(name) ? [path] : [];
  });
}

describe('no code from strings', () => {
  it('src/ and dist/ never call eval, new Function, Function(…) or a string timer', () => {
    const files = [...filesUnder(join(root, 'src'), /\.ts$/), ...filesUnder(join(root, 'dist'), /\.js$/)];
    expect(files.length).toBeGreaterThan(40);
    const offenders = files.flatMap((file) => {
      const text = readFileSync(file, 'utf8').replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, '');
      return /\beval\s*\(|\bnew\s+Function\b|(?<![\w.])Function\s*\(|\bset(?:Timeout|Interval)\s*\(\s*['"`]|\bimportScripts\s*\(/.test(text) ? [file] : [];
    });
    expect(offenders).toEqual([]);
  });

  it('the WASM builds import nothing but env.abort', () => {
    for (const build of ['relaxed', 'simd', 'scalar']) {
      const module = new WebAssembly.Module(readFileSync(join(root, `build/${build}.wasm`)));
      expect(WebAssembly.Module.imports(module)).toEqual([{ module: 'env', name: 'abort', kind: 'function' }]);
    }
  });
});

// ---- hostile checkpoints --------------------------------------------------------------------

const spec: TrainerSpec = {
  inputSize: 3, layers: [{ units: 4, activation: 'relu' }, { type: 'dropout', rate: 0.1 }, { units: 2 }],
  loss: 'softmax_cross_entropy', optimizer: { name: 'nadam', learningRate: 0.01 }, seed: 3, normalize: true,
};
const x = Float32Array.from({ length: 30 }, (_, i) => Math.sin(i));
const y = Int32Array.from({ length: 10 }, (_, i) => i % 2);

function headerOf(bytes: Uint8Array): { json: string; rest: Uint8Array } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { json: new TextDecoder().decode(bytes.subarray(8, 8 + n)), rest: bytes.subarray(8 + n) };
}

/** The same data bytes under another header (text as given, padded to a multiple of 8). */
function withHeaderText(bytes: Uint8Array, text: string): Uint8Array {
  const { rest } = headerOf(bytes);
  const encoded = new TextEncoder().encode(text);
  const header = new Uint8Array(Math.ceil(encoded.length / 8) * 8).fill(0x20);
  header.set(encoded);
  const out = new Uint8Array(8 + header.length + rest.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  out.set(rest, 8 + header.length);
  return out;
}

function hostileCheckpoints(good: Uint8Array): [string, Uint8Array][] {
  const { json } = headerOf(good);
  const header = JSON.parse(json) as Record<string, { dtype: string; shape: number[]; data_offsets: number[] }> & { __metadata__: Record<string, string> };
  const meta = header.__metadata__;
  const edit = (change: (h: typeof header) => void) => {
    const h = structuredClone(header);
    change(h);
    return withHeaderText(good, JSON.stringify(h));
  };
  const renamed = (from: string, to: string) => withHeaderText(good, json.replace(`"${from}"`, `"${to}"`));
  const withSpec = (s: unknown) => edit((h) => { h.__metadata__.spec = typeof s === 'string' ? s : JSON.stringify(s); });
  const files = decodeSafetensors(good);
  const step = (value: bigint) => {
    const tensors = new Map(files.tensors);
    const data = new Uint8Array(8);
    new DataView(data.buffer).setBigInt64(0, value, true);
    tensors.set('optimizer.step', { dtype: 'I64', shape: [], data });
    return encodeSafetensors(tensors, files.metadata);
  };
  return [
    ['a tensor named __proto__', renamed('0.bias', '__proto__')],
    ['a tensor named constructor', renamed('0.bias', 'constructor')],
    ['a tensor named toString', renamed('2.bias', 'toString')],
    ['__metadata__ named __proto__ holding an object', withHeaderText(good, json.replace('"__metadata__"', '"__proto__"'))],
    ['a __metadata__ key __proto__ with an object', withHeaderText(good, json.replace('"__metadata__":{', '"__metadata__":{"__proto__":{"polluted":"yes"},'))],
    ['a __metadata__ key __proto__ with a string', withHeaderText(good, json.replace('"__metadata__":{', '"__metadata__":{"__proto__":"polluted",'))],
    ['a spec with __proto__ and constructor keys', withSpec(`{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}},${meta.spec!.slice(1)}`)],
    ['a spec asking for 67 million parameters', withSpec({ ...spec, inputSize: 8192, layers: [{ units: 8192 }] })],
    ['a spec asking for 10¹² parameters', withSpec({ ...spec, inputSize: 1e6, layers: [{ units: 1e6 }] })],
    ['a spec that is code', withSpec('globalThis.descentPwned = 1')],
    ['a spec of the wrong type', withSpec('"mse"')],
    ['history that is code', edit((h) => { h.__metadata__.history = '(() => { globalThis.descentPwned = 1 })()'; })],
    ['normalisation of the wrong length', edit((h) => { h.__metadata__.normalization = '{"mean":[1],"std":[1]}'; })],
    ['an epoch of 1e400', edit((h) => { h.__metadata__.epoch = '1e400'; })],
    ['another format', edit((h) => { h.__metadata__.format = 'pickle'; })],
    ['offsets past 2^53', edit((h) => { h['2.bias']!.data_offsets = [2 ** 53 - 8, 2 ** 53]; })],
    ['offsets of 1e308', edit((h) => { h['2.bias']!.data_offsets = [1e308, 1e308]; })],
    ['a shape of 2^31 × 2^31 × 2^31', edit((h) => { h['0.weight']!.shape = [2 ** 31, 2 ** 31, 2 ** 31]; })],
    ['a negative shape', edit((h) => { h['0.weight']!.shape = [-4, -3]; })],
    ['an integer weight tensor', edit((h) => { h['2.bias']!.dtype = 'I32'; h['2.bias']!.shape = [2]; })],
    ['a negative step', step(-1n)],
    ['a step of 2^62', step(2n ** 62n)],
    ['a header length of 2^64 − 1', (() => { const b = good.slice(); new DataView(b.buffer).setBigUint64(0, 2n ** 64n - 1n, true); return b; })()],
    ['a header nested 100 000 deep', withHeaderText(good, `{"0.weight":${'['.repeat(100_000)}${']'.repeat(100_000)}}`)],
    ['a header of 100 000 empty tensors', withHeaderText(good, JSON.stringify(Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`t${i}`, { dtype: 'F32', shape: [0], data_offsets: [0, 0] }]))))],
  ];
}

const prototypes = [Object.prototype, Array.prototype, Function.prototype, String.prototype];
const snapshotPrototypes = () => prototypes.map((p) => Object.getOwnPropertyNames(p).sort().join());

function expectCleanRefusal(outcome: unknown, what: string): void {
  expect(outcome instanceof RangeError || outcome instanceof TypeError, `${what}: ${String(outcome)}`).toBe(true);
  expect((outcome as Error).message, what).not.toMatch(RAW_FAILURE);
}

// A hostile file may not make any instance grow past what this small model needs (a few MiB).
const MAX_INSTANCE_BYTES_FOR_A_SMALL_MODEL = 16 * 2 ** 20;

describe('hostile checkpoints', async () => {
  const [t, trainerMemory] = await withInstanceMemories(async (made) => [await createTrainer(spec, { worker: false }), made[0]!] as const);
  await t.fit(x, y, { epochs: 2, batchSize: 4 });
  const good = await t.save();
  const cases = hostileCheckpoints(good);

  it.each(cases)('%s: refused by createTrainer(bytes), load, importWeights and loadModel; nothing runs or changes', async (name, bytes) => {
    const before = snapshotPrototypes();
    const weights = t.getWeights();
    const memoryBefore = trainerMemory.buffer.byteLength;
    const { outcomes, imported, grown } = await withInstanceMemories(async (made) => {
      const outcomes = await Promise.all([
        createTrainer(bytes, { worker: false }).then(async (made) => { await made.dispose(); return 'loaded'; }, (e: unknown) => e),
        t.load(bytes).then(() => 'loaded', (e: unknown) => e),
        loadModel(bytes).then(async (model) => { await model.dispose(); return 'loaded'; }, (e: unknown) => e),
      ]);
      const imported = await t.importWeights(bytes).then(() => 'loaded', (e: unknown) => e);
      return { outcomes, imported, grown: made.map((memory) => memory.buffer.byteLength) };
    });
    // A __proto__ key with a string value in __metadata__ is an ordinary (ignored) key: the file is valid.
    const harmless = name === 'a __metadata__ key __proto__ with a string';
    for (const outcome of outcomes) {
      if (harmless) expect(outcome).toBe('loaded');
      else expectCleanRefusal(outcome, name);
    }
    if (imported !== 'loaded') expectCleanRefusal(imported, name);
    // no huge network built before the shapes are checked (the work, not the time: a wall-clock limit
    // failed on a busy machine), nothing ran, nothing polluted
    for (const bytesOfInstance of grown) expect(bytesOfInstance, name).toBeLessThanOrEqual(MAX_INSTANCE_BYTES_FOR_A_SMALL_MODEL);
    expect(trainerMemory.buffer.byteLength, name).toBeLessThanOrEqual(Math.max(memoryBefore, MAX_INSTANCE_BYTES_FOR_A_SMALL_MODEL));
    expect((globalThis as { descentPwned?: unknown }).descentPwned).toBeUndefined();
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    expect(snapshotPrototypes()).toEqual(before);
    if (!harmless && imported !== 'loaded') expect(t.getWeights()).toEqual(weights);
    await t.load(good);
  });

  it('a spec asking for a huge network is refused before any WASM memory grows', async () => {
    const [, bytes] = cases.find(([name]) => name === 'a spec asking for 67 million parameters')!;
    const made = await withInstanceMemories(async (memories) => {
      await expect(createTrainer(bytes, { worker: false })).rejects.toThrow(/tensor "0.weight" must have shape \[8192, 8192\], got \[4, 3\]/);
      return memories;
    });
    expect(made).toEqual([]); // refused before an instance was even made
  });

  it('a worker trainer refuses every hostile file with the error class and stays usable', async () => {
    const w = await createTrainer(spec);
    try {
      await w.load(good);
      const weights = await w.getWeights();
      for (const [name, bytes] of cases) {
        const outcome = await w.load(bytes).then(() => 'loaded', (e: unknown) => e);
        if (name !== 'a __metadata__ key __proto__ with a string') expectCleanRefusal(outcome, name);
      }
      await w.load(good);
      expect(await w.getWeights()).toEqual(weights);
      expect((await w.fit(x, y, { epochs: 1 })).stopReason).toBe('completed');
    } finally {
      await w.dispose();
    }
  });
});

// ---- the worker's message port -------------------------------------------------------------

const RAW_MESSAGES: [string, unknown][] = [
  ['a string', 'hello'], ['a number', 42], ['null', null], ['an array', [1, 2, 3]], ['an empty object', {}],
  ['a Comlink call with a non-array argument list', { type: 'APPLY', path: ['stop'], argumentList: 5 }],
  ['an argument of an unknown handler', { type: 'APPLY', path: ['stop'], argumentList: [{ type: 'HANDLER', name: 'nope', value: 1 }] }],
  ['a proxy argument that is not a port', { type: 'APPLY', path: ['stop'], argumentList: [{ type: 'HANDLER', name: 'proxy', value: 1 }] }],
  ['a path that is a string', { id: 'a', type: 'APPLY', path: 'stop', argumentList: [] }],
  ['SET replacing a method', { id: 'b', type: 'SET', path: ['predict'], value: { type: 'RAW', value: 5 } }],
  ['SET on Object.prototype', { id: 'c', type: 'SET', path: ['__proto__', 'polluted'], value: { type: 'RAW', value: 1 } }],
  ['GET of the Function constructor', { id: 'd', type: 'GET', path: ['constructor', 'constructor'] }],
  ['APPLY of the AsyncFunction constructor with code', { id: 'e', type: 'APPLY', path: ['init', 'constructor'], argumentList: [{ type: 'RAW', value: 'process.exit(9)' }] }],
  ['APPLY of Function.prototype.call', { id: 'f', type: 'APPLY', path: ['stop', 'call'], argumentList: [] }],
  ['CONSTRUCT', { id: 'g', type: 'CONSTRUCT', path: ['summary'], argumentList: [] }],
  ['ENDPOINT (a second, unfiltered port)', { id: 'h', type: 'ENDPOINT' }],
  ['RELEASE (would silence the worker)', { id: 'i', type: 'RELEASE' }],
  ['APPLY of a name not in the API', { id: 'j', type: 'APPLY', path: ['hasOwnProperty'], argumentList: [{ type: 'RAW', value: 'fit' }] }],
];

describe('the worker accepts only calls of its API', () => {
  it('raw, malformed and prototype-walking messages are dropped or answered with an error; the worker lives on unchanged', async () => {
    const worker = spawnWorker();
    let death: Error | null = null;
    worker.onDeath((error: Error) => { death = error; });
    const replies = new Map<string, unknown>();
    worker.endpoint.addEventListener('message', ((event: MessageEvent) => {
      const data = event.data as { id?: string };
      if (data?.id && /^[a-j]$/.test(data.id)) replies.set(data.id, data);
    }) as EventListener);
    const remote = Comlink.wrap<WorkerApi>(worker.endpoint);
    try {
      await remote.init(spec, {});
      await remote.fit({ x, y, options: { epochs: 1 } });
      const weights = await remote.getWeights();
      for (const [, message] of RAW_MESSAGES) worker.endpoint.postMessage(message);
      // a real call after them all is answered in order, so every raw message has been handled
      const answer = await Promise.race([remote.summary(), new Promise((resolve) => setTimeout(resolve, 5000, 'no answer in 5 s'))]);
      expect(answer).toMatch(/total parameters: 26/);
      expect(death).toBeNull();
      // requests with an id are answered with an error, never with a value
      for (const [name, message] of RAW_MESSAGES) {
        const id = (message as { id?: string } | null)?.id;
        if (!id) continue;
        const reply = replies.get(id) as { type: string; name: string; value: { isError: boolean; value: { message: string } } } | undefined;
        expect(reply, name).toBeDefined();
        expect([reply!.type, reply!.name, reply!.value.isError], name).toEqual(['HANDLER', 'throw', true]);
        expect(reply!.value.value.message).toMatch(/accepts only calls of its API methods/);
      }
      // nothing was replaced, released or run: the API works as before
      expect(await remote.getWeights()).toEqual(weights);
      expect((await remote.predict({ x, options: {} })).result.length).toBe(20);
      expect((await remote.fit({ x, y, options: { epochs: 1 } })).result.stopReason).toBe('completed');
      // a call in another shape is answered with an error, and the worker lives on
      await expect(remote.fit(x as never)).rejects.toThrow(/takes one request object/);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(death).toBeNull();
    } finally {
      await worker.terminate();
    }
  });
});
