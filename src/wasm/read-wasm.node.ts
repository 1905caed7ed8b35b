// Node (and Deno through its node compatibility): read a .wasm file that ships beside dist/.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** The bytes of the WebAssembly file at `url` (a file: URL in Node). */
export async function readWasm(url: URL): Promise<Uint8Array<ArrayBuffer>> {
  if (url.protocol !== 'file:') return fetchWasm(url);
  return new Uint8Array(await readFile(fileURLToPath(url)));
}

async function fetchWasm(url: URL): Promise<Uint8Array<ArrayBuffer>> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`could not load ${url.href}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}
