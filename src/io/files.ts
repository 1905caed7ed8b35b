// Node (and Deno) helpers to keep checkpoints in files: `import { writeCheckpoint, readCheckpoint } from 'descent-wasm/node'`.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { decodeSafetensors } from './safetensors.js';

/** Writes checkpoint bytes to `path` atomically (a temporary file renamed over it), so a crash never leaves half a file. */
export async function writeCheckpoint(path: string, bytes: Uint8Array): Promise<void> {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError(`path must be a non-empty string, got ${String(path)}`);
  decodeSafetensors(bytes); // refuse to write something that would not load
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, bytes);
  await rename(temporary, path);
}

/** Reads checkpoint bytes from `path`, checking the safetensors structure before returning them. */
export async function readCheckpoint(path: string): Promise<Uint8Array> {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError(`path must be a non-empty string, got ${String(path)}`);
  const bytes = new Uint8Array(await readFile(path));
  decodeSafetensors(bytes);
  return bytes;
}
