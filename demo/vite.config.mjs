// The demo as a Vite app (npm start serves it, npm run build:demo makes a static build in demo/dist).
// `descent-wasm` resolves like any dependency: the packed package when it is installed in demo/node_modules
// (the browser test does that with `npm pack`), else this repository's built dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { mnistAsset } from './mnist-asset.mjs';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const packed = existsSync(here('./node_modules/descent-wasm/package.json'));
// Cross-origin isolation: SharedArrayBuffer and precise timers, in dev and in preview.
const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  root: here('.'),
  base: './',
  plugins: [mnistAsset()],
  // the subpath first: an alias also matches what starts with its key and a slash
  resolve: packed ? {} : { alias: { 'descent-wasm/bench': here('../dist/bench/index.js'), 'descent-wasm': here('../dist/index.js') } },
  // Pre-bundling would break descent's `new URL(..., import.meta.url)` for its worker and .wasm files.
  optimizeDeps: { exclude: ['descent-wasm'] },
  worker: { format: 'es' },
  server: { headers: isolation, fs: { allow: [here('..')] } },
  preview: { headers: isolation },
  build: {
    outDir: here('./dist'),
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: {
      input: { train: here('./index.html'), explorer: here('./explorer.html'), bench: here('./bench.html') },
    },
  },
});
