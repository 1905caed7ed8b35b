// One way to drive every browser engine from Node: open a page, evaluate an expression in it, close.
//   chromium    Debian's /usr/bin/chromium through playwright-core (CDP)
//   firefox     Debian's firefox-esr through puppeteer-core (WebDriver BiDi; no geckodriver)
//   webkit      WebKitGTK's MiniBrowser through WebKitWebDriver (plain W3C WebDriver over fetch) in
//               an Xvfb display; webkit-sab is the same with JSC_useSharedArrayBuffer=1 (Safari
//               ships SharedArrayBuffer on cross-origin isolated pages, WebKitGTK keeps it off)
// Browsers come from Debian's packages only (.ci/run installs them); nothing is downloaded.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';

export const ENGINES = ['chromium', 'firefox', 'webkit', 'webkit-sab'] as const;
export type Engine = (typeof ENGINES)[number];

const CHROMIUM = '/usr/bin/chromium';
const FIREFOX = '/usr/bin/firefox-esr';
const WEBKIT_DRIVER = '/usr/bin/WebKitWebDriver';
const MINIBROWSER = '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
const XVFB_RUN = '/usr/bin/xvfb-run';

export interface BrowserSession {
  readonly engine: Engine;
  /** Browser name and version as the browser reports them, e.g. "Firefox 153.8.0esr". */
  readonly version: string;
  /** Navigates and waits for the load event. */
  open(url: string): Promise<void>;
  /** The value of a JavaScript expression in the page (JSON-serialisable). */
  evaluate<T>(expression: string): Promise<T>;
  close(): Promise<void>;
}

/** Why `engine` cannot run on this machine, or null when its programs are installed. */
export function missing(engine: Engine): string | null {
  const needed = engine === 'chromium' ? [CHROMIUM] : engine === 'firefox' ? [FIREFOX] : [WEBKIT_DRIVER, MINIBROWSER, XVFB_RUN];
  const absent = needed.filter((file) => !existsSync(file));
  return absent.length > 0 ? `not installed: ${absent.join(', ')}` : null;
}

/** Starts `engine` with a blank page. */
export function launch(engine: Engine): Promise<BrowserSession> {
  switch (engine) {
    case 'chromium': return launchChromium();
    case 'firefox': return launchFirefox();
    case 'webkit': return launchWebKit(engine, {});
    case 'webkit-sab': return launchWebKit(engine, { JSC_useSharedArrayBuffer: '1' });
  }
}

/** Polls `expression` in the page until it is neither null nor undefined, and returns it; throws after `timeoutMs`. */
export async function waitFor<T>(session: BrowserSession, expression: string, timeoutMs = 600_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await session.evaluate<T | null>(`(${expression}) ?? null`);
    if (value !== null) return value;
    if (performance.now() > deadline) throw new Error(`${session.engine}: still no value of ${expression} after ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function launchChromium(): Promise<BrowserSession> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const page = await browser.newPage();
  return {
    engine: 'chromium',
    version: `Chromium ${browser.version()}`,
    open: async (url) => { await page.goto(url, { waitUntil: 'load' }); },
    evaluate: (expression) => page.evaluate(expression),
    close: () => browser.close(),
  };
}

async function launchFirefox(): Promise<BrowserSession> {
  const { default: puppeteer } = await import('puppeteer-core');
  const browser = await puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX, headless: true });
  const page = await browser.newPage();
  const [name, number] = (await browser.version()).split('/');
  return {
    engine: 'firefox',
    version: `${name![0]!.toUpperCase()}${name!.slice(1)} ${number}`,
    open: async (url) => { await page.goto(url, { waitUntil: 'load' }); },
    evaluate: <T>(expression: string) => page.evaluate(expression) as Promise<T>,
    close: () => browser.close(),
  };
}

/** A free TCP port on 127.0.0.1. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** One W3C WebDriver command; a WebDriver error becomes a thrown Error. */
async function command<T>(base: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const { value } = (await response.json()) as { value: T & { error?: string; message?: string } };
  if (!response.ok || (value && typeof value === 'object' && 'error' in value && value.error)) {
    throw new Error(`WebDriver ${method} ${path}: ${value?.error}: ${value?.message}`);
  }
  return value;
}

async function launchWebKit(engine: Engine, env: Record<string, string>): Promise<BrowserSession> {
  const port = await freePort();
  // detached: the driver, Xvfb and the browser form one process group, ended together by close()
  const driver: ChildProcess = spawn(XVFB_RUN, ['-a', WEBKIT_DRIVER, `--port=${port}`], {
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, ...env },
  });
  const stopDriver = () => { try { process.kill(-driver.pid!, 'SIGTERM'); } catch { /* already gone */ } };
  const base = `http://127.0.0.1:${port}`;
  try {
    for (let attempt = 0; ; attempt++) {
      const ready = await command<{ ready: boolean }>(base, 'GET', '/status').then((s) => s.ready, () => false);
      if (ready) break;
      if (driver.exitCode !== null || attempt > 600) throw new Error(`WebKitWebDriver did not start (exit code ${driver.exitCode})`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const session = await command<{ sessionId: string; capabilities: { browserVersion: string } }>(base, 'POST', '/session', {
      capabilities: { alwaysMatch: { 'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] } } },
    });
    const path = `/session/${session.sessionId}`;
    await command(base, 'POST', `${path}/timeouts`, { script: 600_000 });
    return {
      engine,
      version: `WebKitGTK ${session.capabilities.browserVersion}`,
      open: async (url) => { await command(base, 'POST', `${path}/url`, { url }); },
      evaluate: (expression) => command(base, 'POST', `${path}/execute/sync`, { script: `return (${expression});`, args: [] }),
      close: async () => {
        await command(base, 'DELETE', path).catch(() => {});
        stopDriver();
      },
    };
  } catch (error) {
    stopDriver();
    throw error;
  }
}
