// Browsers and Deno: starts a shard worker for data-parallel training (a nested module Worker). A
// module of its own (not spawn.web.ts) so that no worker bundle references itself (bundlers reject cycles).
import { type SpawnedWorker, watch } from './spawn.web.js';

export function spawnShardWorker(): SpawnedWorker {
  return watch(new Worker(new URL('./shard-entry.web.js', import.meta.url), { type: 'module' }), `shard-entry.web.js beside ${import.meta.url}`);
}
