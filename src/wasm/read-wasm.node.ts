// Node (and Deno through its node compatibility): read a .wasm file that ships beside dist/.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** The bytes of the WebAssembly file at `url` (a file: URL in Node). */
export async function readWasm(url: URL): Promise<Uint8Array<ArrayBuffer>> {
  if (url.protocol !== 'file:') return fetchWasm(url);
  return new Uint8Array(await readFile(fileURLToPath(url)));
}

/**
 * In Deno without read access to the package's folder, an Error naming `--allow-read`; a no-op
 * elsewhere. Deno runs this Node code but asks for permissions: unchecked, a worker would die reading
 * its entry file or its .wasm file, so callers check in their own thread first.
 */
export function checkWasmReadable(call: string): void {
  const permissions = (globalThis as { Deno?: { permissions?: DenoPermissions } }).Deno?.permissions;
  if (permissions?.querySync === undefined) return;
  const root = new URL('../../', import.meta.url);
  if (root.protocol !== 'file:' || permissions.querySync({ name: 'read', path: root }).state === 'granted') return;
  const path = fileURLToPath(root);
  throw new Error(`${call}: Deno needs read access to descent-wasm's worker and .wasm files in ${path}: run deno with --allow-read (or --allow-read=${path})`);
}

interface DenoPermissions {
  querySync?(descriptor: { name: 'read'; path: URL }): { state: 'granted' | 'prompt' | 'denied' };
}

async function fetchWasm(url: URL): Promise<Uint8Array<ArrayBuffer>> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`could not load ${url.href}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}
