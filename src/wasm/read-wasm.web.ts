// Browsers and Deno: fetch the .wasm file (bundlers rewrite the URL made in load.ts; Deno fetches file: URLs).

/** The bytes of the WebAssembly file at `url`. */
export async function readWasm(url: URL): Promise<Uint8Array<ArrayBuffer>> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`could not load ${url.href}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** Browsers fetch the .wasm files: no permission to check (Deno uses read-wasm.node.ts). */
export function checkWasmReadable(_call: string): void {}
