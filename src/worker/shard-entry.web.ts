// The file a shard worker (data-parallel training) runs in browsers and Deno: exposes the shard API,
// synchronously, acting only on calls of its own methods.
import * as Comlink from 'comlink';
import { shardApi } from '../parallel/shard-api.js';
import { apiCallsOnly } from './guard.js';

const api = shardApi();
Comlink.expose(api, apiCallsOnly(globalThis as unknown as Comlink.Endpoint, api));
