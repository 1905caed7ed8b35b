// The demo as a user gets it: the package is packed (`npm pack`) and installed into demo/node_modules,
// the demo is built for production by Vite against that package, served by `vite preview` (COOP/COEP),
// and opened in Debian's Chromium. Pages record their errors; screenshots go to test/artifacts/screenshots.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { rendererMainTasks, type TaskTime, TRACE_CATEGORIES } from '../reference/main-thread-trace.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const demo = join(root, 'demo');
const installed = join(demo, 'node_modules', 'descent-wasm');
const config = join(demo, 'vite.config.mjs');
export const artifacts = join(root, 'test', 'artifacts');
export const screenshots = join(artifacts, 'screenshots');
export const PAGES = ['index.html', 'explorer.html', 'bench.html'] as const;

export interface DemoApp {
  base: string;
  browser: Browser;
  /** Errors logged by any page opened with open(). */
  errors: string[];
  open(path: string, options?: { width?: number; height?: number }): Promise<Page>;
  close(): Promise<void>;
}

/** Packs, installs, builds and serves the demo; launches Chromium. */
export async function startDemo(): Promise<DemoApp> {
  const packDir = mkdtempSync(join(tmpdir(), 'descent-pack-'));
  // The npm running this (node_modules/.bin/npm is an old npm 6 that as-pect's dependencies bring).
  const npm = process.env.npm_execpath ?? join(dirname(process.execPath), 'npm');
  execFileSync(process.execPath, [npm, 'pack', '--silent', '--ignore-scripts', '--pack-destination', packDir], { cwd: root, stdio: 'pipe' });
  const tarball = join(packDir, readdirSync(packDir).find((f) => f.endsWith('.tgz'))!);
  rmSync(installed, { recursive: true, force: true });
  mkdirSync(installed, { recursive: true });
  // its one dependency, comlink, resolves from the repository's node_modules as it would from an app's
  execFileSync('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1']);
  rmSync(packDir, { recursive: true, force: true });
  await build({ configFile: config, logLevel: 'warn' });
  const server: PreviewServer = await preview({ configFile: config, preview: { port: 0, host: '127.0.0.1' }, logLevel: 'warn' });
  const base = server.resolvedUrls!.local[0]!;
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  mkdirSync(screenshots, { recursive: true });
  const errors: string[] = [];
  return {
    base,
    browser,
    errors,
    async open(path, { width = 1280, height = 900 } = {}) {
      const page = await browser.newPage({ viewport: { width, height } });
      page.on('pageerror', (error) => errors.push(`${path}: ${error.message}`));
      page.on('console', (message) => { if (message.type() === 'error') errors.push(`${path}: ${message.text()}`); });
      await page.goto(new URL(path, base).href);
      await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
      return page;
    },
    async close() {
      await browser.close();
      await new Promise<void>((resolve) => server.httpServer.close(() => resolve()));
      rmSync(join(demo, 'node_modules'), { recursive: true, force: true });
    },
  };
}

/** The training page's epoch losses so far (the page keeps them on <body>). */
export const epochLosses = async (page: Page): Promise<number[]> => JSON.parse((await page.getAttribute('body', 'data-epoch-losses')) ?? '[]');

/** Waits until the current run has ended and returns its stop reason. */
export async function runEnd(page: Page, timeout = 90_000): Promise<string> {
  await page.waitForSelector('body[data-stop-reason]', { timeout });
  return (await page.getAttribute('body', 'data-stop-reason'))!;
}

/** How far the page is wider than its viewport (0: no horizontal scrolling). */
export const overflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

/** Runs `action` under Chromium's tracer and returns the page's main-thread tasks in that span (wall and CPU ms). */
export async function mainThreadTasks(browser: Browser, page: Page, action: () => Promise<void>): Promise<TaskTime[]> {
  await browser.startTracing(page, { categories: TRACE_CATEGORIES });
  await action();
  return rendererMainTasks((await browser.stopTracing()).toString());
}
