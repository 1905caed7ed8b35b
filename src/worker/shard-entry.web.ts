// The file a shard worker (data-parallel training) runs in browsers and Deno: exposes the shard API, synchronously.
import * as Comlink from 'comlink';
import { shardApi } from '../parallel/shard-api.js';

Comlink.expose(shardApi());
