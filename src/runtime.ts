// Which JavaScript runtime this is, for `info` (runtime-specific code is chosen by package
// conditions, never by this: Deno and Bun set process.versions too).

/** 'deno', 'node' (Node and Bun) or 'browser'. */
export function runtimeName(): 'deno' | 'node' | 'browser' {
  if (typeof (globalThis as { Deno?: unknown }).Deno !== 'undefined') return 'deno';
  return typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string' ? 'node' : 'browser';
}
