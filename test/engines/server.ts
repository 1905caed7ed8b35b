// A static file server for the engine suite: every response, errors included, carries COOP/COEP
// (cross-origin isolation, so SharedArrayBuffer can exist) and Cache-Control: no-store, and it never
// answers 304. `vite preview` answers a repeated request with a bare 304 without those headers, and
// WebKit then refuses every second module worker.
import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.css': 'text/css',
  '.gz': 'application/gzip',
};

const HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

export interface StaticServer { url: string; close(): Promise<void> }

/** Serves the files under `directory` on 127.0.0.1 (a free port) until `close()`. */
export async function serveStatic(directory: string): Promise<StaticServer> {
  const server: Server = createServer((request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname));
    let file = join(directory, path.endsWith('/') ? `${path}index.html` : path);
    if (!file.startsWith(directory + sep) && file !== directory) file = '';
    const size = file ? (() => { try { const s = statSync(file); return s.isFile() ? s.size : -1; } catch { return -1; } })() : -1;
    if (size < 0) {
      response.writeHead(404, { ...HEADERS, 'Content-Type': 'text/plain' }).end(`not found: ${path}`);
      return;
    }
    response.writeHead(200, { ...HEADERS, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': size });
    if (request.method === 'HEAD') response.end();
    else createReadStream(file).pipe(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
