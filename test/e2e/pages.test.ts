// Every page of the demo at desktop and phone width: nothing wider than the screen, screenshots to look
// at; the loss explorer and the benchmark page work.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoApp, overflow, PAGES, screenshots, startDemo } from './demo-app.js';

let app: DemoApp;
beforeAll(async () => { app = await startDemo(); }, 240_000);
afterAll(async () => { await app?.close(); });

describe('the demo pages (production build of the packed package, in Chromium)', () => {
  it.each(PAGES)('%s fits a 390 px phone screen and a 1280 px one', async (path) => {
    for (const width of [390, 1280]) {
      const page = await app.open(path, { width, height: 844 });
      if (path === 'index.html') {
        await page.selectOption('#dataset', 'mnist');
        await page.click('#advanced-box summary');
      }
      expect(await overflow(page)).toBe(0);
      await page.screenshot({ path: join(screenshots, `${path.replace('.html', '')}-${width}.png`), fullPage: true });
      await page.close();
    }
  });

  it('the loss explorer draws every loss, and the Barron alpha slider bends the curve', async () => {
    const page = await app.open('explorer.html');
    const pixels = () => page.evaluate(() => [...document.querySelectorAll('#plot canvas')].map((c) => (c as HTMLCanvasElement).toDataURL()).join());
    const draws = async () => Number(await page.getAttribute('#plot', 'data-draws'));
    const redrawn = (after: number) => page.waitForFunction((n) => Number(document.getElementById('plot')!.dataset.draws) > n, after);
    let before = await draws();
    await page.selectOption('#loss', 'barron');
    await redrawn(before);
    const quadratic = await pixels();
    before = await draws();
    await page.fill('#alpha', '0'); // Cauchy
    await page.dispatchEvent('#alpha', 'input');
    await redrawn(before);
    expect(await pixels()).not.toBe(quadratic);
    await page.selectOption('#loss', 'mse');
    expect(await page.isDisabled('#alpha')).toBe(true); // mse ignores it
    // with nothing hovered the legend reads the curve at d = 1: mse's d² = 1 and its gradient 2d = 2
    expect(await page.textContent('#plot .u-legend')).toMatch(/x\W*1\.00\W*loss\W*1\.00\W*gradient\W*2\.00/);
    const results = JSON.parse((await page.getAttribute('#examples', 'data-results'))!);
    const builds = await page.$$eval('#build-choice option', (options) => options.map((o) => (o as HTMLOptionElement).value));
    expect(builds).toEqual(['relaxed', 'simd', 'scalar']); // Chromium runs all three
    for (const build of builds) expect(results[build].mse).toBeCloseTo(0.068, 6);
    await page.selectOption('#build-choice', 'scalar');
    expect(await page.textContent('#build')).toBe('scalar build');
    await page.close();
  });

  it('the benchmark page runs the suite in a worker, fills the table and the chart, states a headline', async () => {
    const page = await app.open('bench.html', { width: 1280, height: 844 });
    expect(await page.isVisible('#table-panel')).toBe(false); // no empty table before a run
    expect(await page.$$eval('#build-choice option', (options) => options.map((o) => o.textContent))).toEqual(['relaxed SIMD', 'SIMD', 'scalar']);
    await page.click('#run');
    await page.waitForSelector('body[data-bench-done]', { timeout: 120_000 });
    expect(await page.getAttribute('body', 'data-bench-done')).toBe('true');
    expect(await page.locator('#results tbody tr').count()).toBeGreaterThan(10);
    expect(await page.textContent('#headline')).toMatch(/× faster than plain JavaScript/);
    expect(await page.textContent('#status')).toMatch(/^relaxed SIMD build: done in [\d.]+ s \(Chrom\w+\/[\d.]+; the browser reports \d+ threads, [\d.]+ ran at once just now\)$/);
    expect(await page.textContent('#bars-scale')).toMatch(/log scale/);
    // TensorFlow.js beside descent: both networks, each backend either timed or saying it cannot train the network
    const peers = await page.$$eval('#peers tbody tr', (rows) => rows.map((row) => [...row.cells].map((cell) => cell.textContent)));
    console.log(`descent beside TensorFlow.js: ${JSON.stringify(peers)}; ${await page.textContent('#peers-headline')}; ${await page.textContent('#status')}`);
    expect(peers.map((row) => row[0])).toEqual(['MLP 784-128-10 epoch (512 rows, batch 128)', 'MNIST CNN training (batch 64)']);
    for (const row of peers) for (const cell of row.slice(1)) expect(cell).toMatch(/^[\d.]+\/s|^cannot train it$/);
    expect(peers[0]![2]).toMatch(/^[\d.]+\/s/); // tfjs-wasm trains the MLP
    expect(await page.textContent('#peers-headline')).toMatch(/^Beside TensorFlow\.js, descent trains the MLP [\d.]+× as fast as TensorFlow\.js's WebAssembly backend, and the small CNN/);
    for (const width of [1280, 390]) { // the results, as a phone shows them
      await page.setViewportSize({ width, height: 844 });
      expect(await overflow(page)).toBe(0);
      await page.screenshot({ path: join(screenshots, `bench-run-${width}.png`), fullPage: true });
    }
    await page.close();
  });

  it('no page logged an error', () => {
    expect(app.errors).toEqual([]);
  });
});
