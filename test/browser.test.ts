// The loader in a real browser: Debian's Chromium loads demo/ (no bundler; an import map resolves
// the package's "#read-wasm" import to its fetch-based variant) and runs both builds.
import type { Server } from 'node:http';
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: plain JavaScript helper without type declarations
import { serve } from '../scripts/serve.mjs';

const CHROMIUM = '/usr/bin/chromium';
// CI installs Chromium (.ci/run) and must run this file; a developer machine without it skips it, loudly.
const available = existsSync(CHROMIUM) || Boolean(process.env.CI);
if (!available) console.warn(`browser tests skipped: ${CHROMIUM} not found (apt-get install -y chromium)`);

describe.runIf(available)('browser (Chromium)', () => {
  let server: Server;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    server = await serve(0);
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('loads both builds and computes the worked examples; the loss explorer renders every loss', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
    await page.goto(`${base}/demo/`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
    const results = JSON.parse((await page.getAttribute('#examples', 'data-results'))!);
    expect(Object.keys(results).sort()).toEqual(['scalar', 'simd']);
    for (const build of ['simd', 'scalar']) {
      expect(results[build].mse).toBeCloseTo(0.068, 6);
      expect(results[build].crossEntropy).toBeCloseTo(-(2 * Math.log(0.8) + 2 * Math.log(0.5)) / 3, 6);
    }
    expect(await page.textContent('#build')).toBe('SIMD build');
    const names = await page.$$eval('#loss option', (options) => options.map((o) => (o as HTMLOptionElement).value));
    expect(names).toHaveLength(15);
    for (const simd of ['true', 'false']) {
      await page.selectOption('#simd', simd);
      for (const name of names) await page.selectOption('#loss', name);
    }
    expect(await page.textContent('#build')).toBe('scalar build');
    expect(errors).toEqual([]);
    await page.close();
  });
});
