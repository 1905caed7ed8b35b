// The file a browser (or Deno) module Worker runs: exposes the worker API on `self`, synchronously
// at the top so no message is missed.
import * as Comlink from 'comlink';
import { workerApi } from './api.js';
import { apiCallsOnly } from './guard.js';

const api = workerApi();
Comlink.expose(api, apiCallsOnly(globalThis as unknown as Comlink.Endpoint, api));
