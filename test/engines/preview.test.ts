// `npm run preview:demo`'s server (vite preview with demo/vite.config.mjs) as a browser sees it on a
// second visit: a revalidated file comes back as a 304, and that 304 must carry the cross-origin
// isolation headers too (WebKit refuses a module worker revalidated without them).
import { readdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { previewedDemo } from './bundle.js';

const demo = previewedDemo('demo-preview-');

/** A raw GET (fetch would add its own cache headers). */
function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, demo.url);
    request(url, { headers }, (response) => {
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers }));
    }).on('error', reject).end();
  });
}

const isolation = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
};

describe("npm run preview:demo's server", () => {
  const workerScript = () => `assets/${readdirSync(join(demo.directory, 'assets')).find((f) => /^entry\.web.*\.js$/.test(f))}`;

  it.each(['index.html', 'worker'])('answers %s with the isolation headers, and its 304 on a revalidation too', async (name) => {
    const path = name === 'worker' ? workerScript() : name;
    const first = await get(path);
    expect(first).toMatchObject({ status: 200, headers: isolation });
    expect(first.headers.etag).toBeDefined();
    const again = await get(path, { 'If-None-Match': String(first.headers.etag) });
    expect(again).toMatchObject({ status: 304, headers: isolation });
  });

  it('answers a missing file with the isolation headers', async () => {
    expect((await get('nothing-here.js')).headers).toMatchObject(isolation);
  });
});
