#!/usr/bin/env node
// Prints the README's compatibility table (markdown) from what the last `npm run test:engines` left in
// test/artifacts/engines/*.json: every cell comes from what an engine reported, none from memory.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DEMO_TRAINS = ['first visit', 'after Reset', 'after a reload', 'second visit'].map((visit) => `${visit}: 2 epochs (completed)`).join('; ');

const directory = fileURLToPath(new URL('../test/artifacts/engines/', import.meta.url));
const ORDER = ['chromium', 'firefox', 'webkit', 'webkit-sab', 'node20', 'node22', 'node24', 'deno', 'bun'];
const NAMES = { chromium: 'Chromium', firefox: 'Firefox ESR', webkit: 'WebKitGTK (Safari\'s engine)', 'webkit-sab': 'WebKitGTK, JSC_useSharedArrayBuffer=1' };

if (!existsSync(directory)) {
  console.error('no engine results: run `npm run test:engines` first');
  process.exit(1);
}
const results = readdirSync(directory).filter((f) => f.endsWith('.json') && !f.includes('-vitest') && !f.endsWith('.log'))
  .map((f) => JSON.parse(readFileSync(`${directory}${f}`, 'utf8')))
  .sort((a, b) => ORDER.indexOf(a.engine) - ORDER.indexOf(b.engine));

const check = (result, name) => result.checks?.find((c) => c.name === name);
const passed = (c) => c && c.ok && !c.skipped;

/** One table row: engine, version, build, workers, shared memory, storage, results, known limits. */
function row(r) {
  const browser = r.environment !== undefined;
  const limits = [];
  const build = check(r, 'kernels')?.facts?.build ?? '?';
  let workers;
  let shared;
  let storage;
  if (browser) {
    const parallel = check(r, 'data-parallel');
    const env = r.environment;
    workers = `module Worker; workers: 2 → ${parallel?.facts?.workers ?? '?'}`;
    shared = env.sharedMemory ? 'yes' : env.crossOriginIsolated ? 'no (cross-origin isolated, no SharedArrayBuffer)' : 'no';
    if (!env.sharedMemory && parallel?.ok) limits.push('data-parallel falls back to one worker');
    storage = ['indexeddb', 'opfs'].filter((s) => passed(check(r, `storage: ${s}`))).map((s) => (s === 'opfs' ? 'OPFS' : 'IndexedDB')).join(', ') || 'none';
    const opfs = check(r, 'storage: opfs');
    if (opfs?.skipped) limits.push(`no OPFS (${opfs.skipped.replace(/ \(OPFS\)$/, '')})`);
    const frames = check(r, 'stop and resume')?.facts;
    if (frames) {
      limits.push(frames.longTasks === null
        ? 'no long-task observer (the suite records frame gaps instead)'
        : `${frames.longTasks} long tasks while a worker trained`);
    }
    if (!/^[a-z]{2,3}(-|$)/i.test(env.language)) limits.push(`navigator.language is "${env.language}" (not a valid locale tag)`);
  } else {
    const two = check(r, 'two workers');
    workers = `worker_threads; workers: 2 → ${two?.facts?.workers ?? '?'}`;
    shared = passed(two) ? 'yes' : 'no';
    storage = 'checkpoint bytes (save/load)';
  }
  const builds = check(r, 'kernels')?.facts?.builds;
  if (builds && !builds.includes('relaxed')) limits.push('no relaxed SIMD: runs the simd build');
  // test/engines/browsers.test.ts trains the demo under vite preview on four visits
  const demoTrains = r.demo === DEMO_TRAINS;
  if (r.demo && !demoTrains) limits.push(`demo app: ${r.demo}`);
  // no count when all pass: the README keeps this table, and a count goes stale with the next test added
  if (r.unit) limits.push(r.unit.failed === 0 ? 'the whole unit project passes' : `unit project: ${r.unit.failed} of ${r.unit.passed + r.unit.failed} tests FAILED`);
  for (const failed of r.checks?.filter((c) => !c.ok) ?? []) limits.push(`FAILED: ${failed.name}`);
  if (r.firstFailure) limits.push(`passed on a second try (first: ${r.firstFailure.slice(0, 120)})`);
  const checks = r.checks ?? [];
  const ok = checks.filter(passed).length;
  const skipped = checks.filter((c) => c.skipped).length;
  const demo = demoTrains ? '; the demo app trains (reload and second visit too)' : '';
  const tested = `${ok}/${checks.length} checks${skipped ? ` (${skipped} not applicable)` : ''}${demo}`;
  const engine = NAMES[r.engine] ?? (r.engine.startsWith('node') ? `Node ${r.engine.slice(4)}` : r.version.split(' ')[0]);
  return [engine, r.version, build, workers, shared, storage, tested, limits.join('; ') || '—'];
}

const header = ['Engine', 'Version tested', 'Build chosen', 'Workers', 'Shared memory', 'Storage', 'Suite', 'Known limits and notes'];
const lines = [header, header.map(() => '---'), ...results.map(row)].map((cells) => `| ${cells.join(' | ')} |`);
const dates = results.map((r) => r.date.slice(0, 10)).sort();
console.log(lines.join('\n'));
console.log(`\nFrom \`npm run test:engines\` on ${dates.at(-1)} (${results.length} engines).`);
