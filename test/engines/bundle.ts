// Builds the engine suite's page once, with Vite, from the built package (dist/) as an app would
// bundle it: the page, its module Workers and the .wasm files, plus a crashing worker entry; and the
// demo app (its own Vite config, which takes dist/ when no packed package is installed in demo/).
import { fileURLToPath } from 'node:url';
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
