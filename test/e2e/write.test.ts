// The "Write with me" page as a visitor uses it (production build of the packed package, in Chromium):
// a character-level network trains on the bundled text in a worker, its held-out loss gets under the
// bigram line within two minutes of the click on Start, it writes a sample after every epoch that the
// temperature slider changes, and the page's thread never runs a task over 50 ms of CPU meanwhile.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoApp, mainThreadTasks, overflow, screenshots, startDemo } from './demo-app.js';

let app: DemoApp;
beforeAll(async () => { app = await startDemo(); }, 240_000);
afterAll(async () => { await app?.close(); });

const book = gunzipSync(readFileSync(new URL('../../data/moby-dick.txt.gz', import.meta.url))).toString('utf8');
const bookWords = new Set(book.toLowerCase().match(/[a-z]+/g));
/** The share of the words in `text` (runs of letters) that the book has. */
function realWords(text: string) {
  const words = text.toLowerCase().match(/[a-z]+/g) ?? [];
  return words.filter((w) => bookWords.has(w)).length / Math.max(1, words.length);
}

const heldOut = async (page: Page): Promise<number[]> => JSON.parse((await page.getAttribute('body', 'data-held-out')) ?? '[]');
const sampleText = async (page: Page) => (await page.getAttribute('#sample', 'data-text')) ?? '';
/** Waits until the run ends and returns its stop reason. */
async function runEnd(page: Page, timeout: number) {
  await page.waitForSelector('body[data-stop-reason]', { timeout });
  return (await page.getAttribute('body', 'data-stop-reason'))!;
}
/** Moves the temperature slider to `value` and waits for the sample written at it. */
async function setTemperature(page: Page, value: string) {
  await page.fill('#temperature', value);
  await page.dispatchEvent('#temperature', 'input');
  await page.waitForFunction((t) => document.querySelector('#sample .meta')?.textContent?.startsWith(`rewritten: temperature ${t}`), Number(value).toFixed(2));
  return sampleText(page);
}

