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
const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/**
 * The isolation headers on every answer, set before any file middleware runs: Vite's `headers` options
 * are applied only to 200s, and WebKit refuses a module worker revalidated through a 304 without them
 * (a reload or second visit then hangs or crashes the workers).
 */
function isolationOnEveryAnswer() {
  // returns nothing: a returned function would run after Vite's own middlewares instead
  const use = (server) => {
    server.middlewares.use((request, response, next) => {
      for (const [name, value] of Object.entries(ISOLATION_HEADERS)) response.setHeader(name, value);
      next();
    });
  };
  return { name: 'descent-isolation-headers', configureServer: use, configurePreviewServer: use };
}

export default defineConfig({
  root: here('.'),
  base: './',
  plugins: [mnistAsset(), isolationOnEveryAnswer()],
  // the subpath first: an alias also matches what starts with its key and a slash
  resolve: packed ? {} : { alias: { 'descent-wasm/bench': here('../dist/bench/index.js'), 'descent-wasm': here('../dist/index.js') } },
  // Pre-bundling would break descent's `new URL(..., import.meta.url)` for its worker and .wasm files.
  optimizeDeps: { exclude: ['descent-wasm'] },
  worker: { format: 'es' },
  server: { fs: { allow: [here('..')] } },
  build: {
    outDir: here('./dist'),
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: {
      input: { train: here('./index.html'), write: here('./write.html'), explorer: here('./explorer.html'), bench: here('./bench.html') },
    },
  },
});
