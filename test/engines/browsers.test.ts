// The engine suite in every browser engine: one page (test/engines/page) bundled once from dist/,
// served with COOP/COEP on every response, run in Chromium, Firefox ESR, WebKitGTK and WebKitGTK
// with SharedArrayBuffer on; each check the page ran is one test here. The demo app is served as
// `npm run preview:demo` serves it (vite preview, which answers revalidations with 304s) and trained
// on a first visit, after a reload, after Reset and on a second visit. What each engine reported goes
// to test/artifacts/engines/<engine>.json for the README's compatibility table.
// DESCENT_ENGINES=chromium,firefox picks engines; a browser that is not installed is skipped unless
// DESCENT_REQUIRE_ENGINES=1 (as in CI), where it fails.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserSession, ENGINES, launch, missing, waitFor } from './browsers.js';
import { bundleDemo, bundlePage, previewDemo } from './bundle.js';
import type { SuiteReport } from './page/checks.js';
import { CHECK_NAMES } from './page/names.js';
import { writeEngineResult } from './results.js';
import { serveStatic, type StaticServer } from './server.js';

const pageDirectory = fileURLToPath(new URL('../artifacts/engines-page', import.meta.url));
const chosen = process.env.DESCENT_ENGINES?.split(',') ?? ENGINES;
const required = process.env.DESCENT_REQUIRE_ENGINES === '1';

let server: StaticServer;
let demoServer: { url: string; close(): Promise<void> };

beforeAll(async () => {
  await bundlePage(pageDirectory);
  await bundleDemo(`${pageDirectory}/demo`);
  server = await serveStatic(pageDirectory);
  demoServer = await previewDemo(`${pageDirectory}/demo`);
}, 240_000);

afterAll(async () => {
  await server?.close();
  await demoServer?.close();
});

