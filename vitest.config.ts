import { fileURLToPath } from 'node:url';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
import { rendererMainTasks, TRACE_CATEGORIES } from './test/reference/main-thread-trace.js';

// Four projects, run one group after another (sequence.groupOrder) so that the timing-sensitive
// ones never share the machine's two cores with the rest of the suite:
//   unit    — everything in Node, files in parallel
//   timing  — event-loop delay and "rejects within 1 s" checks, one file at a time
//   e2e     — the demo app built from `npm pack`'s output, driven in Chromium
//   browser — vitest browser mode in Debian's Chromium: the package as a Vite app bundles it,
//             module Workers, long-task observation
const CHROMIUM = '/usr/bin/chromium';
// Node 20 runs the relaxed-SIMD build only with this V8 flag (Node ≥ 22 has it on and rejects the
// flag); with it every build is tested (test/builds.test.ts fails if relaxed SIMD is off).
const RELAXED_SIMD = Number(process.versions.node.split('.')[0]) < 22 ? ['--experimental-wasm-relaxed-simd'] : [];
const dist = (file: string) => fileURLToPath(new URL(`./dist/${file}`, import.meta.url));

export default defineConfig({
  test: {
    testTimeout: 60_000,
    projects: [
      {
        test: {
          name: 'unit',
          execArgv: RELAXED_SIMD,
          // as-pect's *.spec.ts files under assembly/ are not vitest files.
          // test/engines has its own config (vitest.engines.config.ts, npm run test:engines).
          include: ['test/**/*.test.ts'],
          exclude: ['test/timing/**', 'test/browser/**', 'test/e2e/**', '**/node_modules/**', 'test/engines/**'],
          testTimeout: 60_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'timing',
          execArgv: RELAXED_SIMD,
          include: ['test/timing/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          sequence: { groupOrder: 1 },
        },
      },
      {
        // The demo app, built from the packed package, driven in Chromium through playwright-core.
        test: {
          name: 'e2e',
          execArgv: RELAXED_SIMD,
          include: ['test/e2e/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 240_000,
          sequence: { groupOrder: 3 },
        },
      },
      {
        // Tests import the built package by name, as an app does; Vite resolves its "#…" imports
        // through package.json's browser/default conditions and bundles the worker entry.
        // the subpath first: an alias also matches what starts with its key and a slash
        resolve: { alias: { 'descent-wasm/bench': dist('bench/index.js'), 'descent-wasm': dist('index.js') } },
        optimizeDeps: { exclude: ['descent-wasm'], include: ['comlink'] },
        worker: { format: 'es' },
        server: {
          headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
        },
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          sequence: { groupOrder: 2 },
          browser: {
            enabled: true,
            headless: true,
            provider: playwright({
              launchOptions: {
                executablePath: CHROMIUM,
                args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
                  '--disable-component-update', '--disable-sync', '--no-first-run'],
              },
            }),
            instances: [{ browser: 'chromium' }],
            // Chromium's tracer around a test's action: its main-thread tasks' CPU time (test/reference/main-thread-trace.ts)
            commands: {
              startMainThreadTrace: async (ctx) => { await ctx.page.context().browser()!.startTracing(ctx.page, { categories: TRACE_CATEGORIES }); },
              stopMainThreadTrace: async (ctx) => rendererMainTasks((await ctx.page.context().browser()!.stopTracing()).toString()),
            },
          },
        },
      },
    ],
  },
});
