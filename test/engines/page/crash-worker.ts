// A descent worker that crashes: the real API, except that fit throws an uncaught exception in the
// worker 100 ms in (outside any call, as a bug in a timer would), so pending calls must reject.
import * as Comlink from 'comlink';
import { workerApi } from '../../../dist/worker/api.js';

const api = workerApi();
api.fit = () => new Promise(() => setTimeout(() => { throw new TypeError('boom in the worker'); }, 100));
Comlink.expose(api, globalThis as unknown as Comlink.Endpoint);
