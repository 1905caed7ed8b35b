// Node: starts a shard worker for data-parallel training. A module of its own (not spawn.node.ts) so
// that the shard worker's code never references the trainer worker's entry (bundlers reject cycles).
import { type SpawnedWorker, start } from './spawn.node.js';

export function spawnShardWorker(): SpawnedWorker {
  return start(new URL('./shard-entry.node.js', import.meta.url));
}
