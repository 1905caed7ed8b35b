// descent on the other server-side runtimes: the whole unit project under Node 22 and 24 (Node 20
// runs it in `npm test`), and the smoke suite (test/engines/smoke.mjs) under each Node, Deno and Bun. Node and
// Bun come from npm through npx (the `node` package ships Node's binary), Deno is a devDependency.
// What each run reported goes to test/artifacts/engines/<runtime>.json.
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { RESULTS_DIRECTORY, writeEngineResult } from './results.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const chosen = process.env.DESCENT_ENGINES?.split(',');
const NODES = ['22', '24'];
const BUN = 'bun@1.4.5';
// npm's own npx, beside this Node: node_modules/.bin (on vitest's PATH) holds an old npm's npx
// (a dependency of a dependency) that runs packages differently
const NPX = join(dirname(process.execPath), 'npx');

interface Run { code: number | null; stdout: string; stderr: string; seconds: number }

/** Runs a command at the package root, its output also written to `log`; resolves when it exits (never rejects). */
function run(command: string, args: string[], log?: string): Promise<Run> {
  // a vitest inside this vitest must not think it is one of this run's workers, nor npx that it runs
  // inside the npx (or npm script) that started this one
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('VITEST') && !key.startsWith('npm_')));
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' } });
    let stdout = '';
    let stderr = '';
    if (log) {
      mkdirSync(RESULTS_DIRECTORY, { recursive: true });
      writeFileSync(log, `${command} ${args.join(' ')}\n`);
    }
    child.stdout.on('data', (chunk) => { stdout += chunk; if (log) appendFileSync(log, chunk); });
    child.stderr.on('data', (chunk) => { stderr += chunk; if (log) appendFileSync(log, chunk); });
    child.on('close', (code) => resolve({ code, stdout, stderr, seconds: (performance.now() - started) / 1000 }));
  });
}

interface VitestJson {
  numTotalTests: number; numPassedTests: number; numFailedTests: number; numPendingTests: number;
  testResults: { name: string; assertionResults: { fullName: string; status: string }[] }[];
}

for (const major of NODES.filter((m) => !chosen || chosen.includes(`node${m}`))) {
  describe(`Node ${major}: the unit project`, () => {
    it('passes every test', async () => {
      const output = `${RESULTS_DIRECTORY}node${major}-vitest.json`;
      const result = await run(NPX, ['-y', `node@${major}`, 'node_modules/vitest/vitest.mjs', 'run', '--project', 'unit',
        '--reporter=default', '--reporter=json', `--outputFile.json=${output}`], `${RESULTS_DIRECTORY}node${major}-unit.log`);
      const version = (await run(NPX, ['-y', `node@${major}`, '--version'])).stdout.trim();
      const report = JSON.parse(readFileSync(output, 'utf8')) as VitestJson;
      const failed = report.testResults.flatMap((file) => file.assertionResults.filter((t) => t.status === 'failed').map((t) => `${file.name}: ${t.fullName}`));
      writeEngineResult(`node${major}`, {
        unitSeconds: result.seconds,
        unit: { passed: report.numPassedTests, failed: report.numFailedTests, skipped: report.numPendingTests, failedTests: failed },
      });
      expect(failed).toEqual([]);
      expect(result.code, result.stderr.slice(-4000)).toBe(0);
      expect(version.startsWith(`v${major}.`)).toBe(true);
      expect(report.numPassedTests).toBeGreaterThan(1000); // the whole unit project ran, not a few files
    }, 900_000);
  });
}

interface SmokeReport { runtime: string; version: string; checks: { name: string; ok: boolean; error?: string; facts?: Record<string, unknown> }[] }

const SMOKE = 'test/engines/smoke.mjs';
const LABELS: Record<string, string> = { node: 'Node', deno: 'Deno', bun: 'Bun' };
const smokeRuntimes: { name: string; command: string; args: string[] }[] = [
  { name: `node${process.versions.node.split('.')[0]}`, command: process.execPath, args: [SMOKE] },
  ...NODES.map((major) => ({ name: `node${major}`, command: NPX, args: ['-y', `node@${major}`, SMOKE] })),
  { name: 'deno', command: `${root}node_modules/.bin/deno`, args: ['run', '--allow-read', SMOKE] }, // the README's minimum
  { name: 'bun', command: NPX, args: ['-y', BUN, SMOKE] },
];

for (const runtime of smokeRuntimes.filter((r) => !chosen || chosen.includes(r.name))) {
  describe(`${runtime.name}: the smoke suite`, () => {
    let report: SmokeReport;
    let result: Run;

    beforeAll(async () => {
      result = await run(runtime.command, runtime.args);
      const line = result.stdout.trim().split('\n').at(-1) ?? '';
      report = line.startsWith('{') ? JSON.parse(line) : { runtime: runtime.name, version: '?', checks: [] };
      writeEngineResult(runtime.name, { version: `${LABELS[report.runtime] ?? report.runtime} ${report.version}`, smokeSeconds: result.seconds, checks: report.checks });
    }, 300_000);

    it('runs to the end and exits', () => {
      expect(result.code, result.stderr.slice(-4000)).toBe(0);
      expect(runtime.name.startsWith(report.runtime)).toBe(true);
      if (report.runtime === 'node') expect(`node${report.version.split('.')[0]}`).toBe(runtime.name);
    });

    for (const name of ['kernels', 'in-thread training', 'worker training, save and load', 'two workers']) {
      it(name, () => {
        const check = report.checks.find((c) => c.name === name);
        expect(check, `the smoke suite ran no check "${name}"`).toBeDefined();
        expect(check!.error).toBeUndefined();
        expect(check!.ok).toBe(true);
      });
    }
  });
}
