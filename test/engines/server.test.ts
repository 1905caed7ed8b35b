// The engine suite's static server: cross-origin isolation headers and no caching on every answer,
// never a 304 (WebKit fails module workers fetched again through a bare 304), nothing outside its folder.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic, type StaticServer } from './server.js';

let directory: string;
let server: StaticServer;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'engines-server-'));
  writeFileSync(join(directory, 'worker.js'), 'postMessage(1);\n');
  writeFileSync(join(directory, 'secret.txt'), 'inside');
  server = await serveStatic(join(directory, '.'));
});

afterAll(async () => {
  await server.close();
  rmSync(directory, { recursive: true, force: true });
});

/** A raw GET (fetch would resolve "..", and would add its own cache headers). */
function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(server.url);
    request({ host: url.hostname, port: url.port, path, headers }, (response) => {
      let body = '';
      response.on('data', (chunk) => { body += chunk; });
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body }));
    }).on('error', reject).end();
  });
}

const isolation = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
};

describe('the engine suite server', () => {
  it('answers a repeated, conditional request with the whole file and the isolation headers', async () => {
    const first = await get('/worker.js');
    expect(first).toMatchObject({ status: 200, body: 'postMessage(1);\n', headers: { ...isolation, 'content-type': 'text/javascript; charset=utf-8' } });
    const again = await get('/worker.js', { 'If-None-Match': '*', 'If-Modified-Since': new Date().toUTCString() });
    expect(again).toMatchObject({ status: 200, body: 'postMessage(1);\n', headers: isolation });
    expect(first.headers.etag).toBeUndefined();
  });

  it('answers a missing file or a path out of its folder with 404 and the same headers', async () => {
    expect(await get('/nothing.js')).toMatchObject({ status: 404, headers: isolation });
    expect((await get('/../secret.txt')).status).toBe(200); // ".." at the root stays at the root
    expect((await get('/%2E%2E/%2E%2E/etc/passwd')).status).toBe(404);
  });
});
