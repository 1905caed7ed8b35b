// The file a Node worker_threads Worker runs: exposes the worker API on the parent port, synchronously.
import { parentPort } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { workerApi } from './api.js';
import { apiCallsOnly } from './guard.js';

if (!parentPort) throw new Error('descent worker entry must run in a worker thread');
const api = workerApi();
Comlink.expose(api, apiCallsOnly(nodeEndpoint(parentPort), api));
