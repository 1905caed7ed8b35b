// The file a shard worker (data-parallel training) runs in Node: exposes the shard API, synchronously,
// acting only on calls of its own methods.
import { parentPort } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { shardApi } from '../parallel/shard-api.js';
import { apiCallsOnly } from './guard.js';

if (!parentPort) throw new Error('descent shard worker entry must run in a worker thread');
const api = shardApi();
Comlink.expose(api, apiCallsOnly(nodeEndpoint(parentPort), api));
