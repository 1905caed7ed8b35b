// Builds the engine suite's page once, with Vite, from the built package (dist/) as an app would
// bundle it: the page, its module Workers and the .wasm files, plus a crashing worker entry; and the
// demo app (its own Vite config, which takes dist/ when no packed package is installed in demo/).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { build, preview } from 'vite';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Bundles test/engines/page into `outDir` (emptied first). */
export async function bundlePage(outDir: string): Promise<void> {
  await build({
    configFile: false,
    logLevel: 'warn',
    root: `${root}test/engines/page`,
    base: './',
    resolve: { alias: { 'descent-wasm': `${root}dist/index.js` } },
    worker: { format: 'es' },
    build: {
      outDir,
      emptyOutDir: true,
      minify: false,
      target: 'es2022',
      rollupOptions: {
        input: { index: `${root}test/engines/page/index.html`, 'crash-worker': `${root}test/engines/page/crash-worker.ts` },
        // the page finds the crashing worker by its plain name
        output: { entryFileNames: (chunk) => (chunk.name === 'crash-worker' ? '[name].js' : 'assets/[name]-[hash].js') },
      },
    },
  });
}

/** Builds the demo app into `outDir` (emptied first). */
export async function bundleDemo(outDir: string): Promise<void> {
  await build({ configFile: `${root}demo/vite.config.mjs`, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
}

/** Serves a demo build in `outDir` with `vite preview` and the demo's config, as `npm run preview:demo` does (304s included). */
export async function previewDemo(outDir: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = await preview({
    configFile: `${root}demo/vite.config.mjs`, logLevel: 'warn', build: { outDir }, preview: { port: 0, host: '127.0.0.1' },
  });
  return {
    url: server.resolvedUrls!.local[0]!,
    close: () => server.close(),
  };
}

/**
 * For a test file: before its tests, the demo built into a temporary folder (named from `prefix`) and
 * served as `npm run preview:demo` serves it; after them, the server closed and the folder removed.
 * The fields are filled once the file's beforeAll has run.
 */
export function previewedDemo(prefix: string): { readonly directory: string; readonly url: string } {
  const state = { directory: '', url: '', close: async () => {} };
  beforeAll(async () => {
    state.directory = mkdtempSync(join(tmpdir(), prefix));
    await bundleDemo(state.directory);
    const server = await previewDemo(state.directory);
    state.url = server.url;
    state.close = server.close;
  }, 240_000);
  afterAll(async () => {
    await state.close();
    if (state.directory) rmSync(state.directory, { recursive: true, force: true });
  });
  return state;
}