/** Waits for the train page to be ready; throws with its status line if it never gets there. */
async function demoReady(session: BrowserSession): Promise<void> {
  const deadline = performance.now() + 60_000;
  let ready = false;
  while (!ready && performance.now() < deadline) {
    // a navigation in progress can fail an evaluation: ask again
    ready = await session.evaluate<boolean>("document.body?.dataset.ready === 'true'").catch(() => false);
    if (!ready) await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const status = await session.evaluate<string | null>("document.getElementById('status')?.textContent ?? null");
  if (!ready) throw new Error(`the train page never got ready; its status says ${JSON.stringify(status)}`);
}

/** Trains the train page's current settings for two epochs (no slow motion): [stop reason, epochs trained], or the status line on a hang. */
async function trainTwoEpochs(session: BrowserSession, button = 'start'): Promise<[string, number]> {
  await session.evaluate(`(() => {
    delete document.body.dataset.stopReason;
    const epochs = document.getElementById('epochs');
    epochs.value = '2';
    document.getElementById('slow').checked = false;
    for (const type of ['input', 'change']) epochs.dispatchEvent(new Event(type, { bubbles: true }));
    document.getElementById('${button}').click();
    return true;
  })()`);
  // an error on the status line ends the wait at once, with what it says
  const ended = "document.body.dataset.stopReason ?? (document.getElementById('status').classList.contains('error') ? `failed: ${document.getElementById('status').textContent}` : null)";
  const stopReason = await waitFor<string>(session, ended, 120_000).catch(async () => {
    throw new Error(`no end of the run after 120 s; the status says ${JSON.stringify(await session.evaluate<string>("document.getElementById('status').textContent"))}`);
  });
  const epochs = (JSON.parse(await session.evaluate<string>('document.body.dataset.epochLosses')) as number[]).length;
  return [stopReason, epochs];
}

for (const engine of ENGINES.filter((e) => chosen.includes(e))) {
  const absent = required ? null : missing(engine);
  describe.skipIf(absent !== null)(`${engine}${absent ? ` (${absent})` : ''}`, () => {
    let session: BrowserSession | undefined;
    let report: SuiteReport;

    /** Launches the browser and runs the page's checks; a failure says which step and which check. */
    async function attempt(): Promise<void> {
      let step = 'launch';
      try {
        session = await launch(engine);
        step = 'open the page';
        await session.open(`${server.url}index.html`);
        step = 'run the checks';
        report = await waitFor<SuiteReport>(session, 'window.engineReport', 240_000);
      } catch (error) {
        const running = await session?.evaluate<string | null>('window.engineProgress ?? null').catch((e: unknown) => `unknown (${String(e)})`);
        throw new Error(`${engine}: could not ${step}${running ? ` (check running: ${running})` : ''}: ${String(error)}`);
      }
    }

    beforeAll(async () => {
      const started = performance.now();
      // One more try with a new browser when the first cannot launch or the page hangs (seen once
      // in Firefox, not reproduced); the first failure stays in the results and the log.
      let firstFailure: string | undefined;
      try {
        await attempt();
        if (report.checks.some((check) => !check.ok)) throw new Error(`failed checks: ${report.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.error}`).join('; ')}`);
      } catch (error) {
        firstFailure = String(error);
        console.warn(`${engine}: first attempt failed, trying once more with a new browser: ${firstFailure}`);
        // a hung browser may not close either: give it 10 s, then start the next one regardless
        await Promise.race([session?.close(), new Promise((resolve) => setTimeout(resolve, 10_000))]).catch(() => {});
        await attempt();
      }
      writeEngineResult(engine, { version: session!.version, seconds: (performance.now() - started) / 1000, ...report, ...(firstFailure ? { firstFailure } : {}) });
    }, 700_000);

    afterAll(() => session?.close());

    for (const name of CHECK_NAMES) {
      it(name, (context) => {
        const result = report.checks.find((check) => check.name === name);
        expect(result, `the page ran no check "${name}"`).toBeDefined();
        if (result!.skipped) context.skip(result!.skipped);
        expect(result!.error, JSON.stringify(result!.facts)).toBeUndefined();
        expect(result!.ok).toBe(true);
      });
    }

    it('the worker trains on the build loadKernels chose (WebKit: simd, its relaxed SIMD being off)', () => {
      const chosen = report.checks.find((check) => check.name === 'kernels')?.facts.build;
      expect(report.checks.find((check) => check.name === 'worker training')?.facts.build).toBe(chosen);
      if (engine.startsWith('webkit')) expect(chosen).toBe('simd');
    });

    it('no uncaught error or unhandled rejection in the page', () => {
      expect(report.pageErrors).toEqual([]);
    });

    it('the demo app under vite preview: trains the digits on a first visit, after Reset, after a reload and on a second visit', async () => {
      const page = `${demoServer.url}index.html?dataset=digits`;
      const steps: string[] = [];
      const step = async (name: string, action: () => Promise<[string, number]>) => {
        const [stopReason, epochs] = await action();
        steps.push(`${name}: ${epochs} epochs (${stopReason})`);
        writeEngineResult(engine, { demo: steps.join('; ') });
        expect(`${name}: ${stopReason}, ${epochs} epochs`).toBe(`${name}: completed, 2 epochs`);
      };
      await session!.open(page);
      await demoReady(session!);
      await step('first visit', () => trainTwoEpochs(session!));
      // Reset disposes the trainer; Start makes a new worker from the cached (revalidated) script
      await session!.evaluate("(document.getElementById('reset').click(), true)");
      await waitFor<boolean>(session!, "document.getElementById('start').disabled === false || null", 10_000);
      await step('after Reset', () => trainTwoEpochs(session!));
      await session!.evaluate("(document.body.dataset.ready = 'before the reload', location.reload(), true)");
      await demoReady(session!);
      await step('after a reload', () => trainTwoEpochs(session!));
      await session!.open('about:blank');
      await session!.open(page);
      await demoReady(session!);
      await step('second visit', () => trainTwoEpochs(session!));
    }, 600_000);
  });
}
