// The demo as a user gets it: the package is packed (`npm pack`) and installed into demo/node_modules,
// the demo is built for production by Vite against that package, served by `vite preview` (COOP/COEP),
// and driven in Debian's Chromium: train digits, Stop, Resume, the loss explorer's alpha slider, the
// benchmark page. The main thread's animation must keep running throughout; no console errors.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const demo = join(root, 'demo');
const installed = join(demo, 'node_modules', 'descent-wasm');
const artifacts = join(root, 'test', 'artifacts');
const config = join(demo, 'vite.config.mjs');

describe('demo app (production build of the packed package, in Chromium)', () => {
  let server: PreviewServer;
  let browser: Browser;
  let base: string;
  const errors: string[] = [];

  beforeAll(async () => {
    // npm pack → install the tarball's contents as demo/node_modules/descent-wasm (its one dependency,
    // comlink, resolves from the repository's node_modules as it would from an app's).
    const packDir = mkdtempSync(join(tmpdir(), 'descent-pack-'));
    // The npm running this (node_modules/.bin/npm is an old npm 6 that as-pect's dependencies bring).
    const npm = process.env.npm_execpath ?? join(dirname(process.execPath), 'npm');
    execFileSync(process.execPath, [npm, 'pack', '--silent', '--ignore-scripts', '--pack-destination', packDir], { cwd: root, stdio: 'pipe' });
    const tarball = join(packDir, readdirSync(packDir).find((f) => f.endsWith('.tgz'))!);
    rmSync(installed, { recursive: true, force: true });
    mkdirSync(installed, { recursive: true });
    execFileSync('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1']);
    rmSync(packDir, { recursive: true, force: true });
    await build({ configFile: config, logLevel: 'warn' });
    server = await preview({ configFile: config, preview: { port: 0, host: '127.0.0.1' }, logLevel: 'warn' });
    base = server.resolvedUrls!.local[0]!;
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    mkdirSync(artifacts, { recursive: true });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.httpServer.close(() => resolve()) : resolve()));
    rmSync(join(demo, 'node_modules'), { recursive: true, force: true });
  });

  async function open(path: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (error) => errors.push(`${path}: ${error.message}`));
    page.on('console', (message) => { if (message.type() === 'error') errors.push(`${path}: ${message.text()}`); });
    await page.goto(new URL(path, base).href);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    return page;
  }

  const frames = async (page: Page) => Number(await page.getAttribute('#meter', 'data-frames'));
  const epochLosses = async (page: Page): Promise<number[]> => JSON.parse((await page.getAttribute('body', 'data-epoch-losses')) ?? '[]');

  it('trains the digits in a worker: loss falls, the chart fills, the page keeps animating; Stop and Resume work', async () => {
    const page = await open('index.html');
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    await page.fill('#epochs', '6');
    const framesBefore = await frames(page);
    await page.click('#start');
    await page.waitForSelector('body[data-stop-reason="completed"]', { timeout: 60_000 });
    const losses = await epochLosses(page);
    expect(losses).toHaveLength(6);
    expect(losses[5]!).toBeLessThan(losses[0]! * 0.6);
    expect(Number(await page.getAttribute('#chart', 'data-points'))).toBeGreaterThan(6);
    expect(await frames(page)).toBeGreaterThan(framesBefore + 5); // the main thread kept painting
    expect(await page.textContent('#status')).toMatch(/done in .* val accuracy \d+\.\d %/);
    expect(await page.locator('#grid figure').count()).toBe(30);
    expect(await page.locator('#confusion td.diag').count()).toBe(10);
    await page.screenshot({ path: join(artifacts, 'demo-train.png'), fullPage: true });

    // Save weights downloads a .safetensors file; loading it back restores the same accuracy.
    const download = page.waitForEvent('download');
    await page.click('#save');
    const file = join(artifacts, 'demo-digits.safetensors');
    await (await download).saveAs(file);
    await page.setInputFiles('#load', file);
    await page.waitForSelector('body[data-loaded="demo-digits.safetensors"]', { timeout: 30_000 });
    expect(await page.textContent('#status')).toMatch(/loaded demo-digits\.safetensors \(digits\): held-out loss [\d.]+, accuracy \d+\.\d %/);

    // The latest model was kept in IndexedDB after every epoch: it survives a reload.
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    await page.waitForSelector('#restore:not([disabled])', { timeout: 10_000 });
    await page.click('#restore');
    await page.waitForSelector('body[data-loaded="the model kept in this browser"]', { timeout: 30_000 });
    const restored = Number((await page.textContent('#status'))!.match(/accuracy ([\d.]+) %/)![1]);
    expect(restored).toBeGreaterThan(80);

    // Stop after an epoch or two of a long run, then Resume: epochs continue from where they stopped.
    await page.fill('#epochs', '200');
    await page.click('#start');
    await page.waitForFunction(() => JSON.parse(document.body.dataset.epochLosses ?? '[]').length >= 2, undefined, { timeout: 60_000 });
    await page.click('#stop');
    await page.waitForSelector('body[data-stop-reason="stopped"]', { timeout: 30_000 });
    const stoppedAt = (await epochLosses(page)).length;
    expect(stoppedAt).toBeLessThan(200);
    expect(await page.isEnabled('#resume')).toBe(true);
    await page.evaluate(() => { delete document.body.dataset.stopReason; });
    await page.click('#resume');
    await page.waitForFunction((n) => JSON.parse(document.body.dataset.epochLosses ?? '[]').length >= n + 1, stoppedAt, { timeout: 60_000 });
    await page.click('#stop');
    await page.waitForSelector('body[data-stop-reason="stopped"]', { timeout: 30_000 });
    expect((await epochLosses(page)).length).toBeGreaterThan(stoppedAt);
    await page.close();
  });

  it('trains data-parallel with two workers (nested Workers sharing memory on the isolated page)', async () => {
    const page = await open('index.html');
    await page.fill('#epochs', '3');
    await page.selectOption('#workers', '2');
    await page.click('#start');
    await page.waitForSelector('body[data-stop-reason="completed"]', { timeout: 60_000 });
    expect(await page.textContent('#build')).toMatch(/, 2 workers$/);
    const losses = await epochLosses(page);
    expect(losses).toHaveLength(3);
    expect(losses[2]!).toBeLessThan(losses[0]!);
    await page.close();
  });

  it('the loss explorer draws every loss, and the Barron alpha slider bends the curve', async () => {
    const page = await open('explorer.html');
    const pixels = () => page.evaluate(() => (document.getElementById('plot') as HTMLCanvasElement).toDataURL());
    await page.selectOption('#loss', 'barron');
    const quadratic = await pixels();
    await page.fill('#alpha', '0'); // Cauchy
    await page.dispatchEvent('#alpha', 'input');
    const cauchy = await pixels();
    expect(cauchy).not.toBe(quadratic);
    const results = JSON.parse((await page.getAttribute('#examples', 'data-results'))!);
    for (const build of ['simd', 'scalar']) expect(results[build].mse).toBeCloseTo(0.068, 6);
    await page.screenshot({ path: join(artifacts, 'demo-explorer.png'), fullPage: true });
    await page.close();
  });

  it('the benchmark page runs the suite in a worker and fills the table', async () => {
    const page = await open('bench.html');
    await page.click('#run');
    await page.waitForSelector('body[data-bench-done]', { timeout: 120_000 });
    expect(await page.getAttribute('body', 'data-bench-done')).toBe('true');
    expect(await page.locator('#results tbody tr').count()).toBeGreaterThan(10);
    await page.close();
  });

  it('no page logged an error', () => {
    expect(errors).toEqual([]);
  });
});
