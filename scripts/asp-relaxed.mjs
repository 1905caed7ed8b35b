// Runs as-pect (node_modules/@as-pect/cli/lib/test.js, as its `asp` launcher does) with WebAssembly
// relaxed SIMD on: Node 20 needs --experimental-wasm-relaxed-simd, which Node ≥ 22 no longer accepts
// (it is on by default there). Arguments are passed to as-pect.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const test = fileURLToPath(new URL('../node_modules/@as-pect/cli/lib/test.js', import.meta.url));
const major = Number(process.versions.node.split('.')[0]);
const flags = ['--enable-source-maps', '--experimental-wasi-unstable-preview1', ...(major < 22 ? ['--experimental-wasm-relaxed-simd'] : [])];
const run = spawnSync(process.execPath, [...flags, test, ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, FORCE_COLOR: '2' } });
process.exit(run.status ?? 1);