describe('the writing page (production build of the packed package, in Chromium)', () => {
  it('the LSTM gets under the bigram line within two minutes of Start, writes after every epoch, and the page thread stays under 50 ms a task', async () => {
    const page = await app.open('write.html');
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    const bigram = Number(await page.getAttribute('body', 'data-bigram'));
    expect(bigram).toBeCloseTo(2.463, 3); // data/text.mjs's line for T = 64, k = 0.1 (test/data.text.test.ts checks it)
    expect(await page.textContent('#status')).toMatch(/^ready: 217,057 characters \(78 different\)/);
    expect(await page.inputValue('#model')).toBe('lstm');
    await page.fill('#epochs', '4');
    let clicked = 0;
    let belowAfter = Infinity;
    const tasks = await mainThreadTasks(app.browser, page, async () => {
      clicked = Date.now();
      await page.click('#start');
      // the bar: a held-out loss under the bigram's within two minutes of the click
      await page.waitForSelector('body[data-below-bigram]', { timeout: 120_000 });
      belowAfter = (Date.now() - clicked) / 1000;
      expect(await runEnd(page, 240_000)).toBe('completed');
    });
    const losses = await heldOut(page);
    const longest = tasks.reduce((a, b) => (b.cpu > a.cpu ? b : a));
    console.log(`writing page, LSTM: held-out ${JSON.stringify(losses.map((l) => Number(l.toFixed(4))))} against the bigram's ${bigram.toFixed(4)}; `
      + `under it ${belowAfter.toFixed(1)} s after the click (epoch ${await page.getAttribute('body', 'data-below-bigram')}); `
      + `${tasks.length} main-thread tasks, most CPU ${longest.cpu.toFixed(1)} ms (wall ${longest.wall.toFixed(1)} ms), `
      + `longest frame ${await page.getAttribute('#meter', 'data-longest')} ms; ${await page.textContent('#status')}; ${await page.textContent('#build')}`);
    expect(tasks.filter((t) => t.cpu > 50).map((t) => t.cpu), 'main-thread tasks over 50 ms of CPU').toEqual([]);
    expect(losses).toHaveLength(4);
    expect(losses.at(-1)!).toBeLessThan(bigram);
    expect(losses.at(-1)!).toBeLessThan(losses[0]!);
    expect(await page.textContent('#status')).toMatch(/^done in \d+ s: held-out loss [\d.]+ nats\/char against the bigram's 2\.463$/);

    // a sample after every epoch, the latest on top; each 240 characters of the book's alphabet
    expect(await page.getAttribute('#history', 'data-count')).toBe('4');
    expect(await page.getAttribute('#sample', 'data-epoch')).toBe('4');
    const sample = await sampleText(page);
    expect([...sample]).toHaveLength(240);
    expect([...sample].every((c) => book.includes(c))).toBe(true);
    expect(await page.textContent('#sample b')).toBe('Call me Ishmael. ');
    // the next-character bars: ten of them, the likeliest first, probabilities that make sense
    expect(await page.locator('#next .bar').count()).toBe(10);
    const shares = await page.$$eval('#next .bar span:last-child', (spans) => spans.map((s) => Number.parseFloat(s.textContent!)));
    expect(shares.every((p, i) => i === 0 || p <= shares[i - 1]!)).toBe(true);
    expect(shares.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(100.05);

    // the temperature slider rewrites the sample: cold text is mostly the book's words, hot text far less so
    const cold = await setTemperature(page, '0.2');
    const hot = await setTemperature(page, '1.5');
    console.log(`at 0.2: ${(100 * realWords(cold)).toFixed(0)} % real words: ${JSON.stringify(cold.slice(0, 120))}`);
    console.log(`at 1.5: ${(100 * realWords(hot)).toFixed(0)} % real words: ${JSON.stringify(hot.slice(0, 120))}`);
    expect(realWords(cold)).toBeGreaterThan(realWords(hot));
    expect(realWords(cold)).toBeGreaterThan(0.6);

    // a prompt with a character the book never uses is refused at the field
    await page.fill('#prompt', 'Call me ¶');
    expect(await page.textContent('#prompt-msg')).toBe('Prompt has "¶" at position 9, which is not in the book\'s 78 characters');
    expect(await page.getAttribute('#prompt', 'aria-invalid')).toBe('true');
    await page.fill('#prompt', 'The whale ');
    await page.waitForFunction(() => document.querySelector('#sample b')?.textContent === 'The whale ');

    await setTemperature(page, '0.8');
    await page.screenshot({ path: join(screenshots, 'write-1280.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await expect.poll(() => overflow(page)).toBe(0); // the chart follows the width on its next resize callback
    await page.screenshot({ path: join(screenshots, 'write-390.png'), fullPage: true });
    await page.close();
  }, 420_000);

  it('the transformer passes the bigram line too; Stop ends a long run after the current batch and a new Start leaves one trainer', async () => {
    const page = await app.open('write.html', { width: 390, height: 844 });
    await page.selectOption('#model', 'transformer');
    expect(await page.textContent('#model-caption')).toMatch(/attention heads/);
    await page.fill('#epochs', '3');
    await page.click('#start');
    expect(await runEnd(page, 240_000)).toBe('completed');
    const losses = await heldOut(page);
    const bigram = Number(await page.getAttribute('body', 'data-bigram'));
    console.log(`writing page, transformer: held-out ${JSON.stringify(losses.map((l) => Number(l.toFixed(4))))} against the bigram's ${bigram.toFixed(4)}; ${await page.textContent('#build')}`);
    expect(losses.at(-1)!).toBeLessThan(bigram);
    expect(await page.textContent('#build')).toMatch(/114,254 parameters/);
    const workers = page.workers().length; // the text worker and one trainer

    await page.selectOption('#model', 'lstm');
    await page.fill('#epochs', '200');
    await page.click('#start');
    // Start clears the last run's losses and stop reason at once
    expect(await page.getAttribute('body', 'data-stop-reason')).toBeNull();
    await page.waitForFunction(() => document.body.dataset.phase === 'training' && JSON.parse(document.body.dataset.heldOut ?? '[]').length >= 1, undefined, { timeout: 120_000 });
    // Write again in the middle of an epoch: the worker writes between two batches, and training goes on
    await page.click('#again');
    await page.waitForFunction(() => document.querySelector('#sample .meta')?.textContent?.startsWith('written again'), undefined, { timeout: 30_000 });
    expect(await page.getAttribute('body', 'data-phase')).toBe('training');
    await page.click('#stop');
    expect(await runEnd(page, 60_000)).toBe('stopped');
    expect((await heldOut(page)).length).toBeLessThan(200);
    expect(await page.textContent('#status')).toMatch(/^stopped after epoch \d+/);
    for (let i = 0; i < 50 && page.workers().length !== workers; i++) await page.waitForTimeout(100);
    expect(page.workers().length).toBe(workers);
    expect(await overflow(page)).toBe(0);
    await page.screenshot({ path: join(screenshots, 'write-stopped-390.png'), fullPage: true });
    await page.close();
  }, 420_000);

  it('no page logged an error', () => {
    expect(app.errors).toEqual([]);
  });
});
