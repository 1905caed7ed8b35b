// A trainer's workers never keep a process alive by themselves: a script that forgets dispose()
// exits when its work is done, while a call in flight holds the process until it settles. Scripts
// run as their own Node processes (the package imported by name), also as `node --input-type=module -e`.
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const written: string[] = [];
afterAll(() => { for (const file of written) rmSync(file, { force: true }); });

/** Runs `code` as an ES module with Node: from a file at the package root, or with `-e`. */
function run(code: string, how: 'file' | 'eval'): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  let args: string[];
  if (how === 'file') {
    const file = `${root}.lifecycle-${written.length}.mjs`;
    writeFileSync(file, code);
    written.push(file);
    args = [file];
  } else {
    args = ['--input-type=module', '-e', code];
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    // a process that never exits is the failure under test: end it so the test can say so
    const guard = setTimeout(() => child.kill('SIGKILL'), 50_000);
    child.on('error', reject);
    child.on('close', (exitCode, signal) => {
      clearTimeout(guard);
      resolve({ code: exitCode, signal, stdout, stderr });
    });
  });
}

const TRAIN = `
import { createTrainer } from 'descent-wasm';
const spec = { inputSize: 2, layers: [{ units: 4, activation: 'tanh' }, { units: 2 }], loss: 'softmax_cross_entropy', seed: 1 };
const x = new Float32Array([0, 0, 0, 1, 1, 0, 1, 1]);
const y = new Int32Array([0, 1, 1, 0]);
`;

describe('process lifetime', () => {
  it.each(['file', 'eval'] as const)('a script that never disposes its worker trainer exits (%s)', async (how) => {
    const result = await run(`${TRAIN}
const t = await createTrainer(spec);
const history = await t.fit(x, y, { epochs: 3, batchSize: 2 });
console.log('epochs', history.epochs.length);`, how);
    expect(result.stderr).toBe('');
    expect(result.signal).toBeNull(); // not killed by the guard: it exited by itself
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe('epochs 3');
  });

  it('a call in flight keeps the process alive until it settles, with nothing awaiting it', async () => {
    const result = await run(`${TRAIN}
const t = await createTrainer(spec);
t.fit(x, y, { epochs: 200, batchSize: 1 }).then((h) => console.log('fit resolved', h.epochs.length));`, 'file');
    expect(result.signal).toBeNull();
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe('fit resolved 200');
  });

  it('an in-thread trainer with data-parallel shard workers, never disposed, lets the script exit', async () => {
    const result = await run(`${TRAIN}
const t = await createTrainer(spec, { worker: false, workers: 2 });
const history = await t.fit(x, y, { epochs: 2, batchSize: 4 });
console.log('workers', t.info.workers, 'epochs', history.epochs.length);`, 'file');
    expect(result.stderr).toBe('');
    expect(result.signal).toBeNull();
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe('workers 2 epochs 2');
  });
});
