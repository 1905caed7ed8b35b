// Where the engine suites leave what each engine reported: one JSON file per engine under
// test/artifacts/engines/, read by scripts/engines-table.mjs for the README's compatibility table.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const RESULTS_DIRECTORY = fileURLToPath(new URL('../artifacts/engines/', import.meta.url));

/** Engines written by this run: their first write replaces what an earlier run left. */
const written = new Set<string>();

/** Adds `result`'s keys (and the date) to test/artifacts/engines/<engine>.json. */
export function writeEngineResult(engine: string, result: Record<string, unknown>): void {
  mkdirSync(RESULTS_DIRECTORY, { recursive: true });
  const file = `${RESULTS_DIRECTORY}${engine}.json`;
  const before = written.has(engine) && existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown> : {};
  written.add(engine);
  writeFileSync(file, `${JSON.stringify({ ...before, engine, date: new Date().toISOString(), ...result }, null, 2)}\n`);
}
