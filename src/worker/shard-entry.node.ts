// The file a shard worker (data-parallel training) runs in Node: exposes the shard API, synchronously.
import { parentPort } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { shardApi } from '../parallel/shard-api.js';

if (!parentPort) throw new Error('descent shard worker entry must run in a worker thread');
Comlink.expose(shardApi(), nodeEndpoint(parentPort));
